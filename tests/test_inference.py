"""Graph-level inference: what a user sees while building a half-finished graph."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graph_io import Graph, GraphError, Status, infer
from nodes.errors import ParamError


def lenet_like() -> Graph:
    graph = Graph("g")
    graph.add_node("Input", "x", {"channels": 1, "height": 12, "width": 12})
    graph.add_node("Conv2D", "c1", {"filters": 4, "kernel": 5}, ["x"])
    graph.add_node("MaxPool2D", "p1", {}, ["c1"])
    graph.add_node("Conv2D", "c3", {"filters": 8, "kernel": 3}, ["p1"])
    graph.add_node("Flatten", "flat", {}, ["c3"])
    graph.add_node("Dense", "out", {"units": 10}, ["flat"])
    return graph


def messages(graph: Graph) -> list[str]:
    return [p.message for p in infer(graph).problems]


def test_valid_graph_reports_every_node() -> None:
    report = infer(lenet_like())
    assert report.ok
    assert [r.shape for r in report.results.values()] == [
        (1, 12, 12),
        (4, 8, 8),
        (4, 4, 4),
        (8, 2, 2),
        (32,),
        (10,),
    ]
    assert report.output == "out"
    assert report.total_params == 4 * 26 + 8 * 37 + 330
    assert report.results["c1"].memory == 4 * 8 * 8 * 4


def test_kernel_larger_than_padded_input_names_param_and_fix() -> None:
    graph = lenet_like()
    graph.set_param("c3", "kernel", 5)
    graph.set_param("c3", "padding", 0)
    graph.set_param("x", "height", 10)
    graph.set_param("x", "width", 10)
    report = infer(graph)
    assert report.results["c3"].error == (
        "Conv2D 'c3': kernel 5x5 is larger than its padded input 3x3 — "
        "reduce Kernel or use Padding Same"
    )
    assert report.results["c3"].param == "kernel"
    assert report.results["flat"].status is Status.UNKNOWN
    assert report.results["out"].status is Status.UNKNOWN
    assert len(report.problems) == 1


def test_cycle_names_its_nodes_and_leaves_downstream_unknown() -> None:
    graph = lenet_like()
    graph.add_node("Add", "loop", {}, ["p1", "c3"])
    graph.nodes["c3"].inputs = ["loop"]
    report = infer(graph)
    assert report.results["c3"].status is Status.ERROR
    assert "cycle" in (report.results["c3"].error or "")
    assert "loop" in (report.results["loop"].error or "")
    assert report.results["flat"].status is Status.UNKNOWN
    assert report.results["c1"].status is Status.OK


def test_unconnected_and_dangling_inputs() -> None:
    graph = lenet_like()
    graph.disconnect("c1", "p1")
    graph.nodes["c3"].inputs = ["ghost"]
    found = messages(graph)
    assert "MaxPool2D 'p1': input is not connected — connect the layer before it" in found
    assert "Conv2D 'c3': input 'ghost' does not exist — connect an existing node" in found


def test_more_than_one_output_is_a_graph_problem() -> None:
    graph = lenet_like()
    graph.add_node("Dense", "extra", {"units": 3}, ["flat"])
    assert any("2 outputs ('out', 'extra')" in m for m in messages(graph))


def test_add_with_unequal_shapes_and_concat_with_unequal_sizes() -> None:
    graph = lenet_like()
    graph.add_node("Conv2D", "side", {"filters": 8, "kernel": 1}, ["p1"])
    graph.add_node("Add", "sum", {}, ["c3", "side"])
    graph.nodes["flat"].inputs = ["sum"]
    assert any(
        "Add 'sum': adds tensors of equal shape but input 1 is 8x2x2 and input 2 is 8x4x4" in m
        for m in messages(graph)
    )
    graph.remove_node("sum")
    graph.add_node("Concat", "cat", {}, ["c3", "side"])
    graph.nodes["flat"].inputs = ["cat"]
    assert any(
        "Concat 'cat': joins inputs along channels" in m and "spatial size" in m
        for m in messages(graph)
    )


def test_dense_fed_an_image_suggests_flatten() -> None:
    graph = lenet_like()
    graph.nodes["out"].inputs = ["c3"]
    graph.remove_node("flat")
    report = infer(graph)
    assert report.results["out"].error == (
        "Dense 'out': needs a vector but receives a 3-D tensor 8x2x2 — insert a Flatten "
        "(or GlobalAvgPool2D) before it"
    )


def test_missing_and_duplicated_input() -> None:
    graph = lenet_like()
    graph.add_node("Input", "x2", {}, [])
    graph.add_node("Add", "both", {}, ["out", "x2"])
    assert any("more than one Input ('x', 'x2')" in m for m in messages(graph))
    empty = Graph()
    assert messages(empty) == [
        "the graph has no Input node — add one from the palette and connect it"
    ]


def test_merge_needs_two_inputs_and_single_ports_take_one() -> None:
    graph = lenet_like()
    graph.add_node("Add", "lonely", {}, ["flat"])
    graph.nodes["out"].inputs = ["lonely"]
    assert "Add 'lonely': needs at least 2 inputs but has 1 — connect another branch" in (
        messages(graph)
    )
    with pytest.raises(GraphError, match="already connected to 'c1'"):
        graph.connect("x", "p1")


def test_connect_refuses_cycles_and_edits_keep_edges_consistent() -> None:
    graph = lenet_like()
    graph.add_node("Add", "a", {}, [])
    graph.connect("c3", "a")
    with pytest.raises(GraphError, match="would create a cycle"):
        graph.connect("a", "a")
    with pytest.raises(GraphError, match="takes no inputs"):
        graph.connect("a", "x")
    graph.disconnect("c1", "p1")
    graph.connect("out", "a")
    with pytest.raises(GraphError, match="would create a cycle"):
        graph.connect("a", "p1")
    graph.connect("c1", "p1")
    graph.rename_node("c3", "conv3")
    assert graph.nodes["flat"].inputs == ["conv3"]
    assert graph.nodes["a"].inputs == ["conv3", "out"]
    graph.remove_node("conv3")
    assert graph.nodes["flat"].inputs == []
    assert graph.would_create_cycle("flat", "x") is False


def test_set_param_and_ids_are_validated_where_they_enter() -> None:
    graph = lenet_like()
    with pytest.raises(ParamError) as info:
        graph.set_param("c1", "filters", 0)
    assert info.value.param == "filters"
    assert str(info.value) == "must be an integer between 1 and 65536, got 0"
    assert graph.set_param("c1", "kernel", [3, 3]) == 3
    assert graph.set_param("c1", "padding", "same") == "Same"
    with pytest.raises(GraphError, match="reserved"):
        graph.add_node("Flatten", "forward")
    with pytest.raises(GraphError, match="must start with a letter"):
        graph.rename_node("c1", "1st")
    with pytest.raises(GraphError, match="did you mean 'filters'"):
        graph.add_node("Conv2D", "c9", {"filter": 3})


def test_inference_does_not_load_torch_or_qt() -> None:
    code = (
        "import sys, nodes, graph_io, graph_io.shapes, graph_io.yaml_io\n"
        "bad = [m for m in ('torch', 'PySide6', 'NodeGraphQt') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
