"""Copy and paste: a selection as a self-contained fragment, pasted with fresh ids.

A fragment is a small graph in the YAML format (so the clipboard holds text a person
can read, and pasting parses it with the same safe, validating loader as files).
Edges to nodes outside the selection are dropped; pasted nodes get ids that keep
the originals' stems (``c1`` → ``c1_2``) and positions shifted so a paste never
lands on top of what it copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graph_io.editing.commands import AddNodes
from graph_io.ids import id_problem
from graph_io.model import Graph, Node
from graph_io.yaml_io import dumps_graph, loads_graph

_NUMBERED = re.compile(r"^(.*?)_\d+$")


def fragment_of(graph: Graph, ids: Iterable[str]) -> str:
    """The selected nodes (in document order) with their inner edges, as YAML text."""
    chosen = set(ids)
    part = Graph("fragment")
    for node in graph.nodes.values():
        if node.id in chosen:
            inputs = [s for s in node.inputs if s in chosen]
            part.nodes[node.id] = Node(node.id, node.type, dict(node.params), inputs, node.pos)
    return dumps_graph(part)


def _fresh_id(stem_of: str, taken: set[str]) -> str:
    match = _NUMBERED.match(stem_of)
    stem = match.group(1) if match and match.group(1) else stem_of
    index = 1
    while f"{stem}_{index}" in taken or id_problem(f"{stem}_{index}") is not None:
        index += 1
    return f"{stem}_{index}"


def paste_nodes(graph: Graph, text: str, offset: tuple[float, float]) -> AddNodes:
    """The command that pastes fragment ``text`` into ``graph``, shifted by ``offset``.

    Raises ``FormatError`` when the text is not a fragment.
    """
    part = loads_graph(text, "<clipboard>")
    taken = set(graph.nodes)
    renamed: dict[str, str] = {}
    for nid in part.nodes:
        renamed[nid] = _fresh_id(nid, taken)
        taken.add(renamed[nid])
    dx, dy = offset
    pasted = [
        Node(
            renamed[n.id],
            n.type,
            dict(n.params),
            [renamed[s] for s in n.inputs if s in renamed],
            (n.pos[0] + dx, n.pos[1] + dy) if n.pos else None,
        )
        for n in part.nodes.values()
    ]
    return AddNodes(pasted, label=f"paste {len(pasted)} node{'s' * (len(pasted) != 1)}")
