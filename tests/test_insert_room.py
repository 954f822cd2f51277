"""A layer inserted into a wire takes the target's place and the rest moves on."""

from __future__ import annotations

from pathlib import Path

from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from graph_io.insert_room import downstream, insert_placement
from graph_io.layout import LAYER_GAP, NODE_GAP, Direction, apply_layout
from graph_io.yaml_io import load_graph

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_inserting_into_a_chain_shifts_the_target_and_what_follows_one_layer() -> None:
    graph = load_graph(EXAMPLES / "lenet5.yaml")
    apply_layout(graph, direction=Direction.TB)
    before = {i: n.pos for i, n in graph.nodes.items()}
    place, moved = insert_placement(graph, "c1", "s2", Direction.TB)
    assert place == before["s2"]
    after_c1 = list(graph.nodes)[list(graph.nodes).index("s2") :]
    assert set(moved) == set(after_c1)  # s2 and everything below it, nothing above
    for node_id, (x, y) in moved.items():
        old = before[node_id]
        assert old is not None
        assert (x, y) == (old[0], old[1] + NODE_HEIGHT + LAYER_GAP)


def test_left_to_right_shifts_along_x() -> None:
    graph = load_graph(EXAMPLES / "lenet5.yaml")
    apply_layout(graph, direction=Direction.LR)
    s2 = graph.nodes["s2"].pos
    assert s2 is not None
    _place, moved = insert_placement(graph, "c1", "s2", Direction.LR)
    assert moved["s2"] == (s2[0] + NODE_WIDTH + LAYER_GAP, s2[1])


def test_a_skip_wire_gets_the_layer_beside_the_block_it_skips_and_nothing_moves() -> None:
    graph = load_graph(EXAMPLES / "resnet_mini.yaml")
    apply_layout(graph, direction=Direction.TB)
    skip_target = next(
        i for i, n in graph.nodes.items() if "stem_relu" in n.inputs and i != "b1_conv1"
    )
    place, moved = insert_placement(graph, "stem_relu", skip_target, Direction.TB)
    assert moved == {}
    assert place is not None
    for node in graph.nodes.values():
        assert node.pos is not None
        overlaps = (
            abs(node.pos[0] - place[0]) < NODE_WIDTH + NODE_GAP / 2
            and abs(node.pos[1] - place[1]) < NODE_HEIGHT + NODE_GAP / 2
        )
        assert not overlaps, node.id


def test_ends_without_positions_leave_placement_to_the_caller() -> None:
    graph = load_graph(EXAMPLES / "lenet5.yaml")
    for node in graph.nodes.values():
        node.pos = None
    assert insert_placement(graph, "c1", "s2", Direction.TB) == (None, {})


def test_downstream_follows_every_branch() -> None:
    graph = load_graph(EXAMPLES / "resnet_mini.yaml")
    below = downstream(graph, "stem_relu")
    assert "b1_conv1" in below
    assert "stem" not in below
    assert list(graph.nodes)[-1] in below
