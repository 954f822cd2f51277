"""What the importer says when it cannot import: the setting to blame, the source
line and calling module of functional calls, repeats folded with a summary first,
and the module and line of a failed trace. Also: tracing with concrete sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the name every torch model uses
from torch import nn

from graph_io.compiler import compile_graph
from graph_io.errors import TorchImportError
from graph_io.import_problems import compress_paths
from graph_io.import_torch import import_module

HERE = Path(__file__).relative_to(Path.cwd())


def at(code: str) -> str:
    """How messages point at ``code`` in this file: ``tests/….py:LINE `code```."""
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.strip() == code)
    return f"{HERE}:{number} `{code}`"


def import_error(model: nn.Module, shape: tuple[int, ...]) -> TorchImportError:
    with pytest.raises(TorchImportError) as caught:
        import_module(model, shape)
    return caught.value


class Gate(nn.Module):
    """A block whose product (``x * 3``) and reflect-padded conv have no layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).exp()


class Repeated(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[Gate() for _ in range(12)])
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.layers(x))
        return out


def test_repeats_fold_into_one_line_each_with_a_summary_first() -> None:
    error = import_error(Repeated(), (4, 4, 4))
    assert str(error).splitlines()[0] == (
        "cannot import 'Repeated': 24 operations have no Convas layer — "
        "12 × Conv2d with padding_mode in layers.0–11.conv; "
        "12 × tensor.exp() in layers.0–11:"
    )
    assert error.problems == [
        "12 × Conv2d 'layers.0–11.conv': padding_mode='reflect' — no Convas layer has this "
        "setting (module: Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), "
        "padding_mode=reflect))",
        f"12 × tensor.exp() at {at('return self.conv(x).exp()')} in 'layers.0–11' (Gate): "
        "has no Convas layer",
    ]


class Settings(nn.Module):
    """Two settings at once; and a container whose repr spans many lines."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=2, padding_mode="circular", bias=False)
        self.rnn = nn.GRU(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x)
        return out


def test_a_module_message_names_its_settings_and_its_whole_repr() -> None:
    error = import_error(Settings(), (2, 6, 6))
    assert error.problems == [
        "Conv2d 'conv': padding_mode='circular' — no Convas layer has this setting "
        "(module: Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), "
        "bias=False, padding_mode=circular))"
    ]


class SizedBlock(nn.Module):
    """Sizes used as numbers: a split ratio, a kernel from the input's size."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn(F.relu(x))
        out = F.avg_pool2d(out, out.size(2))  # a global pool written with the size
        return out.view(-1, int(out.size(1) * out.size(2)))  # int() fails in plain fx


