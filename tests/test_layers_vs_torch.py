"""Every analytic rule (shape, parameters, MACs, memory) against real torch.

Hypothesis draws layer configurations, input sizes and whole graphs; torch judges
them three ways. The compiled model itself: forward hooks give every node's shape,
``numel`` its parameters and ``FlopCounterMode`` its FLOPs (MACs = FLOPs / 2, the
definition in ``LayerSpec``). torch's functional ops fed with padding computed here
from TensorFlow's formula, so builders are checked value by value, not just by
shape. And torch's native padded layers, wherever torch supports the setting.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the conventional alias
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

import nodes
from graph_io import Graph, NodeResult, Status, infer
from graph_io.compiler import compile_graph
from graph_io.model import Node
from nodes.geometry import same_padding
from nodes.spec import Shape

BATCH = 2
SETTINGS = settings(
    deadline=None, max_examples=60, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

sizes = st.integers(1, 40)
channels = st.integers(1, 8)
kernels = st.one_of(st.integers(1, 7), st.lists(st.integers(1, 7), min_size=2, max_size=2))
strides = st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=2))
paddings = st.one_of(st.sampled_from(["None", "Same"]), st.integers(0, 3))
TORCH_SAME: Any = "same"  # F.conv2d accepts it; its type stubs do not
ACTIVATIONS = nodes.get("Conv2D").param("activation").choices

REFERENCE_ACTIVATION: dict[str, Callable[[Tensor, float], Tensor]] = {
    "None": lambda t, a: t,
    "ReLU": lambda t, a: F.relu(t),
    "LeakyReLU": lambda t, a: torch.where(t >= 0, t, a * t),
    "ELU": lambda t, a: torch.where(t > 0, t, a * (torch.exp(t) - 1)),
    "GELU": lambda t, a: 0.5 * t * (1 + torch.erf(t / math.sqrt(2))),
    "SiLU": lambda t, a: t * torch.sigmoid(t),
    "Hardswish": lambda t, a: t * torch.clamp(t + 3, 0, 6) / 6,
    "Sigmoid": lambda t, a: torch.sigmoid(t),
    "Hardsigmoid": lambda t, a: torch.clamp(t / 6 + 0.5, 0, 1),
    "Tanh": lambda t, a: torch.tanh(t),
    "Softmax": lambda t, a: F.softmax(t, dim=1),
    "LogSoftmax": lambda t, a: F.log_softmax(t, dim=1),
}
"""Each function written out from its definition, ``a`` its slope or alpha."""


@st.composite
def activations(draw: st.DrawFn, key: str = "activation") -> dict[str, Any]:
    """A function with, for LeakyReLU and ELU, a setting of its own now and then."""
    function = draw(st.sampled_from(ACTIVATIONS))
    params: dict[str, Any] = {key: function}
    if function == "LeakyReLU" and draw(st.booleans()):
        params["negative_slope"] = draw(st.sampled_from([0.0, 0.1, 0.2, 1.5]))
    if function == "ELU" and draw(st.booleans()):
        params["alpha"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
    return params


def reference_activation(params: dict[str, Any], key: str = "activation") -> Any:
    function = str(params.get(key, "None"))
    setting = float(params.get("negative_slope", 0.01) if function == "LeakyReLU" else 1.0)
    if function == "ELU":
        setting = float(params.get("alpha", 1.0))
    return lambda t: REFERENCE_ACTIVATION[function](t, setting)


# ---- torch as the oracle --------------------------------------------------------------
@dataclass
class Measured:
    """What torch reports for each node of a compiled graph, per sample."""

    model: nn.Module
    shapes: dict[str, Shape]
    params: dict[str, int]
    macs: dict[str, int]
    output: Shape
    total_macs: int


def per_sample_macs(flops: int) -> int:
    assert flops % (2 * BATCH) == 0, flops
    return flops // (2 * BATCH)


def measure(graph: Graph, input_shape: Shape) -> Measured:
    model = compile_graph(graph, seed=0).eval()
    children = dict(model.named_children())
    shapes = {nid: input_shape for nid, node in graph.nodes.items() if node.type == "Input"}

    def recorder(nid: str) -> Callable[[nn.Module, Any, Tensor], None]:
        def hook(module: nn.Module, args: Any, output: Tensor) -> None:
            shapes[nid] = tuple(output.shape[1:])

        return hook

    for nid, child in children.items():
        child.register_forward_hook(recorder(nid))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(BATCH, *input_shape))
    flops = counter.get_flop_counts()
    root = type(model).__name__
    return Measured(
        model,
        shapes,
        {
            nid: sum(p.numel() for p in children[nid].parameters()) if nid in children else 0
            for nid in graph.nodes
        },
        {nid: per_sample_macs(sum(flops.get(f"{root}.{nid}", {}).values())) for nid in graph.nodes},
        tuple(out.shape[1:]),
        per_sample_macs(counter.get_total_flops()),
    )


def assert_matches_torch(graph: Graph, input_shape: Shape) -> nn.Module:
    """Every node's shape, parameters, MACs and memory equal what torch measures."""
    report = infer(graph)
    assert report.ok, [p.message for p in report.problems]
    torch_says = measure(graph, input_shape)
    for nid, result in report.results.items():
        assert result.shape == torch_says.shapes[nid], nid
        assert result.params == torch_says.params[nid], nid
        assert result.macs == torch_says.macs[nid], nid
        assert result.memory == math.prod(torch_says.shapes[nid]) * 4, nid
    assert report.output_shape == torch_says.output
    assert report.total_params == sum(p.numel() for p in torch_says.model.parameters())
    assert report.total_macs == torch_says.total_macs
    return torch_says.model


