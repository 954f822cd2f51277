"""Automatic layered placement of a graph's nodes, and the routes of its wires.

Imported models arrive without positions, and a canvas can get messy; both need a
layout that reads like the network: data flows top to bottom (or left to right), one
layer per step of depth, branches side by side. A wire that skips layers gets a lane
of its own through every layer it crosses (a "dummy" slot the nodes make room for),
so no wire passes behind a node it does not connect; ``Layout.routes`` hands those
polylines to whoever draws them (canvas, minimap, ``convas render``).

The steps are the classic Sugiyama ones, kept simple enough to be predictable:
longest-path layers, barycentre ordering sweeps (keeping the order with the fewest
crossings), then per layer the positions closest to the mean of each node's
neighbours that keep the order and the spacing (a weighted isotonic regression, where
real nodes weigh more than wire lanes, so chains stay straight and skips step aside).
Qt-free, so the editor, the importer and the renderer share it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from graph_io.model import Graph

Point = tuple[float, float]
Edge = tuple[str, str]

LAYER_GAP = 56.0  # between layers, where wires change lanes
NODE_GAP = 40.0  # between neighbouring nodes of one layer
LANE_WIDTH = 12.0  # the room a wire lane takes in a layer it crosses
LANE_GAP = 14.0
PORT_SPREAD = 24.0  # between the entry points of a join's wires
_SWEEPS = 8
_NODE_WEIGHT = 1000.0  # when a node and a wire lane compete for a place, the lane yields


class Direction(StrEnum):
    """Which way data flows on the page."""

    TB = "TB"  # top to bottom
    LR = "LR"  # left to right


@dataclass(frozen=True)
class Layout:
    """Where every node sits (its top-left corner) and the polyline of every wire.

    ``routes[(source, target)]`` runs from the source's output anchor (bottom centre
    for TB, right middle for LR) to the target's input anchor on the opposite side;
    the points in between are bends. Every node is ``node_size`` large.
    """

    direction: Direction
    positions: dict[str, Point]
    routes: dict[Edge, tuple[Point, ...]]
    node_size: tuple[float, float] = (NODE_WIDTH, NODE_HEIGHT)

    def node_rect(self, node_id: str) -> tuple[float, float, float, float]:
        """``(x, y, width, height)`` of a node."""
        x, y = self.positions[node_id]
        return (x, y, *self.node_size)

    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, top, right, bottom)`` around every node and wire."""
        width, height = self.node_size
        xs = [x for x, _ in self.positions.values()]
        ys = [y for _, y in self.positions.values()]
        lefts, tops = list(xs), list(ys)
        rights = [x + width for x in xs]
        bottoms = [y + height for y in ys]
        for route in self.routes.values():
            lefts += [p[0] for p in route]
            rights += [p[0] for p in route]
            tops += [p[1] for p in route]
            bottoms += [p[1] for p in route]
        if not lefts:
            return (0.0, 0.0, 0.0, 0.0)
        return (min(lefts), min(tops), max(rights), max(bottoms))


def depths(graph: Graph) -> dict[str, int]:
    """Each node's layer: the length of the longest path reaching it from a source.

    Longest (not shortest) paths put a join after every branch it joins. Inputs that
    name missing nodes are ignored, and nodes on a cycle go one layer after the
    deepest node they can be placed after, so an unfinished canvas still lays out.
    """
    nodes = graph.nodes
    sources = {nid: [s for s in node.inputs if s in nodes] for nid, node in nodes.items()}
    consumers: dict[str, list[str]] = {nid: [] for nid in nodes}
    for nid, feeding in sources.items():
        for source in feeding:
            consumers[source].append(nid)
    waiting = {nid: len(set(feeding)) for nid, feeding in sources.items()}
    depth: dict[str, int] = {}
    unplaced = dict.fromkeys(nodes)  # document order, for breaking cycles predictably
    ready = [nid for nid, count in waiting.items() if count == 0]
    while unplaced:
        if not ready:  # a cycle: place the first stuck node after what is known of it
            ready = [next(iter(unplaced))]
        nid = ready.pop()
        if nid not in unplaced:
            continue
        del unplaced[nid]
        depth[nid] = max((depth[s] + 1 for s in sources[nid] if s in depth), default=0)
        for consumer in dict.fromkeys(consumers[nid]):
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
    return depth


def _edges(graph: Graph) -> list[Edge]:
    return [(s, node.id) for node in graph.nodes.values() for s in node.inputs if s in graph.nodes]


