"""Automatic left-to-right placement of a graph's nodes.

Imported models arrive without positions, and a canvas can get messy; both need a
layout that reads like the network: data flows left to right, one column per step
of depth, and each branch keeps its own lane so skip connections stay visible. The
rules are simple enough to be predictable, and the module is Qt-free so the editor
and the importer share it.
"""

from __future__ import annotations

from graph_io.model import Graph

COLUMN_SPACING = 200.0
ROW_SPACING = 250.0


def depths(graph: Graph) -> dict[str, int]:
    """Each node's column: the length of the longest path reaching it from a source.

    Longest (not shortest) paths put a join after every branch it joins. Inputs that
    name missing nodes are ignored, and nodes on a cycle go one column after the
    deepest node they can be placed after, so an unfinished canvas still lays out.
    """
    nodes = graph.nodes
    depth: dict[str, int] = {}
    pending = {nid: [s for s in node.inputs if s in nodes] for nid, node in nodes.items()}
    while pending:
        ready = [nid for nid, sources in pending.items() if all(s in depth for s in sources)]
        if not ready:  # a cycle: place the first stuck node after what is known of it
            ready = [next(iter(pending))]
        for nid in ready:
            known = [depth[s] + 1 for s in pending[nid] if s in depth]
            depth[nid] = max(known, default=0)
            del pending[nid]
    return depth


def layout_positions(
    graph: Graph, *, column_spacing: float = COLUMN_SPACING, row_spacing: float = ROW_SPACING
) -> dict[str, tuple[float, float]]:
    """A position for every node: x from its depth, y from the lane of its inputs.

    Within a column, nodes are sorted by the mean row of their inputs (then document
    order) and each takes the row nearest that mean that is still free below the
    previous one, so a chain stays on one line and a side branch on its own.
    """
    depth = depths(graph)
    columns: dict[int, list[str]] = {}
    for nid in graph.nodes:  # document order breaks ties
        columns.setdefault(depth[nid], []).append(nid)
    rows: dict[str, int] = {}
    for column in sorted(columns):
        wanted: list[tuple[float, int, str]] = []
        for index, nid in enumerate(columns[column]):
            placed = [rows[s] for s in graph.nodes[nid].inputs if s in rows]
            target = sum(placed) / len(placed) if placed else 0.0
            wanted.append((target, index, nid))
        previous = -1
        for target, _, nid in sorted(wanted):
            row = max(round(target), previous + 1)
            rows[nid] = row
            previous = row
    return {nid: (depth[nid] * column_spacing, rows[nid] * row_spacing) for nid in graph.nodes}


def apply_layout(
    graph: Graph, *, column_spacing: float = COLUMN_SPACING, row_spacing: float = ROW_SPACING
) -> None:
    """Set every node's ``pos`` to ``layout_positions``."""
    positions = layout_positions(graph, column_spacing=column_spacing, row_spacing=row_spacing)
    for nid, pos in positions.items():
        graph.nodes[nid].pos = pos