def single_layer(type_name: str, params: dict[str, Any], shape: Shape) -> Graph:
    """Input -> layer; a 1-D ``shape`` is made by Input(n x 1 x 1) -> Flatten."""
    graph = Graph("probe")
    source = "x"
    graph.add_node(
        "Input",
        "x",
        {
            "channels": shape[0],
            "height": shape[1] if len(shape) > 1 else 1,
            "width": shape[2] if len(shape) > 1 else 1,
        },
    )
    if len(shape) == 1:
        graph.add_node("Flatten", "flat", {}, ["x"])
        source = "flat"
    graph.add_node(type_name, "layer", params, [source])
    return graph


def input_shape(graph: Graph) -> Shape:
    params: dict[str, Any] = graph.nodes["x"].params
    return (params["channels"], params["height"], params["width"])


# ---- independent references for sliding windows --------------------------------------
def as_pair(value: Any) -> tuple[int, int]:
    return (value[0], value[1]) if isinstance(value, list) else (value, value)


def explicit_padding(padding: object) -> int:
    """Pixels per side for None or an integer (Same is handled separately)."""
    return padding if isinstance(padding, int) else 0


def conv_of(module: nn.Module) -> nn.Conv2d:
    conv = module.get_submodule("conv")
    assert isinstance(conv, nn.Conv2d)
    return conv


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME rule, written out here independently of nodes.geometry."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def reference_pads(node: Node, height: int, width: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom), the order F.pad takes."""
    padding = node.params["padding"]
    (kh, kw), (sh, sw) = as_pair(node.params["kernel"]), as_pair(node.params["stride"])
    (dh, dw) = as_pair(node.params.get("dilation", 1))
    kh, kw = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # the span a dilated kernel covers
    if padding == "Same":
        return (*tf_same_padding(width, kw, sw), *tf_same_padding(height, kh, sh))
    amount = explicit_padding(padding)
    return amount, amount, amount, amount


def reference_forward(node: Node, module: nn.Module, x: Tensor) -> Tensor:
    """The layer computed with torch.nn.functional on explicitly padded input."""
    kernel, stride = as_pair(node.params["kernel"]), as_pair(node.params["stride"])
    pads = reference_pads(node, x.shape[2], x.shape[3])
    if node.type == "Conv2D":
        conv = conv_of(module)
        y = F.conv2d(
            F.pad(x, pads),
            conv.weight,
            conv.bias,
            stride=stride,
            dilation=as_pair(node.params["dilation"]),
            groups=reference_groups(node, x.shape[1]),
        )
        return reference_activation(node.params)(y)
    if node.type == "MaxPool2D":
        return F.max_pool2d(F.pad(x, pads, value=-math.inf), kernel, stride)
    return F.avg_pool2d(F.pad(x, pads), kernel, stride)


def native_forward(node: Node, module: nn.Module, x: Tensor) -> Tensor | None:
    """torch's own padded layer, or None where torch has no equivalent setting."""
    padding, kernel = node.params["padding"], as_pair(node.params["kernel"])
    stride = as_pair(node.params["stride"])
    if node.type == "Conv2D":
        conv = conv_of(module)
        dilation = as_pair(node.params["dilation"])
        groups = reference_groups(node, x.shape[1])
        if padding == "Same":  # torch's 'same' is only defined for stride 1
            with warnings.catch_warnings():  # even kernels: torch notes it pads a copy
                warnings.simplefilter("ignore", UserWarning)
                y = (
                    F.conv2d(
                        x,
                        conv.weight,
                        conv.bias,
                        padding=TORCH_SAME,
                        dilation=dilation,
                        groups=groups,
                    )
                    if stride == (1, 1)
                    else None
                )
        else:
            amount = explicit_padding(padding)
            y = F.conv2d(
                x, conv.weight, conv.bias, stride, amount, dilation=dilation, groups=groups
            )
        return None if y is None else reference_activation(node.params)(y)
    pool_pad = explicit_padding(padding)
    if padding == "Same" or 2 * pool_pad > min(kernel):  # torch pools need pad <= k/2
        return None
    if node.type == "MaxPool2D":
        return F.max_pool2d(x, kernel, stride, padding=pool_pad)
    return F.avg_pool2d(x, kernel, stride, padding=pool_pad, count_include_pad=True)


def native_window(
    kind: str, x: Tensor, kernel: tuple[int, int], stride: tuple[int, int], padding: int
) -> Tensor:
    if kind == "Conv2D":
        return F.conv2d(x, torch.zeros(1, x.shape[1], *kernel), stride=stride, padding=padding)
    return F.max_pool2d(x, kernel, stride, padding=padding)


def reference_groups(node: Node, channels: int) -> int:
    return channels if node.params.get("depthwise") else int(node.params.get("groups", 1))


