"""Every analytic rule (shape, parameter count, MACs) against real torch modules.

Hypothesis draws layer configurations and input sizes; torch is the oracle: the
compiled module's forward pass gives the shape, ``numel`` the parameters and
``FlopCounterMode`` the multiply-accumulates (FLOPs / 2, bias excluded).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import nodes
from graph_io import Graph, Status, infer
from graph_io.compiler import compile_graph

SETTINGS = settings(
    deadline=None, max_examples=60, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

sizes = st.integers(1, 40)
channels = st.integers(1, 8)
kernels = st.one_of(st.integers(1, 7), st.lists(st.integers(1, 7), min_size=2, max_size=2))
strides = st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=2))
paddings = st.one_of(st.sampled_from(["None", "Same"]), st.integers(0, 3))
activations = st.sampled_from(list(nodes.get("Conv2D").param("activation").choices))


def oracle(graph: Graph, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """(output shape without batch, parameter count, MACs at batch 1) measured in torch."""
    model = compile_graph(graph, seed=0).eval()
    x = torch.randn(2, *input_shape)
    with torch.inference_mode():
        out = model(x)
        with FlopCounterMode(display=False) as counter:
            model(x[:1])
    params = sum(p.numel() for p in model.parameters())
    return tuple(out.shape[1:]), params, counter.get_total_flops() // 2


def single_layer(type_name: str, params: dict[str, Any], shape: tuple[int, ...]) -> Graph:
    graph = Graph("probe")
    if len(shape) == 3:
        graph.add_node("Input", "x", {"channels": shape[0], "height": shape[1], "width": shape[2]})
        source = "x"
    else:  # a vector: Input -> Flatten
        graph.add_node("Input", "x", {"channels": shape[0], "height": 1, "width": 1})
        graph.add_node("Flatten", "flat", {}, ["x"])
        source = "flat"
    graph.add_node(type_name, "layer", params, [source])
    return graph


def assert_matches_torch(graph: Graph, input_shape: tuple[int, ...]) -> None:
    report = infer(graph)
    assert report.ok, report.problems
    shape, params, macs = oracle(graph, input_shape)
    assert report.output_shape == shape
    assert report.total_params == params
    assert report.total_macs == macs


def expect_valid_or_explained(graph: Graph, input_shape: tuple[int, ...]) -> None:
    """Either the rules match torch, or the analytic error is a genuine impossibility."""
    report = infer(graph)
    layer = report.results["layer"]
    if layer.status is Status.ERROR:
        assert layer.error is not None
        assert "kernel" in layer.error
        assert "larger than" in layer.error
        with pytest.raises(RuntimeError):
            oracle_without_checks(graph)
        return
    assert_matches_torch(graph, input_shape)


def oracle_without_checks(graph: Graph) -> None:
    """Build and run the layer's torch module directly, bypassing our validation."""
    node = graph.nodes["layer"]
    spec = nodes.get(node.type)
    source = graph.nodes["x"].params
    shape = (int(source["channels"]), int(source["height"]), int(source["width"]))
    module = spec.build(node.params, [shape])
    module(torch.zeros(1, *shape))


@SETTINGS
@given(c=channels, h=sizes, w=sizes, filters=st.integers(1, 16), kernel=kernels,
       stride=strides, padding=paddings, activation=activations, bias=st.booleans())
def test_conv2d_matches_torch(c: int, h: int, w: int, filters: int, kernel: Any, stride: Any,
                              padding: Any, activation: str, bias: bool) -> None:
    params = {"filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
              "activation": activation, "bias": bias}
    expect_valid_or_explained(single_layer("Conv2D", params, (c, h, w)), (c, h, w))


@SETTINGS
@given(kind=st.sampled_from(["MaxPool2D", "AvgPool2D"]), c=channels, h=sizes, w=sizes,
       kernel=kernels, stride=strides, padding=paddings)
def test_pooling_matches_torch(kind: str, c: int, h: int, w: int, kernel: Any, stride: Any,
                               padding: Any) -> None:
    params = {"kernel": kernel, "stride": stride, "padding": padding}
    expect_valid_or_explained(single_layer(kind, params, (c, h, w)), (c, h, w))


@SETTINGS
@given(c=channels, h=sizes, w=sizes, stride=st.integers(1, 4), kernel=st.integers(1, 8))
def test_same_padding_is_tensorflow_semantics(c: int, h: int, w: int, stride: int,
                                               kernel: int) -> None:
    """Same gives ceil(size / stride) for odd and even kernels and every stride."""
    graph = single_layer("Conv2D", {"filters": 3, "kernel": kernel, "stride": stride,
                                    "padding": "Same"}, (c, h, w))
    shape, _, _ = oracle(graph, (c, h, w))
    assert shape == (3, math.ceil(h / stride), math.ceil(w / stride))
    # TensorFlow's formula, written independently of nodes.geometry:
    pad_h = max((math.ceil(h / stride) - 1) * stride + kernel - h, 0)
    assert (h + pad_h - kernel) // stride + 1 == shape[1]
    assert infer(graph).output_shape == shape


@SETTINGS
@given(c=channels, h=sizes, w=sizes, kind=st.sampled_from(
    ["BatchNorm2D", "Dropout", "Flatten", "GlobalAvgPool2D", "Activation"]),
    function=activations, rate=st.floats(0, 0.9), momentum=st.floats(0, 1))
def test_shape_preserving_layers_match_torch(c: int, h: int, w: int, kind: str, function: str,
                                             rate: float, momentum: float) -> None:
    params: dict[str, Any] = {
        "BatchNorm2D": {"momentum": momentum}, "Dropout": {"rate": rate},
        "Activation": {"function": function},
    }.get(kind, {})
    assert_matches_torch(single_layer(kind, params, (c, h, w)), (c, h, w))


