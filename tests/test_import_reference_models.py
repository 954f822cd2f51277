"""Acceptance: well-known CIFAR-10 and MNIST reference architectures import exactly.

Each model (our own compact re-write of the usual implementation, see
``reference_models``) gets "trained" weights — seeded values, BatchNorm statistics
moved off their defaults — and must import into a graph whose parameters are the
model's own tensors, whose parameter count is the model's, and whose outputs with
those weights equal the model's. The real configurations run in every test run;
the biggest are marked slow.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import reference_models as zoo
import torch
from torch import nn

from graph_io import Graph, infer
from graph_io.compiler import compile_graph
from graph_io.import_torch import import_module


def trained(model: nn.Module, seed: int) -> nn.Module:
    """``model`` with seeded weights and BatchNorm statistics away from 0 and 1."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))
    return model


def unused(model: nn.Module, weights: dict[str, torch.Tensor]) -> set[str]:
    """The model's float tensors that no imported tensor equals."""
    imported = list(weights.values())
    return {
        name
        for name, tensor in model.state_dict().items()
        if tensor.is_floating_point()
        and not any(t.shape == tensor.shape and torch.equal(t, tensor) for t in imported)
    }


def assert_imports_exactly(
    model: nn.Module, shape: tuple[int, ...], left_out: set[str]
) -> set[str]:
    """Import ``model``; check weights, parameter count and outputs; its ``features``."""
    model = trained(model, seed=5)
    model.train()
    result = import_module(model, shape)
    report = infer(result.graph)
    assert report.ok, [p.message for p in report.problems]
    assert unused(model, result.weights) == left_out
    used = sum(p.numel() for n, p in model.named_parameters() if n not in left_out)
    assert report.total_params == used
    compiled = compile_graph(result.graph)
    compiled.load_state_dict(result.weights)
    # one sample: the importer compared a batch of two, so this also shows that no
    # batch size was baked into the graph
    batch = torch.randn(1, *shape, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        expected = model.eval()(batch)
        got = compiled.eval()(batch)
    scale = max(1.0, float(expected.abs().max()))
    assert float((expected - got).abs().max()) <= 1e-5 * scale
    return features(result.graph)


def features(graph: Graph) -> set[str]:
    """Layer types, activation functions, "groups" for a grouped (or depthwise)
    convolution, and what a LayerNorm normalises over."""
    found: set[str] = set()
    for node in graph.nodes.values():
        found.add(node.type)
        found.update(str(node.params[k]) for k in ("activation", "function") if k in node.params)
        if int(node.params.get("groups", 1)) > 1 or node.params.get("depthwise"):
            found.add("groups")
        if node.type == "LayerNorm":
            found.add(f"LayerNorm over {node.params['over']}")
    return found


CIFAR = (3, 32, 32)

EFFICIENTNET_UNUSED = {
    f"layers.0.{name}"
    for name in ("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var")
}
"""Like the reference, the first block (expansion 1) builds an expansion conv that its
forward() skips: tensors no graph can hold, left out of the import and its count."""

SLOW = pytest.mark.slow

MODELS = [
    pytest.param(zoo.MobileNet, CIFAR, set(), {"groups", "AvgPool2D"}, id="mobilenet", marks=SLOW),
    pytest.param(zoo.MobileNetV2, CIFAR, set(), {"groups", "Add"}, id="mobilenet_v2", marks=SLOW),
    pytest.param(
        lambda: zoo.ShuffleNet(groups=2),
        CIFAR,
        set(),
        {"groups", "ChannelShuffle", "Concat", "AvgPool2D"},
        id="shufflenet_g2",
    ),
    pytest.param(
        lambda: zoo.ShuffleNet(groups=3),
        CIFAR,
        set(),
        {"groups", "ChannelShuffle", "Concat", "AvgPool2D"},
        id="shufflenet_g3",
        marks=SLOW,
    ),
    pytest.param(
        zoo.ShuffleNetV2, CIFAR, set(), {"groups", "ChannelShuffle", "Slice"}, id="shufflenet_v2"
    ),
    pytest.param(
        zoo.SENet18, CIFAR, set(), {"Multiply", "Sigmoid", "AvgPool2D"}, id="senet18", marks=SLOW
    ),
    pytest.param(
        zoo.EfficientNetB0,
        CIFAR,
        EFFICIENTNET_UNUSED,
        {"groups", "Multiply", "Sigmoid", "AdaptiveAvgPool2D", "Dropout"},
        id="efficientnet_b0",
        marks=SLOW,
    ),
    pytest.param(
        zoo.regnetx_200mf, CIFAR, set(), {"groups", "Add"}, id="regnetx_200mf", marks=SLOW
    ),
    pytest.param(
        zoo.regnety_400mf,
        CIFAR,
        set(),
        {"groups", "Multiply", "Sigmoid", "AdaptiveAvgPool2D"},
        id="regnety_400mf",
        marks=SLOW,
    ),
    pytest.param(zoo.ResNeXt29, CIFAR, set(), {"groups", "Add"}, id="resnext29_2x64d", marks=SLOW),
    pytest.param(zoo.DPN26, CIFAR, set(), {"groups", "Slice", "Concat"}, id="dpn26", marks=SLOW),
    pytest.param(zoo.pnasnet_a, CIFAR, set(), {"groups", "MaxPool2D"}, id="pnasnet_a", marks=SLOW),
    pytest.param(
        zoo.pnasnet_b, CIFAR, set(), {"groups", "MaxPool2D", "Concat"}, id="pnasnet_b", marks=SLOW
    ),
    pytest.param(zoo.MnistNet, (1, 28, 28), set(), {"LogSoftmax", "Dropout"}, id="mnist_example"),
    pytest.param(
        zoo.ConvNeXtMini,
        CIFAR,
        set(),
        {"groups", "LayerNorm over Channels", "GELU", "GlobalAvgPool2D", "Add"},
        id="convnext_style",
    ),
]


@pytest.mark.parametrize(("make", "shape", "left_out", "wanted"), MODELS)
def test_reference_model_imports_exactly(
    make: Callable[[], nn.Module], shape: tuple[int, ...], left_out: set[str], wanted: set[str]
) -> None:
    torch.manual_seed(0)
    found = assert_imports_exactly(make(), shape, left_out)
    assert wanted <= found, f"missing {wanted - found}"