def assert_refusal_is_genuine(node: Node, shape: Shape, result: NodeResult) -> None:
    """An analytic error must describe a configuration torch refuses as well."""
    kernel, stride = as_pair(node.params["kernel"]), as_pair(node.params["stride"])
    padding = node.params["padding"]
    x = torch.zeros(1, *shape)
    if result.param in ("groups", "filters"):
        groups = reference_groups(node, shape[0])
        if node.params["depthwise"] and node.params["groups"] != 1:
            assert "Depthwise already" in (result.error or "")
            return  # two spellings of the groups: refused to keep one meaning
        with pytest.raises(ValueError, match="divisible by groups"):
            nn.Conv2d(shape[0], node.params["filters"], kernel, groups=groups)
        return
    if result.param in ("negative_slope", "alpha"):
        function = {"negative_slope": "LeakyReLU", "alpha": "ELU"}[result.param]
        assert node.params["activation"] != function
        assert f"applies to {function} only" in (result.error or "")
        return
    assert padding != "Same", "Same padding never fails"
    amount = explicit_padding(padding)
    if result.param == "dilation":
        dilation = as_pair(node.params["dilation"])
        span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True)]
        assert span[0] > shape[1] + 2 * amount or span[1] > shape[2] + 2 * amount
        with pytest.raises((RuntimeError, ValueError)):
            nodes.get(node.type).build(node.params, [shape])(x)
        with pytest.raises(RuntimeError):
            F.conv2d(x, torch.zeros(1, shape[0], *kernel), padding=amount, dilation=dilation)
        return
    if result.param == "kernel":
        assert result.error is not None
        assert "is larger than its" in result.error
        assert kernel[0] > shape[1] + 2 * amount or kernel[1] > shape[2] + 2 * amount
        with pytest.raises((RuntimeError, ValueError)):  # ValueError: bad groups as well
            nodes.get(node.type).build(node.params, [shape])(x)
        with pytest.raises(RuntimeError):
            native_window(node.type, x, kernel, stride, amount)
        return
    assert result.param == "padding"
    assert node.type in ("MaxPool2D", "AvgPool2D")
    assert amount >= min(kernel)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, kernel, stride, padding=amount)


def check_sliding_layer(type_name: str, params: dict[str, Any], shape: Shape) -> None:
    graph = single_layer(type_name, params, shape)
    node, result = graph.nodes["layer"], infer(graph).results["layer"]
    event(f"refused ({result.param})" if result.status is Status.ERROR else "built")
    if result.status is Status.ERROR:
        assert_refusal_is_genuine(node, shape, result)
        return
    model = assert_matches_torch(graph, shape)
    module = model.get_submodule("layer")
    x = torch.randn(BATCH, *shape)
    with torch.no_grad():
        ours = model(x)
        assert torch.isfinite(ours).all(), "a window saw only padding"
        torch.testing.assert_close(ours, reference_forward(node, module, x))
        native = native_forward(node, module, x)
        if native is not None:
            torch.testing.assert_close(ours, native)


# ---- single layers ----------------------------------------------------------------------
def divisors(number: int) -> list[int]:
    return [d for d in range(1, number + 1) if number % d == 0]


@SETTINGS
@given(
    data=st.data(),
    c=channels,
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=strides,
    padding=paddings,
    dilation=st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
    activation=activations(),
    bias=st.booleans(),
)
def test_conv2d_matches_torch(
    data: st.DataObject,
    c: int,
    h: int,
    w: int,
    kernel: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    activation: dict[str, Any],
    bias: bool,
) -> None:
    """Every combination of groups (or depthwise), dilation, stride and padding."""
    grouping = data.draw(st.sampled_from(["plain", "grouped", "depthwise", "any"]))
    groups, depthwise = 1, grouping == "depthwise"
    if grouping == "grouped":
        groups = data.draw(st.sampled_from(divisors(c)))
    elif grouping == "any":  # mostly invalid: the refusal must match torch's
        groups = data.draw(st.integers(1, 8))
    per_group = data.draw(st.integers(1, 3))
    filters = per_group * (c if depthwise else groups)
    if grouping == "any":
        filters = data.draw(st.integers(1, 16))
    params = {
        "filters": filters,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "depthwise": depthwise,
        "bias": bias,
        **activation,
    }
    if data.draw(st.integers(0, 9)) == 0:  # a setting the function would ignore
        params["negative_slope" if activation["activation"] != "LeakyReLU" else "alpha"] = 0.5
    check_sliding_layer("Conv2D", params, (c, h, w))


@SETTINGS
@given(
    kind=st.sampled_from(["MaxPool2D", "AvgPool2D"]),
    c=channels,
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=strides,
    padding=paddings,
)
def test_pooling_matches_torch(
    kind: str, c: int, h: int, w: int, kernel: Any, stride: Any, padding: Any
) -> None:
    check_sliding_layer(kind, {"kernel": kernel, "stride": stride, "padding": padding}, (c, h, w))


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5, 6, 7])
@settings(deadline=None, max_examples=5, derandomize=True)
@given(
    kind=st.sampled_from(["Conv2D", "MaxPool2D", "AvgPool2D"]),
    c=channels,
    h=sizes,
    w=sizes,
    kernel_w=st.integers(1, 7),
    stride_w=st.integers(1, 4),
    dilation=st.lists(st.integers(1, 3), min_size=2, max_size=2),
)
def test_same_padding_is_tensorflow_semantics(
    stride: int,
    kernel: int,
    kind: str,
    c: int,
    h: int,
    w: int,
    kernel_w: int,
    stride_w: int,
    dilation: list[int],
) -> None:
    """Same gives ceil(size / stride) for odd and even kernels, every stride and, for
    Conv2D, every dilation (TensorFlow pads for the span the dilated kernel covers)."""
    params: dict[str, Any] = {
        "kernel": [kernel, kernel_w],
        "stride": [stride, stride_w],
        "padding": "Same",
    }
    if kind == "Conv2D":
        params |= {"filters": 3, "dilation": dilation}
    else:
        dilation = [1, 1]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, (kernel, kernel_w), strict=True)]
    graph = single_layer(kind, params, (c, h, w))
    out = infer(graph).output_shape
    assert out is not None
    assert out[1:] == (math.ceil(h / stride), math.ceil(w / stride_w))
    for size, k, s, got in ((h, spans[0], stride, out[1]), (w, spans[1], stride_w, out[2])):
        before, after = tf_same_padding(size, k, s)
        assert same_padding(size, k, s) == (before, after)
        assert (size + before + after - k) // s + 1 == got
    check_sliding_layer(kind, params, (c, h, w))  # sizes and values against torch


