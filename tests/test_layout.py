"""The layered layout: nodes never overlap and no wire passes behind a node it does not
connect — for every example and for imported ResNet-, DenseNet- and GoogLeNet-like
models, in both directions."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from torch import nn

from graph_io.import_torch import import_module
from graph_io.layout import Direction, Layout, layered_layout, layout_positions
from graph_io.model import Graph
from graph_io.yaml_io import load_graph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
Rect = tuple[float, float, float, float]


def _segment_enters(a: tuple[float, float], b: tuple[float, float], rect: Rect) -> bool:
    """Whether segment a-b passes through the inside of ``rect`` (touching is fine)."""
    x, y, w, h = rect
    left, top, right, bottom = x + 0.5, y + 0.5, x + w - 0.5, y + h - 0.5
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - left), (dx, right - a[0]), (-dy, a[1] - top), (dy, bottom - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def check_layout(graph: Graph, layout: Layout) -> None:
    rects = {nid: layout.node_rect(nid) for nid in graph.nodes}
    assert set(rects) == set(graph.nodes)
    items = list(rects.items())
    for i, (a, ra) in enumerate(items):  # no two nodes overlap
        for b, rb in items[i + 1 :]:
            apart = (
                ra[0] + ra[2] <= rb[0]
                or rb[0] + rb[2] <= ra[0]
                or ra[1] + ra[3] <= rb[1]
                or rb[1] + rb[3] <= ra[1]
            )
            assert apart, f"{a} overlaps {b}"
    assert set(layout.routes) == set(graph.edges())
    along = 1 if layout.direction is Direction.TB else 0
    for (source, target), route in layout.routes.items():
        assert len(route) >= 2
        steps = [q[along] - p[along] for p, q in itertools.pairwise(route)]
        assert all(step >= 0 for step in steps), f"{source}->{target} runs backwards"
        for other, rect in rects.items():
            if other in (source, target):
                continue
            for p, q in itertools.pairwise(route):
                assert not _segment_enters(p, q, rect), f"{source}->{target} passes behind {other}"
        sx, sy, sw, sh = rects[source]
        tx, ty, tw, th = rects[target]
        if layout.direction is Direction.TB:
            assert route[0] == (sx + sw / 2, sy + sh)
            assert route[-1][1] == ty
            assert tx <= route[-1][0] <= tx + tw
        else:
            assert route[0] == (sx + sw, sy + sh / 2)
            assert route[-1][0] == tx
            assert ty <= route[-1][1] <= ty + th


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_lay_out_without_hidden_wires(path: Path, direction: Direction) -> None:
    graph = load_graph(path)
    check_layout(graph, layered_layout(graph, direction))


class Bottleneck(nn.Module):
    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        out = channels * 2 if stride == 2 else channels
        self.conv1 = nn.Conv2d(channels, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.skip = (
            nn.Sequential(nn.Conv2d(channels, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            if stride == 2
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.skip(x))


class ResNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.blocks = nn.Sequential(Bottleneck(8, 1), Bottleneck(8, 2), Bottleneck(16, 1))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class DenseBlock(nn.Module):
    """Every layer sees the concatenation of all earlier outputs: many long skips."""

    def __init__(self, channels: int, growth: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv2d(channels + i * growth, growth, 3, padding=1), nn.ReLU())
            for i in range(layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x, self.layers[0](x)]
        for layer in self.layers[1:]:
            features.append(layer(torch.cat(features, 1)))
        return torch.cat(features, 1)


class DenseNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.block1 = DenseBlock(8, 4, 4)
        self.transition = nn.Sequential(nn.Conv2d(24, 12, 1), nn.AvgPool2d(2))
        self.block2 = DenseBlock(12, 4, 3)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block2(self.transition(self.block1(self.stem(x)))))


class Inception(nn.Module):
    """Four branches of different depth, concatenated."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(channels, 4, 1)
        self.b2 = nn.Sequential(nn.Conv2d(channels, 4, 1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1))
        self.b3 = nn.Sequential(
            nn.Conv2d(channels, 2, 1),
            nn.ReLU(),
            nn.Conv2d(2, 4, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=1),
        )
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(channels, 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.inc1 = Inception(8)
        self.inc2 = Inception(20)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(20, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.inc2(self.inc1(self.stem(x))))


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize(
    ("model", "parallel"), [(ResNetLike, True), (DenseNetLike, False), (GoogLeNetLike, True)]
)
def test_imported_branchy_models_lay_out_without_hidden_wires(
    model: type[nn.Module], parallel: bool, direction: Direction
) -> None:
    torch.manual_seed(0)
    graph = import_module(model(), (3, 8, 8)).graph
    assert len(graph.nodes) > 12
    layout = layered_layout(graph, direction)
    check_layout(graph, layout)
    # parallel branches sit side by side: some layer holds more than one node
    along = 1 if direction is Direction.TB else 0
    rows = [pos[along] for pos in layout.positions.values()]
    assert (len(set(rows)) < len(rows)) is parallel
    assert any(len(route) > 2 for route in layout.routes.values())  # skips bend around


def test_a_chain_hangs_straight_and_a_join_stays_on_its_main_line() -> None:
    graph = load_graph(ROOT / "examples" / "resnet_mini.yaml")
    layout = layered_layout(graph)
    xs = {nid: pos[0] for nid, pos in layout.positions.items()}
    chain = ["input", "stem", "stem_bn", "stem_relu", "b1_conv1", "b1_conv2_bn"]
    assert len({xs[n] for n in chain}) == 1
    skip = layout.routes[("stem_relu", "b1_add")]
    assert len(skip) > 2  # bends around the block's nodes
    # the projection's wire reaches the join by a lane, which does not pull it aside:
    # a deep ResNet stays one straight column instead of stepping sideways per block
    assert xs["b2_conv1"] == xs["b2_add"] < xs["b2_proj"]


def test_a_join_of_two_real_branches_sits_between_them() -> None:
    graph = Graph("fork")
    graph.add_node("Input", "x", {"channels": 3, "height": 8, "width": 8})
    graph.add_node("Conv2D", "left", {"filters": 4, "padding": "Same"}, ["x"])
    graph.add_node("Conv2D", "right", {"filters": 4, "padding": "Same"}, ["x"])
    graph.add_node("Concat", "join", {}, ["left", "right"])
    xs = {nid: pos[0] for nid, pos in layered_layout(graph).positions.items()}
    assert xs["left"] < xs["join"] < xs["right"]
    assert xs["join"] == xs["x"]


def test_a_deep_resnet_stays_one_column() -> None:
    graph = Graph("deep")
    graph.add_node("Input", "input", {"channels": 8, "height": 8, "width": 8})
    previous = "input"
    for block in range(20):
        graph.add_node("Conv2D", f"c{block}", {"filters": 8, "padding": "Same"}, [previous])
        graph.add_node("BatchNorm2D", f"n{block}", {}, [f"c{block}"])
        graph.add_node("Add", f"a{block}", {}, [f"n{block}", previous])
        previous = f"a{block}"
    xs = {pos[0] for nid, pos in layered_layout(graph).positions.items() if nid != "input"}
    assert len(xs) == 1


def test_layout_tolerates_cycles_missing_inputs_and_empty_graphs() -> None:
    assert layered_layout(Graph("empty")).positions == {}
    graph = Graph("g")
    graph.add_node("Input", "x")
    graph.add_node("Activation", "a", inputs=["x", "b"])
    graph.add_node("Activation", "b", inputs=["a"])
    graph.add_node("Activation", "c", inputs=["ghost"])
    layout = layered_layout(graph)
    assert set(layout.positions) == {"x", "a", "b", "c"}
    assert set(layout.routes) == {("x", "a"), ("b", "a"), ("a", "b")}


def test_layout_positions_flow_top_to_bottom_like_the_canvas_opens() -> None:
    graph = load_graph(ROOT / "examples" / "resnet_mini.yaml")
    positions = layout_positions(graph)
    assert len(set(positions.values())) == len(positions)
    for node in graph.nodes.values():
        for source in node.inputs:
            assert positions[source][1] < positions[node.id][1]
    across = layout_positions(graph, direction=Direction.LR)
    for node in graph.nodes.values():
        for source in node.inputs:
            assert across[source][0] < across[node.id][0]