class _Layers:
    """The layered graph: real nodes plus one lane slot per layer a long wire crosses."""

    def __init__(self, graph: Graph, depth: Mapping[str, int]) -> None:
        self.ids: list[str | None] = list(graph.nodes)  # None marks a lane slot
        index = {nid: i for i, nid in enumerate(graph.nodes)}
        count = max(depth.values(), default=-1) + 1
        self.layers: list[list[int]] = [[] for _ in range(count)]
        for nid, i in index.items():
            self.layers[depth[nid]].append(i)
        self.preds: list[list[int]] = [[] for _ in self.ids]
        self.succs: list[list[int]] = [[] for _ in self.ids]
        self.chains: dict[Edge, list[int]] = {}  # lane slots of each long wire, in order
        for source, target in _edges(graph):
            low, high = depth[source], depth[target]
            if high <= low:  # a wire closing a cycle: drawn straight, not laid out
                continue
            previous, chain = index[source], []
            for layer in range(low + 1, high):
                slot = len(self.ids)
                self.ids.append(None)
                self.preds.append([])
                self.succs.append([])
                self.layers[layer].append(slot)
                chain.append(slot)
                self._link(previous, slot)
                previous = slot
            self._link(previous, index[target])
            self.chains[(source, target)] = chain

    def _link(self, upper: int, lower: int) -> None:
        self.succs[upper].append(lower)
        self.preds[lower].append(upper)


def _crossings(layers: Sequence[list[int]], succs: Sequence[list[int]]) -> int:
    """Wire crossings between consecutive layers, counted as inversions."""
    total = 0
    for upper, lower in itertools.pairwise(layers):
        rank = {item: r for r, item in enumerate(lower)}
        ends = [rank[s] for item in upper for s in sorted(succs[item], key=rank.__getitem__)]
        total += _inversions(ends)
    return total


def _inversions(values: list[int]) -> int:
    if len(values) < 2:
        return 0
    middle = len(values) // 2
    left, right = sorted(values[:middle]), sorted(values[middle:])
    count = _inversions(values[:middle]) + _inversions(values[middle:])
    j = 0
    for value in left:  # pairs (left value, right value) with left > right
        while j < len(right) and right[j] < value:
            j += 1
        count += j
    return count


def _order(lay: _Layers) -> list[list[int]]:
    """Barycentre sweeps down and up; the order with the fewest crossings wins."""
    layers = [list(layer) for layer in lay.layers]
    best, best_crossings = [list(x) for x in layers], _crossings(layers, lay.succs)
    for sweep in range(_SWEEPS):
        down = sweep % 2 == 0
        indices = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for k in indices:
            ref = layers[k - 1] if down else layers[k + 1]
            rank = {item: r for r, item in enumerate(ref)}
            links = lay.preds if down else lay.succs
            keys: dict[int, tuple[float, int]] = {}
            for r, item in enumerate(layers[k]):
                near = [rank[n] for n in links[item] if n in rank]
                keys[item] = (sum(near) / len(near) if near else float(r), r)
            layers[k].sort(key=keys.__getitem__)
        crossings = _crossings(layers, lay.succs)
        if crossings < best_crossings:
            best, best_crossings = [list(x) for x in layers], crossings
        if best_crossings == 0:
            break
    return best


