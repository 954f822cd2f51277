"""Where a layer inserted into a wire goes, and the room the graph makes for it.

Dropping a layer onto the wire ``source → target`` of a laid-out chain would leave it
on top of ``target``: the user would then have to drag half the network aside. Like
inserting a line into text, the wire's far side moves on instead: the new layer takes
the target's place and the target with everything fed from it (at or beyond it in the
flow direction) moves one layer step further. When the wire is long enough already,
the layer goes in the middle and nothing moves. Qt-free, so any front end gets the
same placement, and the whole change is one ``Move`` in the insert's undo step.
"""

from __future__ import annotations

from collections import deque

from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from graph_io.layout import LAYER_GAP, NODE_GAP, Direction, Point
from graph_io.model import Graph


def downstream(graph: Graph, start: str) -> set[str]:
    """``start`` and every node fed from it, directly or not."""
    consumers: dict[str, list[str]] = {}
    for node in graph.nodes.values():
        for source in node.inputs:
            consumers.setdefault(source, []).append(node.id)
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in consumers.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def insert_placement(
    graph: Graph, source: str, target: str, direction: Direction, *, inserted: str = ""
) -> tuple[Point | None, dict[str, Point]]:
    """The new layer's top-left corner and the nodes that move (id → new corner) when
    a layer goes into the wire ``source → target``; ``(None, {})`` when the two ends
    have no positions to go by. ``inserted`` names the layer when it is already in the
    graph (a node dragged onto a wire): its own place does not count as taken."""
    start, end = graph.nodes[source].pos, graph.nodes[target].pos
    if start is None or end is None:
        return None, {}
    axis = 1 if direction is Direction.TB else 0
    step = (NODE_HEIGHT if axis == 1 else NODE_WIDTH) + LAYER_GAP
    if end[axis] - start[axis] >= 2 * step:  # a long wire (a skip): nothing moves
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        return _free_spot(graph, middle, axis, inserted), {}
    shift = (0.0, step) if axis == 1 else (step, 0.0)
    moved: dict[str, Point] = {}
    for node_id in downstream(graph, target):
        pos = graph.nodes[node_id].pos
        if pos is not None and pos[axis] >= end[axis] and node_id != inserted:
            moved[node_id] = (pos[0] + shift[0], pos[1] + shift[1])
    return (end[0], end[1]), moved


def _free_spot(graph: Graph, spot: Point, axis: int, inserted: str) -> Point:
    """``spot``, or the first place beside it (across the flow) that no node covers —
    the middle of a skip wire is usually on the block it skips."""
    across = 0 if axis == 1 else 1
    stride = (NODE_WIDTH if across == 0 else NODE_HEIGHT) + NODE_GAP
    taken = [n.pos for n in graph.nodes.values() if n.pos is not None and n.id != inserted]
    place = list(spot)
    for _ in range(len(taken) + 1):
        if not any(
            abs(x - place[0]) < NODE_WIDTH + NODE_GAP / 2
            and abs(y - place[1]) < NODE_HEIGHT + NODE_GAP / 2
            for x, y in taken
        ):
            break
        place[across] += stride
    return place[0], place[1]