@SETTINGS
@given(
    c=channels,
    h=sizes,
    w=sizes,
    vector=st.booleans(),
    kind=st.sampled_from(["BatchNorm2D", "Dropout", "Flatten", "GlobalAvgPool2D", "Activation"]),
    function=activations("function"),
    rate=st.floats(0, 0.9),
    momentum=st.floats(0, 1),
    eps=st.floats(1e-8, 1e-2),
)
def test_parameter_free_and_norm_layers_match_torch(
    c: int,
    h: int,
    w: int,
    vector: bool,
    kind: str,
    function: dict[str, Any],
    rate: float,
    momentum: float,
    eps: float,
) -> None:
    table: dict[str, dict[str, Any]] = {
        "BatchNorm2D": {"momentum": momentum, "eps": eps},
        "Dropout": {"rate": rate},
        "Activation": function,
    }
    params = table.get(kind, {})
    vector = vector and kind in ("Dropout", "Flatten", "Activation")
    shape = (c * h,) if vector else (c, h, w)
    graph = single_layer(kind, params, shape)
    model = assert_matches_torch(graph, input_shape(graph))
    x = torch.randn(BATCH, *input_shape(graph))
    source = x.flatten(1) if vector else x
    expected: Callable[[Tensor], Tensor] = {
        "Dropout": lambda t: t,
        "Flatten": lambda t: t.flatten(1),
        "GlobalAvgPool2D": lambda t: t.mean(dim=(2, 3)),
        "Activation": reference_activation(function, "function"),
        "BatchNorm2D": lambda t: t / math.sqrt(1 + eps),  # fresh running stats: 0 and 1
    }[kind]
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected(source))
    if kind == "BatchNorm2D":
        assert model.get_submodule("layer").momentum == pytest.approx(momentum)


@SETTINGS
@given(
    features=st.integers(1, 64),
    units=st.integers(1, 64),
    activation=activations(),
    bias=st.booleans(),
)
def test_dense_matches_torch(
    features: int, units: int, activation: dict[str, Any], bias: bool
) -> None:
    graph = single_layer("Dense", {"units": units, "bias": bias, **activation}, (features,))
    model = assert_matches_torch(graph, (features, 1, 1))
    linear = model.get_submodule("layer.linear")
    assert isinstance(linear, nn.Linear)
    x = torch.randn(BATCH, features, 1, 1)
    with torch.no_grad():
        expected = reference_activation(activation)(
            F.linear(x.flatten(1), linear.weight, linear.bias)
        )
        torch.testing.assert_close(model(x), expected)


@pytest.mark.parametrize(
    "kind", ["Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm2D", "GlobalAvgPool2D"]
)
def test_image_layers_refuse_vectors_like_torch(kind: str) -> None:
    result = infer(single_layer(kind, {}, (6,))).results["layer"]
    assert result.status is Status.ERROR
    assert "CxHxW" in (result.error or "")
    native = {
        "Conv2D": nn.Conv2d(6, 3, 1),
        "MaxPool2D": nn.MaxPool2d(2),
        "AvgPool2D": nn.AvgPool2d(2),
        "BatchNorm2D": nn.BatchNorm2d(6),
        "GlobalAvgPool2D": nn.AdaptiveAvgPool2d(1),
    }[kind]
    try:
        out = native(torch.randn(BATCH, 6))
    except (RuntimeError, IndexError, ValueError):
        return
    assert out.shape[0] != BATCH, "torch ran it per sample, so the refusal is wrong"


def test_dense_refuses_images_which_torch_would_misread() -> None:
    result = infer(single_layer("Dense", {"units": 4}, (3, 5, 5))).results["layer"]
    assert "insert a Flatten" in (result.error or "")
    out = nn.Linear(3, 4)(torch.randn(BATCH, 3, 5, 3))  # torch maps the last axis only
    assert out.dim() == 4


@SETTINGS
@given(
    data=st.data(),
    kind=st.sampled_from(["Add", "Concat"]),
    c=channels,
    h=st.integers(1, 16),
    w=st.integers(1, 16),
    branches=st.integers(2, 3),
    vectors=st.booleans(),
)
def test_merge_layers_match_torch(
    data: st.DataObject, kind: str, c: int, h: int, w: int, branches: int, vectors: bool
) -> None:
    """Equal shapes merge as torch does; unequal ones are refused, as torch.cat does."""
    graph = Graph("merge")
    graph.add_node("Input", "x", {"channels": c, "height": h, "width": w})
    ids = []
    for index in range(branches):
        ids.append(f"b{index}")
        graph.add_node(
            "Conv2D",
            f"b{index}",
            {
                "filters": data.draw(st.integers(1, 3)),
                "kernel": 1,
                "stride": data.draw(st.sampled_from([1, 1, 1, 2])),
            },
            ["x"],
        )
        if vectors:
            graph.add_node("GlobalAvgPool2D", f"v{index}", {}, [f"b{index}"])
            ids[-1] = f"v{index}"
    graph.add_node(kind, "layer", {}, ids)
    report = infer(graph)
    shapes = [report.results[i].shape for i in ids]
    mergeable = len(set(shapes)) == 1 if kind == "Add" else len({s[1:] for s in shapes if s}) == 1
    if mergeable:
        assert_matches_torch(graph, (c, h, w))
        return
    result = report.results["layer"]
    assert result.status is Status.ERROR
    assert "input 1 is" in (result.error or "")
    if kind == "Concat":
        with pytest.raises(RuntimeError):
            torch.cat([torch.zeros(BATCH, *s) for s in shapes if s], dim=1)


