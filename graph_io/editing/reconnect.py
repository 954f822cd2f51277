"""Delete layers and keep the data flowing: each consumer is fed from what fed them.

Taking a BatchNorm out of ``conv → bn → relu`` should leave ``conv → relu``, not a
gap the user must wire by hand. A deleted layer can be bridged when it has exactly
one input; a run of deleted layers is followed back to the first kept one. The
consumer keeps the slot (a Concat's order, an Add's operands); a layer with several
inputs (an Add, a Concat) cannot be bridged and leaves its consumers unconnected,
for the problem list to point at. The whole edit is one undo step.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph_io.editing.commands import Command, Compound, Connect, RemoveNodes
from graph_io.model import Graph


def delete_and_reconnect(graph: Graph, ids: Iterable[str]) -> Command:
    """One step that deletes ``ids`` and wires each kept consumer to the kept layer
    that fed the deleted ones, in the same input slot."""
    order = list(dict.fromkeys(ids))
    gone = set(order)

    def feeder(source: str) -> str | None:
        seen: set[str] = set()
        while source in gone:
            inputs = graph.nodes[source].inputs
            if len(inputs) != 1 or source in seen:
                return None
            seen.add(source)
            source = inputs[0]
        return source

    parts: list[Command] = [RemoveNodes(order)]
    for node in graph.nodes.values():
        if node.id in gone or not gone.intersection(node.inputs):
            continue
        kept: list[tuple[str, bool]] = []  # (source, bridged) in the consumer's order
        for source in node.inputs:
            bridged = source in gone
            actual = feeder(source) if bridged else source
            if actual is not None and all(actual != s for s, _ in kept):
                kept.append((actual, bridged))
        # RemoveNodes leaves the kept sources in order; each bridge goes back into
        # its slot, left to right, so the indices are right as they are made.
        parts.extend(
            Connect(source, node.id, slot) for slot, (source, bridged) in enumerate(kept) if bridged
        )
    what = f"delete {order[0]}" if len(order) == 1 else f"delete {len(order)} nodes"
    return Compound(f"{what} and reconnect", parts)