def _fit(targets: Sequence[float], weights: Sequence[float], gaps: Sequence[float]) -> list[float]:
    """Positions closest to ``targets`` (weighted) keeping order and ``gaps`` apart.

    ``gaps[i]`` is the least distance between item i-1 and item i. Shifting each
    item by its cumulative gap turns this into isotonic regression, solved by
    pooling adjacent violators.
    """
    offsets, total = [], 0.0
    for gap in gaps:
        total += gap
        offsets.append(total)
    blocks: list[list[float]] = []  # [weight, weighted sum, size]
    for target, weight, offset in zip(targets, weights, offsets, strict=True):
        blocks.append([weight, weight * (target - offset), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w, s, n = blocks.pop()
            blocks[-1][0] += w
            blocks[-1][1] += s
            blocks[-1][2] += n
    result: list[float] = []
    for w, s, n in blocks:
        result += [s / w] * int(n)
    return [value + offset for value, offset in zip(result, offsets, strict=True)]


def _place(lay: _Layers, layers: list[list[int]], node_extent: float) -> list[float]:
    """The cross-axis centre of every item (node or lane slot)."""
    extent = [node_extent if nid is not None else LANE_WIDTH for nid in lay.ids]
    weight = [_NODE_WEIGHT if nid is not None else 1.0 for nid in lay.ids]
    centre = [0.0] * len(lay.ids)

    def gaps(layer: list[int]) -> list[float]:
        out = [0.0]
        for a, b in itertools.pairwise(layer):
            both_nodes = lay.ids[a] is not None and lay.ids[b] is not None
            out.append((extent[a] + extent[b]) / 2 + (NODE_GAP if both_nodes else LANE_GAP))
        return out

    for layer in layers:  # packed, as a start
        for item, position in zip(
            layer, _fit([0.0] * len(layer), [1.0] * len(layer), gaps(layer)), strict=True
        ):
            centre[item] = position
    # Alternate sweeps; the last one follows inputs, so a chain hangs straight below
    # its source and a join sits midway between the branches it joins.
    passes = [lay.preds, lay.succs] * 4 + [lay.preds]
    for links in passes:
        order = layers if links is lay.preds else layers[::-1]
        for layer in order:
            targets = []
            for item in layer:
                near = links[item]
                pull = [weight[n] for n in near]  # a skip's lane barely pulls its join
                targets.append(
                    sum(centre[n] * w for n, w in zip(near, pull, strict=True)) / sum(pull)
                    if near
                    else centre[item]
                )
            fitted = _fit(targets, [weight[i] for i in layer], gaps(layer))
            for item, position in zip(layer, fitted, strict=True):
                centre[item] = position
    return centre


def _anchors(direction: Direction, size: tuple[float, float]) -> tuple[Point, Point]:
    """Offsets of the output and input anchors from a node's top-left corner."""
    width, height = size
    if direction is Direction.TB:
        return (width / 2, height), (width / 2, 0.0)
    return (width, height / 2), (0.0, height / 2)


def route_wires(
    graph: Graph,
    positions: Mapping[str, Point],
    direction: Direction = Direction.TB,
    bends: Mapping[Edge, Sequence[Point]] | None = None,
    node_size: tuple[float, float] = (NODE_WIDTH, NODE_HEIGHT),
) -> dict[Edge, tuple[Point, ...]]:
    """The polyline of every wire: output anchor, ``bends`` (if any), input anchor.

    A join's wires enter side by side along its input edge, ordered by where they
    come from so they do not cross there. Works for hand-placed nodes too (then the
    wires are straight).
    """
    out_offset, in_offset = _anchors(direction, node_size)
    cross = 0 if direction is Direction.TB else 1
    routes: dict[Edge, tuple[Point, ...]] = {}
    for node in graph.nodes.values():
        sources = [s for s in node.inputs if s in positions]
        if node.id not in positions or not sources:
            continue
        tx, ty = positions[node.id]
        legs: list[tuple[float, Edge, list[Point]]] = []
        for source in sources:
            sx, sy = positions[source]
            points = [(sx + out_offset[0], sy + out_offset[1])]
            points += list((bends or {}).get((source, node.id), ()))
            legs.append((points[-1][cross], (source, node.id), points))
        legs.sort(key=lambda leg: leg[0])
        extent = node_size[cross]
        spread = min(PORT_SPREAD, extent * 0.6 / max(1, len(legs) - 1))
        for i, (_, edge, points) in enumerate(legs):
            shift = (i - (len(legs) - 1) / 2) * spread
            end = [tx + in_offset[0], ty + in_offset[1]]
            end[cross] += shift
            routes[edge] = _simplify([*points, (end[0], end[1])])
    return routes


def _simplify(points: list[Point]) -> tuple[Point, ...]:
    """Drop middle points of straight runs (a lane crossing several layers)."""
    kept = points[:1]
    for point, after in zip(points[1:], points[2:], strict=False):  # noqa: RUF007 (triples)
        before = kept[-1]
        turn = (point[0] - before[0]) * (after[1] - before[1]) - (point[1] - before[1]) * (
            after[0] - before[0]
        )
        if abs(turn) > 1e-6:
            kept.append(point)
    return tuple(kept + points[-1:]) if len(points) > 1 else tuple(kept)


def layered_layout(
    graph: Graph,
    direction: Direction = Direction.TB,
    node_size: tuple[float, float] = (NODE_WIDTH, NODE_HEIGHT),
) -> Layout:
    """Lay ``graph`` out in layers along ``direction`` and route every wire."""
    depth = depths(graph)
    lay = _Layers(graph, depth)
    layers = _order(lay)
    along_extent, cross_extent = (
        (node_size[1], node_size[0]) if direction is Direction.TB else node_size
    )
    centre = _place(lay, layers, cross_extent)
    low = min(centre, default=0.0) - cross_extent / 2
    step = along_extent + LAYER_GAP

    def point(along: float, across: float) -> Point:
        return (across, along) if direction is Direction.TB else (along, across)

    positions: dict[str, Point] = {}
    for k, layer in enumerate(layers):
        for item in layer:
            nid = lay.ids[item]
            if nid is not None:
                positions[nid] = point(k * step, round(centre[item] - low - cross_extent / 2))
    bends: dict[Edge, list[Point]] = {}
    for edge, chain in lay.chains.items():
        first = depth[edge[0]] + 1
        bends[edge] = [
            p
            for k, slot in enumerate(chain, start=first)
            for p in (
                point(k * step, round(centre[slot] - low)),
                point(k * step + along_extent, round(centre[slot] - low)),
            )
        ]
    ordered = {nid: positions[nid] for nid in graph.nodes}
    routes = route_wires(graph, ordered, direction, bends, node_size)
    return Layout(direction, ordered, routes, node_size)


def layout_positions(
    graph: Graph, *, direction: Direction = Direction.TB
) -> dict[str, tuple[float, float]]:
    """Top-left positions of ``layered_layout`` (top to bottom, as the canvas opens)."""
    return layered_layout(graph, direction).positions


def apply_layout(graph: Graph, *, direction: Direction = Direction.TB) -> None:
    """Set every node's ``pos`` to ``layout_positions``."""
    for nid, pos in layout_positions(graph, direction=direction).items():
        graph.nodes[nid].pos = pos