@SETTINGS
@given(features=st.integers(1, 64), units=st.integers(1, 64), activation=activations,
       bias=st.booleans())
def test_dense_matches_torch(features: int, units: int, activation: str, bias: bool) -> None:
    graph = single_layer("Dense", {"units": units, "activation": activation, "bias": bias},
                         (features,))
    assert_matches_torch(graph, (features, 1, 1))


@SETTINGS
@given(c1=channels, c2=channels, c3=channels, h=sizes, w=sizes, three=st.booleans())
def test_merge_layers_match_torch(c1: int, c2: int, c3: int, h: int, w: int,
                                  three: bool) -> None:
    for kind in ("Add", "Concat"):
        graph = Graph("merge")
        graph.add_node("Input", "x", {"channels": c1, "height": h, "width": w})
        widths = [c2, c3] if kind == "Concat" else [c2, c2]
        branches = []
        for index, filters in enumerate(widths + ([c3 if kind == "Concat" else c2] if three
                                                  else [])):
            graph.add_node("Conv2D", f"b{index}", {"filters": filters, "kernel": 1}, ["x"])
            branches.append(f"b{index}")
        graph.add_node(kind, "layer", {}, branches)
        assert_matches_torch(graph, (c1, h, w))


@st.composite
def chains(draw: st.DrawFn) -> tuple[Graph, tuple[int, int, int]]:
    """Random Conv/Pool/BN/Activation chains ending in Flatten -> Dense."""
    shape = (draw(channels), draw(st.integers(8, 32)), draw(st.integers(8, 32)))
    graph = Graph("chain")
    graph.add_node("Input", "x", dict(zip(("channels", "height", "width"), shape, strict=True)))
    previous = "x"
    for index in range(draw(st.integers(3, 8))):
        kind = draw(st.sampled_from(["Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm2D",
                                     "Activation", "Dropout"]))
        params: dict[str, Any] = {}
        if kind == "Conv2D":
            params = {"filters": draw(st.integers(1, 8)), "kernel": draw(st.integers(1, 3)),
                      "padding": "Same", "stride": draw(st.integers(1, 2))}
        elif kind.endswith("Pool2D"):
            params = {"kernel": 2, "stride": draw(st.integers(1, 2)), "padding": "Same"}
        graph.add_node(kind, f"n{index}", params, [previous])
        previous = f"n{index}"
    graph.add_node("Flatten", "flat", {}, [previous])
    graph.add_node("Dense", "out", {"units": draw(st.integers(1, 10))}, ["flat"])
    return graph, shape


@settings(deadline=None, max_examples=25, derandomize=True)
@given(chains())
def test_random_chains_match_torch(case: tuple[Graph, tuple[int, int, int]]) -> None:
    graph, shape = case
    assert isinstance(compile_graph(graph), torch.nn.Sequential)
    assert_matches_torch(graph, shape)


@st.composite
def residual_graphs(draw: st.DrawFn) -> tuple[Graph, tuple[int, int, int]]:
    """Random stacks of residual (Add) and inception-like (Concat) blocks."""
    c = draw(st.integers(1, 6))
    shape = (c, draw(st.integers(4, 24)), draw(st.integers(4, 24)))
    graph = Graph("branchy")
    graph.add_node("Input", "x", dict(zip(("channels", "height", "width"), shape, strict=True)))
    previous, width = "x", c
    for index in range(draw(st.integers(1, 4))):
        stride = draw(st.integers(1, 2))
        a, b = f"a{index}", f"b{index}"
        if draw(st.booleans()):
            out = draw(st.integers(1, 8))
            graph.add_node("Conv2D", a, {"filters": out, "kernel": 3, "padding": "Same",
                                         "stride": stride}, [previous])
            graph.add_node("Conv2D", b, {"filters": out, "kernel": 1, "stride": stride},
                           [previous])
            graph.add_node("Add", f"m{index}", {}, [a, b])
            width = out
        else:
            wa = draw(st.integers(1, 6))
            graph.add_node("Conv2D", a, {"filters": wa, "kernel": 3, "padding": "Same",
                                         "stride": stride}, [previous])
            graph.add_node("MaxPool2D", b, {"kernel": 3, "stride": stride, "padding": "Same"},
                           [previous])
            graph.add_node("Concat", f"m{index}", {}, [a, b])
            width = wa + width
        previous = f"m{index}"
    graph.add_node("GlobalAvgPool2D", "gap", {}, [previous])
    graph.add_node("Dense", "out", {"units": 3}, ["gap"])
    return graph, shape


@settings(deadline=None, max_examples=25, derandomize=True)
@given(residual_graphs())
def test_random_branchy_graphs_match_torch(case: tuple[Graph, tuple[int, int, int]]) -> None:
    graph, shape = case
    assert isinstance(compile_graph(graph), torch.fx.GraphModule)
    assert_matches_torch(graph, shape)


def test_every_layer_type_is_covered_by_a_property_test() -> None:
    covered = {"Input", "Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm2D", "Dropout", "Flatten",
               "GlobalAvgPool2D", "Activation", "Dense", "Add", "Concat"}
    assert set(nodes.type_names()) == covered, "add the new layer type to these tests"


def test_kernel_too_large_error_matches_torch_refusal() -> None:
    shape = (1, 3, 3)
    graph = single_layer("Conv2D", {"filters": 2, "kernel": 5}, shape)
    report = infer(graph)
    assert report.results["layer"].error == (
        "Conv2D 'layer': kernel 5x5 is larger than its input 3x3 — "
        "reduce Kernel or use Padding Same"
    )
    assert report.results["layer"].param == "kernel"
    with pytest.raises(RuntimeError):
        oracle_without_checks(graph)