def test_sizes_are_numbers_while_tracing_and_the_model_is_left_alone() -> None:
    model = SizedBlock()
    assert model.bn.running_mean is not None
    with torch.no_grad():
        model.bn.running_mean.fill_(0.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = import_module(model, (3, 6, 6))
    assert [(n.type, n.params) for n in result.graph.nodes.values()][1:] == [
        ("Activation", {"function": "ReLU", "negative_slope": 0.01, "alpha": 1.0}),
        ("BatchNorm2D", {"momentum": 0.1, "eps": 1e-05}),
        ("AvgPool2D", {"kernel": 6, "stride": 6, "padding": "None"}),
        ("Flatten", {}),
    ]
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # no statistics moved
    assert model.training
    net = compile_graph(result.graph)  # the batch stays free: any batch size runs
    net.load_state_dict(result.weights)
    batch = torch.randn(7, 3, 6, 6)
    with torch.no_grad():
        assert torch.allclose(net.eval()(batch), model.eval()(batch), atol=1e-6)


class Picky(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.mean() > 0:
            return x
        return x.flip(1)


class Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stage = nn.Sequential(nn.Conv2d(1, 1, 1), Picky())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.stage(x)
        return out


class BatchLoop(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x[i] for i in range(x.size(0))])


def test_a_failed_trace_names_the_module_and_line_with_a_hint() -> None:
    assert str(import_error(Outer(), (1, 4, 4))) == (
        f"cannot import 'Outer': torch.fx cannot trace it in module 'stage.1' (Picky) at "
        f"{at('if x.mean() > 0:')}: TraceError: symbolically traced variables cannot be "
        "used as inputs to control flow — forward() must not branch on tensor values (or "
        "the batch size); compute such choices in __init__, or import the part of the "
        "model that has no such branch"
    )
    message = str(import_error(BatchLoop(), (1, 4, 4)))
    assert message.startswith(
        f"cannot import 'BatchLoop': torch.fx cannot trace it at "
        f"{at('return torch.stack([x[i] for i in range(x.size(0))])')}: TypeError:"
    )
    assert message.endswith(
        "sizes (x.size(1), x.shape) are plain numbers, but tensor values and the batch size are not"
    )


def test_paths_are_compressed_exactly_or_abbreviated() -> None:
    assert compress_paths(["layers.0.se", "layers.1.se", "layers.2.se", "layers.5.se"]) == (
        "layers.0–2,5.se"
    )
    assert compress_paths(["a.0", "a.0"]) == "a.0"
    assert compress_paths(["layer1.0.c", "layer1.1.c", "layer2.0.c", "layer2.1.c"]) == (
        "layer1.0–1.c, layer2.0–1.c"
    )
    assert compress_paths(["s1.0", "s1.1", "s2.0", "s3"]) == "s1.0–1, s2.0, s3"
    assert compress_paths([f"x{i}" for i in range(7)]) == "x0 … x6 (7 places)"


class DropPath(nn.Module):
    """Stochastic depth as timm writes it: active only while training."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rate == 0.0 or not self.training:
            return x
        keep = 1 - self.rate
        mask = keep + torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device)
        return x.div(keep) * mask.floor_()


class Residual(nn.Module):
    def __init__(self, rate: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.drop_path = DropPath(rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.conv(x).relu())


class Blocks(nn.Module):
    def __init__(self, rate: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(*(Residual(rate) for _ in range(3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.layers(x).mean((2, 3), keepdim=True), 1)


def test_stochastic_depth_is_named_once_per_draw_with_the_fix() -> None:
    error = import_error(Blocks(0.1), (4, 6, 6))
    assert str(error).splitlines()[0] == (
        "cannot import 'Blocks': 3 operations have no Convas layer — "
        "3 × torch.rand() in layers.0–2.drop_path:"
    )
    [line] = error.problems
    mask = "mask = keep + torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device)"
    assert line.startswith(f"3 × torch.rand() at {at(mask)[:60]}")
    assert line.endswith(
        "` in 'layers.0–2.drop_path' (DropPath): draws random numbers while training, as "
        "stochastic depth (drop path, drop connect) does; Convas has no such layer — it does "
        "nothing in evaluation, so build the model with its rate set to 0 to import it (the "
        "same weights and evaluation outputs)"
    )
    # As the message says: the same model with rate 0 imports, weights and all.
    assert [n.type for n in import_module(Blocks(0.0), (4, 6, 6)).graph.nodes.values()] == [
        "Input",
        *["Conv2D", "Add"] * 3,
        "GlobalAvgPool2D",
    ]


class PlainNorm(nn.Module):
    """A channels-first LayerNorm without a bias, which Convas's LayerNorm always has."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def test_a_channels_first_layer_norm_names_the_setting_it_lacks() -> None:
    line = "return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"
    assert import_error(PlainNorm(), (4, 3, 3)).problems == [
        f"tensor.permute() at {at(line)}: ChannelLayerNorm with bias=False — no Convas layer "
        "has this setting"
    ]


class OwnWeights(nn.Module):
    """A convolution written with F.conv2d and a parameter of the model."""

    def __init__(self) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(2, 2, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.kernel)


def test_a_parameter_read_in_forward_is_named_not_a_failed_trace() -> None:
    """Reading a parameter while tracing once recursed without end inside torch.fx."""
    problems = import_error(OwnWeights(), (2, 5, 5)).problems
    assert problems[0] == (
        f"parameter 'kernel' at {at('return F.conv2d(x, self.kernel)')}: "
        "Convas layers hold their own weights; use a torch.nn layer"
    )
