"""The functional spellings of Convas layers import like their module forms: gates
``x * w``, activation functions and methods, adaptive pooling, means over the feature
maps, channel slices, chunk/split pieces and the view/permute channel shuffle."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the name every torch model uses
from torch import nn

from graph_io.compiler import compile_graph
from graph_io.errors import TorchImportError
from graph_io.import_torch import import_module


class Wrap(nn.Module):
    """A 1x1 convolution, then ``step`` (the code under test)."""

    def __init__(self, step: Callable[[torch.Tensor], torch.Tensor], channels: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.step = step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.step(self.conv(x))


def imported(model: nn.Module, shape: tuple[int, ...] = (4, 6, 6)) -> list[tuple[str, Any]]:
    """(type, params) of every node after the input; the import is checked on outputs."""
    result = import_module(model, shape)
    compiled = compile_graph(result.graph)
    compiled.load_state_dict(result.weights)
    batch = torch.randn(3, *shape)
    with torch.no_grad():
        assert torch.allclose(compiled.eval()(batch), model.eval()(batch), atol=1e-5)
    return [(n.type, n.params) for n in result.graph.nodes.values()][1:]


def functions(model: nn.Module) -> list[str]:
    return [f"{t}:{p.get('function', '')}" if t == "Activation" else t for t, p in imported(model)]


@pytest.mark.parametrize(
    ("step", "function", "extra"),
    [
        (torch.sigmoid, "Sigmoid", {}),
        (lambda x: x.sigmoid(), "Sigmoid", {}),
        (F.silu, "SiLU", {}),
        (F.hardswish, "Hardswish", {}),
        (F.hardsigmoid, "Hardsigmoid", {}),
        (F.gelu, "GELU", {}),
        (F.elu, "ELU", {}),
        (lambda x: F.leaky_relu(x, 0.2), "LeakyReLU", {"negative_slope": 0.2}),
        (lambda x: F.softmax(x, dim=1), "Softmax", {}),
        (lambda x: F.log_softmax(x, dim=1), "LogSoftmax", {}),
        (lambda x: x.log_softmax(1), "LogSoftmax", {}),
    ],
    ids=[
        "torch.sigmoid",
        "x.sigmoid",
        "silu",
        "hardswish",
        "hardsigmoid",
        "gelu",
        "elu",
        "leaky_relu",
        "softmax",
        "log_softmax",
        "x.log_softmax",
    ],
)
def test_activation_functions_fold_into_the_convolution(
    step: Callable[[torch.Tensor], torch.Tensor], function: str, extra: dict[str, Any]
) -> None:
    [(kind, params)] = imported(Wrap(step))
    assert kind == "Conv2D"
    assert params["activation"] == function
    assert {k: params[k] for k in extra} == extra


class Gate(nn.Module):
    """Squeeze-and-excitation with swish, written the way EfficientNet code writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.se1 = nn.Conv2d(4, 2, 1)
        self.se2 = nn.Conv2d(2, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        out = out * out.sigmoid()  # swish
        w = F.adaptive_avg_pool2d(out, 1)
        w = F.relu(self.se1(w))
        w = torch.mul(out, self.se2(w).sigmoid())
        return out * w * x  # three factors: one Multiply


def test_gates_and_products_are_multiplies() -> None:
    assert functions(Gate()) == [
        "Conv2D",
        "Activation:Sigmoid",
        "Multiply",
        "AdaptiveAvgPool2D",
        "Conv2D",
        "Conv2D",
        "Multiply",
        "Multiply",
    ]
    graph = import_module(Gate(), (4, 6, 6)).graph
    last = list(graph.nodes.values())[-1]
    assert len(last.inputs) == 3  # (out * w) * x folded into one n-ary Multiply
    assert last.inputs[2] == "input"


class Scaled(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.relu() * 0.5


def test_a_product_with_a_constant_says_why() -> None:
    with pytest.raises(TorchImportError, match=r"x \* y at .*: multiplies by a constant"):
        import_module(Scaled(), (1, 4, 4))


class Slices(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = int(x.size(1) * 0.5)
        left, right = x[:, :c, :, :], x[:, c:]
        a, b, d = torch.chunk(self.conv(x), 3, dim=1)
        p, q = x.split([1, 5], dim=1)
        return torch.cat([left + right, a * b, d, p, q[:, -2:]], 1)


def test_channel_slices_chunks_and_splits_are_slices() -> None:
    nodes = imported(Slices(), (6, 4, 4))
    slices = [params for kind, params in nodes if kind == "Slice"]
    assert sorted((s["start"], s["end"]) for s in slices) == [
        (0, 1), (0, 2), (0, 3), (1, 6), (2, 4), (3, 5), (3, 6), (4, 6)
    ]  # fmt: skip


class Shuffles(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)
        x = x.view(n, 3, -1, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        return x.relu()


def test_view_permute_reshape_is_a_channel_shuffle() -> None:
    assert [(t, p) for t, p in imported(Shuffles(), (6, 2, 2))][:2] == [
        ("ChannelShuffle", {"groups": 2}),
        ("ChannelShuffle", {"groups": 3}),
    ]


class NotChannels(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, 1:]


def test_indexing_other_than_channel_ranges_says_so() -> None:
    with pytest.raises(TorchImportError, match="only a channel range x\\[:, a:b\\] is supported"):
        import_module(NotChannels(), (2, 4, 4))


@pytest.mark.parametrize(
    ("step", "layers"),
    [
        (lambda x: x.mean((2, 3)), ["GlobalAvgPool2D"]),
        (lambda x: x.mean([2, 3]), ["GlobalAvgPool2D"]),
        (lambda x: x.mean(dim=(-2, -1)), ["GlobalAvgPool2D"]),
        (lambda x: torch.mean(x, dim=[3, 2], keepdim=False), ["GlobalAvgPool2D"]),
        (lambda x: x.mean(3).mean(2), ["GlobalAvgPool2D"]),
        (lambda x: x.mean(-1).mean(-1), ["GlobalAvgPool2D"]),
        (lambda x: x.flatten(2).mean(-1), ["GlobalAvgPool2D"]),
        (lambda x: x.view(x.size(0), x.size(1), -1).mean(2), ["GlobalAvgPool2D"]),
        (lambda x: x.mean((2, 3), keepdim=True), ["AdaptiveAvgPool2D"]),
        (lambda x: torch.flatten(x.mean((2, 3), keepdim=True), 1), ["GlobalAvgPool2D"]),
        (lambda x: torch.flatten(F.adaptive_avg_pool2d(x, 1), 1), ["GlobalAvgPool2D"]),
        (lambda x: F.adaptive_avg_pool2d(x, 1).squeeze(-1).squeeze(-1), ["GlobalAvgPool2D"]),
        (lambda x: F.adaptive_avg_pool2d(x, 1).squeeze((2, 3)), ["GlobalAvgPool2D"]),
        (lambda x: x.mean((2, 3)).relu(), ["GlobalAvgPool2D", "Activation"]),
    ],
    ids=[
        "mean(2,3)",
        "mean[2,3]",
        "mean(dim=(-2,-1))",
        "torch.mean",
        "mean(3).mean(2)",
        "mean(-1).mean(-1)",
        "flatten(2).mean(-1)",
        "view(N,C,-1).mean(2)",
        "keepdim",
        "keepdim+flatten",
        "adaptive+flatten",
        "adaptive+squeeze",
        "adaptive+squeeze(2,3)",
        "then-relu",
    ],
)
def test_means_over_the_feature_maps_are_global_pools(
    step: Callable[[torch.Tensor], torch.Tensor], layers: list[str]
) -> None:
    found = imported(Wrap(step))
    assert [kind for kind, _ in found] == ["Conv2D", *layers]
    if layers == ["AdaptiveAvgPool2D"]:
        assert found[1][1] == {"output_size": 1}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda x: x.mean(1, keepdim=True), "averages over the channels, the batch or everything"),
        (lambda x: x.mean(3), r"leaves 6 values of each channel \(4x6\)"),
        (lambda x: F.adaptive_avg_pool2d(x, 1).squeeze(), "also drops a batch of one"),
    ],
    ids=["channels", "one-axis", "bare-squeeze"],
)
def test_other_means_and_squeezes_say_why(
    step: Callable[[torch.Tensor], torch.Tensor], message: str
) -> None:
    with pytest.raises(TorchImportError, match=message):
        import_module(Wrap(step), (4, 6, 6))


class LayerNorm2d(nn.LayerNorm):
    """timm's channels-first LayerNorm: an nn.LayerNorm subclass calling F.layer_norm."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvNeXtLayerNorm(nn.Module):
    """The official ConvNeXt code's ``LayerNorm(data_format="channels_first")``."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class PermutedNorm(nn.Module):
    """ConvNeXt blocks' inline form: permute, nn.LayerNorm(C), permute back."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1).contiguous()).permute([0, 3, 1, 2])


class Norms(nn.Module):
    """Every channels-first LayerNorm spelling, and GroupNorm(1, C) beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 1)
        self.inline = PermutedNorm(6)
        self.timm = LayerNorm2d(6)
        self.convnext = ConvNeXtLayerNorm(6)
        self.group = nn.GroupNorm(1, 6)
        with torch.no_grad():  # trained weights, so that a mix-up shows in the outputs
            for tensor in self.parameters():
                tensor.add_(0.2 * torch.randn(tensor.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convnext(self.timm(self.inline(self.conv(x))))
        return self.group(x.relu())


def test_channels_first_layer_norms_import_and_group_norm_stays() -> None:
    torch.manual_seed(0)
    model = Norms()
    result = import_module(model, (4, 5, 7))
    found = [(n.id, n.type, n.params) for n in result.graph.nodes.values()][1:]
    assert found == [
        ("conv", "Conv2D", found[0][2]),
        ("inline", "LayerNorm", {"over": "Channels", "eps": 1e-6}),
        ("timm", "LayerNorm", {"over": "Channels", "eps": 1e-5}),
        ("convnext", "LayerNorm", {"over": "Channels", "eps": 1e-6}),
        ("activation_1", "Activation", found[4][2]),
        ("group", "GroupNorm", {"groups": 1, "eps": 1e-5}),
    ]
    owners = {"inline": "inline.norm", "timm": "timm", "convnext": "convnext"}
    for node, owner in owners.items():  # the model's own weights, exactly
        for kind in ("weight", "bias"):
            wanted = model.get_submodule(owner).get_parameter(kind)
            assert torch.equal(result.weights[f"{node}.{kind}"], wanted)
    assert imported(model, (4, 5, 7))  # outputs equal on a fresh batch too


@pytest.mark.parametrize(
    ("step", "params"),
    [
        (lambda x: F.interpolate(x, scale_factor=2), {"by": "Scale", "scale": 2}),
        (lambda x: F.interpolate(x, scale_factor=(2, 3)), {"by": "Scale", "scale": [2, 3]}),
        (
            lambda x: F.interpolate(x, size=(9, 7), mode="bilinear", align_corners=True),
            {"by": "Size", "size": [9, 7], "mode": "bilinear", "align_corners": True},
        ),
        (lambda x: F.upsample(x, scale_factor=2), {"by": "Scale", "scale": 2}),
    ],
    ids=["scale", "scale-pair", "size-bilinear", "F.upsample"],
)
def test_interpolate_is_an_upsample(
    step: Callable[[torch.Tensor], torch.Tensor], params: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # F.upsample is deprecated
        [_, (kind, found)] = imported(Wrap(step))
    assert kind == "Upsample"
    assert {key: found[key] for key in params} == params


def test_an_interpolation_mode_upsample_lacks_is_named() -> None:
    with pytest.raises(
        TorchImportError,
        match=r"F\.interpolate\(\) at .*: Upsample with mode='bicubic' — no Convas",
    ):
        import_module(Wrap(lambda x: F.interpolate(x, scale_factor=2, mode="bicubic")), (4, 6, 6))


class ExpandedGate(nn.Module):
    """``x * gate.expand_as(x)``: the broadcast written out, as some SE blocks do."""

    def __init__(self) -> None:
        super().__init__()
        self.excite = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.excite(F.adaptive_avg_pool2d(x, 1)).sigmoid()
        return x * gate.expand_as(x) + gate.expand(-1, -1, 6, 6).relu()


def test_an_expanded_gate_is_a_multiply_and_other_expansions_say_why() -> None:
    with pytest.raises(TorchImportError) as caught:
        import_module(ExpandedGate(), (4, 6, 6))
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].endswith(
        "expands a tensor; Convas broadcasts size-1 axes only inside Multiply (x * gate)"
    )
    assert [kind for kind, _ in imported(Wrap(lambda x: x * x.sigmoid().expand_as(x)))] == [
        "Conv2D",
        "Activation",
        "Multiply",
    ]