@SETTINGS
@given(
    kind=st.sampled_from(["AdaptiveAvgPool2D", "AdaptiveMaxPool2D"]),
    c=channels,
    h=sizes,
    w=sizes,
    output_size=st.one_of(st.integers(1, 9), st.lists(st.integers(1, 9), min_size=2, max_size=2)),
)
def test_adaptive_pools_match_torch(kind: str, c: int, h: int, w: int, output_size: Any) -> None:
    """Any output size, dividing the input or not, larger than it or not."""
    graph = single_layer(kind, {"output_size": output_size}, (c, h, w))
    model = assert_matches_torch(graph, (c, h, w))
    x = torch.randn(BATCH, c, h, w)
    oh, ow = as_pair(output_size)
    # torch's regions, written out: [floor(i*s/n), ceil((i+1)*s/n)) on each axis
    rows = [(i * h // oh, -(-(i + 1) * h // oh)) for i in range(oh)]
    cols = [(j * w // ow, -(-(j + 1) * w // ow)) for j in range(ow)]
    reduce = (lambda t: t.mean(dim=(2, 3))) if "Avg" in kind else (lambda t: t.amax(dim=(2, 3)))
    expected = torch.stack(
        [torch.stack([reduce(x[:, :, r0:r1, c0:c1]) for c0, c1 in cols], -1) for r0, r1 in rows],
        -2,
    )
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


@SETTINGS
@given(
    data=st.data(),
    c=channels,
    h=st.integers(1, 8),
    w=st.integers(1, 8),
    branches=st.integers(2, 3),
)
def test_multiply_broadcasts_like_torch(
    data: st.DataObject, c: int, h: int, w: int, branches: int
) -> None:
    """Each branch keeps or squeezes each axis; Multiply accepts exactly what torch
    broadcasts, with torch's result shape and values."""
    graph = Graph("gates")
    graph.add_node("Input", "x", {"channels": c, "height": h, "width": w})
    shapes: list[Shape] = []
    for index in range(branches):
        size = [data.draw(st.sampled_from([h, 1])), data.draw(st.sampled_from([w, 1]))]
        filters = data.draw(st.sampled_from([c, 1, c + 1]))
        graph.add_node("AdaptiveMaxPool2D", f"p{index}", {"output_size": size}, ["x"])
        graph.add_node("Conv2D", f"b{index}", {"filters": filters, "kernel": 1}, [f"p{index}"])
        shapes.append((filters, *size))
    graph.add_node("Multiply", "layer", {}, [f"b{i}" for i in range(branches)])
    result = infer(graph).results["layer"]
    try:
        broadcast = tuple(torch.broadcast_shapes(*[(BATCH, *s) for s in shapes])[1:])
    except RuntimeError:
        assert result.status is Status.ERROR
        assert "sizes agree or are 1" in (result.error or "")
        return
    assert result.shape == broadcast
    model = assert_matches_torch(graph, (c, h, w))
    x = torch.randn(BATCH, c, h, w)
    with torch.no_grad():
        branch = [
            model.get_submodule(f"b{i}")(model.get_submodule(f"p{i}")(x)) for i in range(branches)
        ]
        torch.testing.assert_close(model(x), math.prod(branch[1:], start=branch[0]))


def test_multiply_refuses_a_vector_gate_torch_would_misalign() -> None:
    graph = Graph("gate")
    graph.add_node("Input", "x", {"channels": 4, "height": 4, "width": 4})
    graph.add_node("GlobalAvgPool2D", "gap", {}, ["x"])
    graph.add_node("Multiply", "layer", {}, ["x", "gap"])
    result = infer(graph).results["layer"]
    assert "same rank" in (result.error or "")
    # torch pairs the C vector with the width axis, not the channels
    x = torch.arange(4.0).expand(1, 4, 4, 4)
    gate = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    assert not torch.equal(x * gate, x * gate[:, :, None, None])


@SETTINGS
@given(
    data=st.data(),
    c=channels,
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    kernel=kernels,
    stride=strides,
    padding=st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2)),
    dilation=st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
    output_padding=st.one_of(
        st.integers(0, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2)
    ),
    activation=activations(),
    bias=st.booleans(),
)
def test_conv_transpose2d_matches_torch(
    data: st.DataObject,
    c: int,
    h: int,
    w: int,
    kernel: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    output_padding: Any,
    activation: dict[str, Any],
    bias: bool,
) -> None:
    """Sizes, counts and values as torch's; every refusal is one torch makes too."""
    grouping = data.draw(st.sampled_from(["plain", "grouped", "depthwise"]))
    groups = data.draw(st.sampled_from(divisors(c))) if grouping == "grouped" else 1
    per = data.draw(st.integers(1, 3))
    params = {
        "filters": per * (c if grouping == "depthwise" else groups),
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
        "depthwise": grouping == "depthwise",
        "bias": bias,
        **activation,
    }
    graph = single_layer("ConvTranspose2D", params, (c, h, w))
    result = infer(graph).results["layer"]
    x = torch.randn(BATCH, c, h, w)
    real_groups = c if grouping == "depthwise" else groups
    weight = torch.randn(c, params["filters"] // real_groups, *as_pair(kernel))

    def native() -> Tensor:
        return F.conv_transpose2d(
            x,
            weight,
            stride=as_pair(stride),
            padding=as_pair(padding),
            output_padding=as_pair(output_padding),
            groups=real_groups,
            dilation=as_pair(dilation),
        )

    event(f"refused ({result.param})" if result.status is Status.ERROR else "built")
    if result.status is Status.ERROR:
        assert result.param in ("output_padding", "padding")
        try:
            empty = native().numel() == 0  # torch's answer to a fully cropped output
        except RuntimeError:
            empty = True
        assert empty
        return
    model = assert_matches_torch(graph, (c, h, w))
    conv = model.get_submodule("layer.conv")
    assert isinstance(conv, nn.ConvTranspose2d)
    with torch.no_grad():
        conv.weight.copy_(weight)
        expected = native() + (0 if conv.bias is None else conv.bias[:, None, None])
        torch.testing.assert_close(model(x), reference_activation(params)(expected))


@SETTINGS
@given(
    c=channels,
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    mode=st.sampled_from(["nearest", "bilinear"]),
    align=st.booleans(),
    by_size=st.booleans(),
    scale=st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=2)),
    size=st.lists(st.integers(1, 20), min_size=2, max_size=2),
)
def test_upsample_matches_torch(
    c: int, h: int, w: int, mode: str, align: bool, by_size: bool, scale: Any, size: list[int]
) -> None:
    align = align and mode == "bilinear"
    params: dict[str, Any] = {"mode": mode, "align_corners": align}
    if by_size:
        params |= {"by": "Size", "size": size}
    else:
        params |= {"by": "Scale", "scale": scale}
    graph = single_layer("Upsample", params, (c, h, w))
    model = assert_matches_torch(graph, (c, h, w))
    x = torch.randn(BATCH, c, h, w)
    target = tuple(size) if by_size else (h * as_pair(scale)[0], w * as_pair(scale)[1])
    with torch.no_grad():
        expected = F.interpolate(
            x, size=target, mode=mode, align_corners=align if mode == "bilinear" else None
        )
        torch.testing.assert_close(model(x), expected)


def test_upsample_refuses_settings_its_mode_ignores() -> None:
    cases = {
        "align_corners": {"mode": "nearest", "align_corners": True},
        "size": {"by": "Scale", "size": 8},
        "scale": {"by": "Size", "scale": 3},
    }
    for param, params in cases.items():
        result = infer(single_layer("Upsample", params, (2, 4, 4))).results["layer"]
        assert result.param == param, result.error
    with pytest.raises(ValueError, match="align_corners"):  # torch refuses it as well
        nn.Upsample(scale_factor=2, mode="nearest", align_corners=True)(torch.zeros(1, 1, 2, 2))


@SETTINGS
@given(
    data=st.data(),
    kind=st.sampled_from(["ZeroPad2D", "Slice", "ChannelShuffle", "GroupNorm", "LayerNorm"]),
    c=st.integers(1, 12),
    h=st.integers(1, 10),
    w=st.integers(1, 10),
    vector=st.booleans(),
    eps=st.floats(1e-8, 1e-2),
)
def test_reshape_and_group_norm_layers_match_torch(
    data: st.DataObject, kind: str, c: int, h: int, w: int, vector: bool, eps: float
) -> None:
    """Values against torch's functional forms; bad settings are refused like torch."""
    vector = vector and kind in ("Slice", "GroupNorm", "LayerNorm")
    shape: Shape = (c * h,) if vector else (c, h, w)
    channels_in = shape[0]
    params: dict[str, Any]
    if kind == "ZeroPad2D":
        params = {side: data.draw(st.integers(0, 3)) for side in ("left", "right", "top", "bottom")}
    elif kind == "Slice":
        start = data.draw(st.integers(0, channels_in))
        params = {"start": start, "end": data.draw(st.integers(max(start, 1), channels_in + 1))}
    elif kind in ("ChannelShuffle", "GroupNorm"):
        params = {"groups": data.draw(st.integers(1, 6))}
    else:
        params = {}
    if kind in ("GroupNorm", "LayerNorm"):
        params["eps"] = eps
    if kind == "LayerNorm":
        params["over"] = data.draw(st.sampled_from(["Sample", "Channels"]))
    graph = single_layer(kind, params, shape)
    result = infer(graph).results["layer"]
    x = torch.randn(BATCH, *shape)
    natives: dict[str, Callable[[], Tensor]] = {
        "ZeroPad2D": lambda: F.pad(
            x, [params.get(s, 0) for s in ("left", "right", "top", "bottom")]
        ),
        "Slice": lambda: x[:, params.get("start", 0) : params.get("end", 0)],
        "ChannelShuffle": lambda: nn.ChannelShuffle(params.get("groups", 1))(x),
        "GroupNorm": lambda: F.group_norm(x, params.get("groups", 1), eps=eps),
        "LayerNorm": lambda: (
            F.layer_norm(x.permute(0, 2, 3, 1), [c], eps=eps).permute(0, 3, 1, 2)
            if params.get("over") == "Channels" and not vector
            else F.layer_norm(x, list(shape), eps=eps)
        ),
    }
    native = natives[kind]
    event(f"{kind} refused ({result.param})" if result.status is Status.ERROR else kind)
    if result.status is Status.ERROR:
        if kind == "Slice":  # torch gives an empty or clipped tensor rather than an error
            got = native()
            assert got.shape[1] != params["end"] - params["start"] or got.shape[1] == 0
        else:
            with pytest.raises(RuntimeError):
                native()
        return
    model = assert_matches_torch(graph, input_shape(graph))
    with torch.no_grad():
        ours = model(x.reshape(BATCH, *input_shape(graph)))
        torch.testing.assert_close(ours, native())


@settings(deadline=None, max_examples=25, derandomize=True)
@given(
    c=st.integers(1, 16),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    eps=st.floats(1e-8, 1e-2),
)
def test_layer_norm_over_channels_is_torch_layer_norm_at_each_pixel(
    c: int, h: int, w: int, eps: float
) -> None:
    """ConvNeXt's channels-first LayerNorm: nn.LayerNorm(C) on NxHxWxC, same weights."""
    graph = single_layer("LayerNorm", {"over": "Channels", "eps": eps}, (c, h, w))
    model = assert_matches_torch(graph, (c, h, w))
    assert infer(graph).results["layer"].params == 2 * c
    reference = nn.LayerNorm(c, eps=eps)
    with torch.no_grad():
        for tensor in reference.parameters():
            tensor.copy_(torch.randn(c))
        model.load_state_dict({f"layer.{k}": v for k, v in reference.state_dict().items()})
        x = torch.randn(BATCH, c, h, w)
        expected = reference(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        torch.testing.assert_close(model(x), expected)


# ---- whole graphs -------------------------------------------------------------------------
@st.composite
def chains(draw: st.DrawFn) -> tuple[Graph, Shape, Shape]:
    """Random valid chains; sizes are tracked here with the textbook formulas."""
    c, h, w = draw(channels), draw(st.integers(4, 40)), draw(st.integers(4, 40))
    shape: Shape
    graph = Graph("chain")
    graph.add_node("Input", "x", {"channels": c, "height": h, "width": w})
    previous, shape = "x", (c, h, w)
    image_layers = [
        "Conv2D",
        "MaxPool2D",
        "AvgPool2D",
        "BatchNorm2D",
        "Activation",
        "Dropout",
        "AdaptiveAvgPool2D",
        "AdaptiveMaxPool2D",
    ]
    for index in range(draw(st.integers(3, 8))):
        if len(shape) == 3:
            kind = draw(st.sampled_from([*image_layers, "Flatten", "GlobalAvgPool2D"]))
        else:
            kind = draw(st.sampled_from(["Dense", "Activation", "Dropout"]))
        params: dict[str, Any] = {}
        if kind in ("Conv2D", "MaxPool2D", "AvgPool2D"):
            padding = draw(paddings)
            pad = padding if isinstance(padding, int) else 0
            top = 7 if padding == "Same" else min(7, shape[1] + 2 * pad, shape[2] + 2 * pad)
            low = pad + 1 if kind != "Conv2D" else 1  # pools need padding < kernel
            kernel = (draw(st.integers(low, max(low, top))), draw(st.integers(low, max(low, top))))
            stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
            params = {"kernel": list(kernel), "stride": list(stride), "padding": padding}
            channels_out = shape[0]
            if kind == "Conv2D":
                groups = draw(st.sampled_from(divisors(shape[0])))
                depthwise = groups == 1 and draw(st.booleans())
                channels_out = draw(st.integers(1, 3)) * (shape[0] if depthwise else groups)
                params |= {
                    "filters": channels_out,
                    "groups": groups,
                    "depthwise": depthwise,
                    **draw(activations()),
                    "bias": draw(st.booleans()),
                }
                if padding == "Same":  # any dilation keeps ceil(size / stride)
                    params["dilation"] = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
            size = [shape[1], shape[2]]
            for axis in range(2):
                if padding == "Same":
                    size[axis] = math.ceil(size[axis] / stride[axis])
                else:
                    size[axis] = (size[axis] + 2 * pad - kernel[axis]) // stride[axis] + 1
            shape = (channels_out, *size)
        elif kind == "Dense":
            params = {"units": draw(st.integers(1, 12)), **draw(activations())}
            shape = (params["units"],)
        elif kind == "Flatten":
            shape = (math.prod(shape),)
        elif kind == "GlobalAvgPool2D":
            shape = (shape[0],)
        elif kind.startswith("Adaptive"):
            size = [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
            params = {"output_size": size}
            shape = (shape[0], *size)
        elif kind == "Activation":
            params = draw(activations("function"))
        graph.add_node(kind, f"n{index}", params, [previous])
        previous = f"n{index}"
    return graph, (c, h, w), shape


@settings(deadline=None, max_examples=50, derandomize=True)
@given(chains())
def test_random_chains_match_torch(case: tuple[Graph, Shape, Shape]) -> None:
    graph, shape, expected = case
    assert infer(graph).output_shape == expected
    model = assert_matches_torch(graph, shape)
    assert isinstance(model, nn.Sequential)


@st.composite
def branchy_graphs(draw: st.DrawFn, gates: bool = True) -> tuple[Graph, Shape]:
    """Random DAGs: layers hang off any earlier node; Add/Concat join compatible ones,
    and with ``gates`` squeeze-and-excitation gates (Multiply by a Cx1x1 Sigmoid).

    Every dangling end is then pooled and concatenated into one Dense output.
    """
    shape = (draw(st.integers(1, 6)), draw(st.integers(4, 24)), draw(st.integers(4, 24)))
    graph = Graph("branchy")
    graph.add_node("Input", "x", dict(zip(("channels", "height", "width"), shape, strict=True)))
    for index in range(draw(st.integers(3, 8))):
        shapes = {nid: r.shape for nid, r in infer(graph).results.items() if r.shape}
        images = sorted(nid for nid, s in shapes.items() if len(s) == 3)
        op = draw(
            st.sampled_from(
                [
                    "Conv2D",
                    "Conv2D",
                    "MaxPool2D",
                    "BatchNorm2D",
                    "Add",
                    "Concat",
                    *(["Gate"] if gates else []),
                ]
            )
        )
        source = draw(st.sampled_from(images))
        name = f"n{index}"
        if op == "Conv2D":
            graph.add_node(
                "Conv2D",
                name,
                {
                    "filters": draw(st.integers(1, 6)),
                    "kernel": draw(st.integers(1, 3)),
                    "padding": "Same",
                    "stride": draw(st.integers(1, 2)),
                },
                [source],
            )
        elif op in ("MaxPool2D", "BatchNorm2D"):
            graph.add_node(op, name, {"padding": "Same"} if op == "MaxPool2D" else {}, [source])
        elif op == "Gate":  # squeeze-and-excitation: a Cx1x1 sigmoid gate scales the source
            graph.add_node("AdaptiveAvgPool2D", f"{name}_squeeze", {}, [source])
            graph.add_node(
                "Conv2D",
                f"{name}_excite",
                {"filters": shapes[source][0], "kernel": 1, "activation": "Sigmoid"},
                [f"{name}_squeeze"],
            )
            graph.add_node("Multiply", name, {}, [source, f"{name}_excite"])
        else:
            key = shapes[source] if op == "Add" else shapes[source][1:]
            partners = [
                n
                for n in images
                if n != source and (shapes[n] if op == "Add" else shapes[n][1:]) == key
            ]
            if not partners:  # make one: a same-size branch off the source
                filters = shapes[source][0] if op == "Add" else draw(st.integers(1, 4))
                graph.add_node(
                    "Conv2D",
                    f"{name}_side",
                    {"filters": filters, "kernel": 3, "padding": "Same"},
                    [source],
                )
                partners = [f"{name}_side"]
            picked = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2, unique=True))
            graph.add_node(op, name, {}, [source, *picked])
    ends = [nid for nid, targets in graph.consumers().items() if not targets]
    pooled = []
    for nid in ends:
        graph.add_node("GlobalAvgPool2D", f"{nid}_gap", {}, [nid])
        pooled.append(f"{nid}_gap")
    if len(pooled) > 1:
        graph.add_node("Concat", "joined", {}, pooled)
        pooled = ["joined"]
    graph.add_node("Dense", "out", {"units": 3}, pooled)
    return graph, shape


@settings(deadline=None, max_examples=50, derandomize=True)
@given(branchy_graphs())
def test_random_branchy_graphs_match_torch(case: tuple[Graph, Shape]) -> None:
    graph, shape = case
    model = assert_matches_torch(graph, shape)
    branches = any(len(targets) > 1 for targets in graph.consumers().values())
    assert isinstance(model, torch.fx.GraphModule if branches else nn.Sequential)


def test_every_layer_type_is_covered_by_a_property_test() -> None:
    covered = {
        "Input",
        "Conv2D",
        "MaxPool2D",
        "AvgPool2D",
        "BatchNorm2D",
        "Dropout",
        "Flatten",
        "GlobalAvgPool2D",
        "Activation",
        "Dense",
        "Add",
        "Concat",
        "Multiply",
        "AdaptiveAvgPool2D",
        "AdaptiveMaxPool2D",
        "ConvTranspose2D",
        "Upsample",
        "ZeroPad2D",
        "Slice",
        "ChannelShuffle",
        "GroupNorm",
        "LayerNorm",
    }
    assert set(nodes.type_names()) == covered, "add the new layer type to these tests"


def test_kernel_too_large_error_matches_torch_refusal() -> None:
    graph = single_layer("Conv2D", {"filters": 2, "kernel": 5}, (1, 3, 3))
    result = infer(graph).results["layer"]
    assert result.error == (
        "Conv2D 'layer': kernel 5x5 is larger than its input 3x3 — "
        "reduce Kernel or use Padding Same"
    )
    assert result.param == "kernel"
    assert_refusal_is_genuine(graph.nodes["layer"], (1, 3, 3), result)


def test_pool_padding_as_large_as_kernel_is_refused() -> None:
    """Found by these tests: such a MaxPool2D used to output -inf borders."""
    graph = single_layer("MaxPool2D", {"kernel": 2, "stride": 2, "padding": 2}, (1, 4, 4))
    result = infer(graph).results["layer"]
    assert result.error == (
        "MaxPool2D 'layer': padding 2 is not smaller than the kernel 2x2, so some windows "
        "would cover only padding — use Padding below 2 or Same"
    )
    assert result.param == "padding"
    assert_refusal_is_genuine(graph.nodes["layer"], (1, 4, 4), result)
