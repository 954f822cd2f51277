"""Importing torch models: exported examples come back unchanged, hand-written models
import, and every unsupported operation is named with where it is."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the name every torch model uses
from torch import nn

import nodes
from app.cli import main
from app.training.checkpoint import load_weights, save_weights
from graph_io import Graph, infer
from graph_io.compiler import class_name, compile_graph
from graph_io.errors import TorchImportError
from graph_io.export_py import export_code
from graph_io.import_torch import import_module
from graph_io.torch_target import load_target, parse_shape
from graph_io.yaml_io import load_graph
from nodes.geometry import padding_amounts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
MERGES = ("Add", "Concat", "Multiply", "Slice", "ChannelShuffle")  # inlined by export


def at(code: str) -> str:
    """How messages point at ``code`` in this file: ``tests/….py:LINE `code```."""
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.strip() == code)
    return f"{Path(__file__).relative_to(Path.cwd())}:{number} `{code}`"


def input_shape(graph: Graph) -> tuple[int, ...]:
    shape = infer(graph).results["input"].shape
    assert shape is not None
    return shape


def layers(graph: Graph) -> tuple[list[tuple[Any, ...]], int]:
    """(type, params, output shape, param count) per node in topological order, and
    the total param count. ``padding`` is compared as the pixels it adds: torch code
    cannot tell Same that pads nothing (a 1x1 conv) from None."""
    report = infer(graph)
    assert report.ok, [p.message for p in report.problems]
    rows: list[tuple[Any, ...]] = []
    for nid in report.order:
        node, result = graph.nodes[nid], report.results[nid]
        params: dict[str, Any] = dict(nodes.get(node.type).resolve(node.params))
        if "padding" in params:
            _, height, width = result.input_shapes[0]
            params["padding"] = padding_amounts(params, height, width)
        rows.append((node.type, params, result.shape, result.params))
    return rows, report.total_params


def named_ids(graph: Graph) -> list[str]:
    """Node ids in order, without the joins (export inlines them as + and torch.cat)."""
    return [nid for nid in infer(graph).order if graph.nodes[nid].type not in MERGES]


def trained_like(graph: Graph, seed: int) -> dict[str, torch.Tensor]:
    """Seeded weights with every tensor moved off its initial value (BatchNorm too)."""
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for key, tensor in compile_graph(graph, seed=seed).state_dict().items():
        if key.endswith("running_var"):
            tensor = torch.rand(tensor.shape, generator=generator) + 0.5
        elif tensor.is_floating_point():
            tensor = tensor + 0.1 * torch.randn(tensor.shape, generator=generator)
        state[key] = tensor
    return state


def outputs(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        result: torch.Tensor = model.eval()(batch)
    return result


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_round_trips_through_exported_code(example: Path, tmp_path: Path) -> None:
    graph = load_graph(example)
    state = trained_like(graph, seed=3)
    save_weights(state, tmp_path / "trained.safetensors")
    source = tmp_path / f"{example.stem}.py"
    source.write_text(export_code(graph, weights_path="trained.safetensors"), encoding="utf-8")

    model, label = load_target(f"{source}:load_model")  # a factory returning the model
    assert label == class_name(graph.name)
    result = import_module(model, input_shape(graph), label=label)

    imported = result.graph
    assert imported.name == graph.name
    assert layers(imported) == layers(graph)
    assert named_ids(imported) == named_ids(graph)
    assert all(node.pos is not None for node in imported.nodes.values())
    assert result.difference <= 1e-5

    weights_file = tmp_path / "imported.safetensors"
    save_weights(result.weights, weights_file)
    reloaded = compile_graph(imported)
    reloaded.load_state_dict(load_weights(imported, weights_file))
    original = compile_graph(graph)
    original.load_state_dict(state)
    batch = torch.randn(4, *input_shape(graph), generator=torch.Generator().manual_seed(7))
    difference = (outputs(reloaded, batch) - outputs(original, batch)).abs().max()
    assert float(difference) <= 1e-5


def test_cli_imports_exported_class_with_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = load_graph(ROOT / "examples" / "resnet_mini.yaml")
    source = tmp_path / "resnet.py"
    source.write_text(export_code(graph), encoding="utf-8")
    out, weights = tmp_path / "out.yaml", tmp_path / "out.safetensors"
    target = f"{source}:{class_name(graph.name)}"

    torch.manual_seed(11)  # the command creates ResnetMini() with the global generator
    assert (
        main(
            [
                "import-torch",
                target,
                "--input",
                "1x28x28",
                "-o",
                str(out),
                "--weights-out",
                str(weights),
            ]
        )
        == 0
    )
    assert f"wrote {out} and {weights}: 22 nodes" in capsys.readouterr().out

    imported = load_graph(out)
    assert imported.name == "resnet_mini"  # ATTR in snake_case
    assert layers(imported) == layers(graph)
    model = compile_graph(imported)
    model.load_state_dict(load_weights(imported, weights))
    torch.manual_seed(11)
    reference, _ = load_target(target)
    batch = torch.randn(3, 1, 28, 28)
    assert float((outputs(model, batch) - outputs(reference, batch)).abs().max()) <= 1e-5

    assert (
        main(["import-torch", target, "--input", "1x28x28", "-o", str(out), "--name", "my net"])
        == 0
    )
    assert load_graph(out).name == "my net"


class Functional(nn.Module):
    """Written the way tutorials write models: functional calls, view, + and cat."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.branch = nn.Conv2d(8, 4, 1)
        self.fc1 = nn.Linear(12 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(x + self.bn2(self.conv2(x)))
        x = F.max_pool2d(x, 2)
        x = torch.cat([x, self.branch(x)], dim=1)
        x = F.avg_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        x = F.dropout(F.relu(self.fc1(x)), 0.25, self.training)
        out: torch.Tensor = self.fc2(x)
        return out


def test_functional_model_imports() -> None:
    model = Functional()
    model.train()
    mean, var = model.bn2.running_mean, model.bn2.running_var
    assert mean is not None
    assert var is not None
    with torch.no_grad():
        mean.uniform_(-1, 1)
        var.uniform_(0.5, 2)
    result = import_module(model, (3, 16, 16))
    graph = result.graph
    assert graph.name == "functional"
    assert [(n.id, n.type, n.inputs) for n in graph.nodes.values()] == [
        ("input", "Input", []),
        ("conv1", "Conv2D", ["input"]),
        ("conv2", "Conv2D", ["conv1"]),
        ("bn2", "BatchNorm2D", ["conv2"]),
        ("add_1", "Add", ["conv1", "bn2"]),
        ("activation_1", "Activation", ["add_1"]),
        ("maxpool2d_1", "MaxPool2D", ["activation_1"]),
        ("branch", "Conv2D", ["maxpool2d_1"]),
        ("concat_1", "Concat", ["maxpool2d_1", "branch"]),
        ("avgpool2d_1", "AvgPool2D", ["concat_1"]),
        ("flatten_1", "Flatten", ["avgpool2d_1"]),
        ("fc1", "Dense", ["flatten_1"]),
        ("dropout_1", "Dropout", ["fc1"]),
        ("fc2", "Dense", ["dropout_1"]),
    ]
    assert graph.nodes["conv1"].params == nodes.get("Conv2D").resolve(
        {"filters": 8, "kernel": 3, "stride": 1, "padding": 1, "activation": "ReLU", "bias": True}
    )
    assert graph.nodes["conv2"].params["bias"] is False
    assert graph.nodes["fc1"].params["activation"] == "ReLU"
    assert graph.nodes["dropout_1"].params == {"rate": 0.25}
    assert infer(graph).total_params == sum(p.numel() for p in model.parameters())
    assert model.training  # the flags the caller set are left alone

    compiled = compile_graph(graph)
    compiled.load_state_dict(result.weights)
    batch = torch.randn(5, 3, 16, 16)
    assert float((outputs(compiled, batch) - outputs(model, batch)).abs().max()) <= 1e-5


class Block(nn.Module):
    """A torchvision-style residual block: shared in-place ReLU, += and a downsample."""

    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        width = channels * stride
        self.conv1 = nn.Conv2d(channels, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = nn.Sequential(
            nn.Conv2d(channels, width, 1, stride, bias=False), nn.BatchNorm2d(width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.downsample(x)
        result: torch.Tensor = self.relu(out)
        return result


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Identity())
        self.layer1 = nn.Sequential(Block(8, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer1(self.stem(x).contiguous())
        out: torch.Tensor = self.fc(torch.flatten(self.avgpool(x), 1))
        return out


def test_residual_block_imports_with_module_names() -> None:
    model = Residual()
    result = import_module(model, (3, 16, 16))
    assert [(n.id, n.type, n.inputs) for n in result.graph.nodes.values()] == [
        ("input", "Input", []),
        ("stem", "Conv2D", ["input"]),
        ("layer1_0_conv1", "Conv2D", ["stem"]),
        ("layer1_0_bn1", "BatchNorm2D", ["layer1_0_conv1"]),
        ("layer1_0_relu", "Activation", ["layer1_0_bn1"]),
        ("layer1_0_conv2", "Conv2D", ["layer1_0_relu"]),
        ("layer1_0_bn2", "BatchNorm2D", ["layer1_0_conv2"]),
        ("conv2d_1", "Conv2D", ["stem"]),
        ("batchnorm2d_1", "BatchNorm2D", ["conv2d_1"]),
        ("add_1", "Add", ["layer1_0_bn2", "batchnorm2d_1"]),
        ("layer1_0_relu_2", "Activation", ["add_1"]),
        ("avgpool", "GlobalAvgPool2D", ["layer1_0_relu_2"]),
        ("fc", "Dense", ["avgpool"]),
    ]
    assert result.difference <= 1e-5


class TwoInputs(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class Pair(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x.relu(), x


class Branching(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.sum() > 0 else -x


class Doubled(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x], dim=1)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (TwoInputs(), "forward() takes 2 inputs (x, y); a Convas graph has one"),
        (Pair(), "forward() returns a tuple; a Convas graph has one output tensor"),
        (
            Branching(),
            f"torch.fx cannot trace it at {at('return x if x.sum() > 0 else -x')}: "
            "TraceError: symbolically traced variables cannot be used as inputs to control "
            "flow — forward() must not branch on tensor values",
        ),
        (nn.Identity(), "forward() returns its input unchanged"),
        (
            Doubled(),
            f"torch.cat() at {at('return torch.cat([x, x], dim=1)')}: uses the same tensor twice",
        ),
    ],
    ids=["two-inputs", "tuple", "control-flow", "identity", "same-tensor-twice"],
)
def test_models_that_cannot_be_graphs(model: nn.Module, message: str) -> None:
    with pytest.raises(TorchImportError) as caught:
        import_module(model, (1, 4, 4))
    assert message in str(caught.value)


def test_sequentials_factories_and_module_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "zoo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        textwrap.dedent("""\
        import torch
        from torch import nn

        plain = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))

        class Nested(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
                self.head = nn.Linear(144, 3)

            def forward(self, x):
                return torch.softmax(self.head(torch.flatten(self.features(x), 1)), dim=1)

        def make_conv():
            return nn.Conv2d(1, 2, 3, padding="same")
        """)
    )
    monkeypatch.chdir(tmp_path)  # modules beside the caller import like with python -m

    model, label = load_target("zoo.models:plain")
    assert label == "plain"
    graph = import_module(model, (1, 8, 8), label=label).graph
    assert [(n.id, n.type) for n in graph.nodes.values()] == [
        ("input", "Input"),
        ("conv2d_1", "Conv2D"),
        ("flatten_1", "Flatten"),
        ("dense_1", "Dense"),
    ]

    model, label = load_target("zoo.models:Nested")
    graph = import_module(model, (1, 14, 14), label=label).graph
    assert [(n.id, n.type) for n in graph.nodes.values()] == [
        ("input", "Input"),
        ("conv2d_1", "Conv2D"),
        ("maxpool2d_1", "MaxPool2D"),
        ("flatten_1", "Flatten"),
        ("head", "Dense"),
    ]
    assert graph.nodes["head"].params["activation"] == "Softmax"

    model, label = load_target("zoo.models:make_conv")  # a bare layer is a one-layer model
    assert label == "make_conv"  # the function names it, not torch's class Conv2d
    graph = import_module(model, (1, 8, 8), label=label).graph
    assert graph.nodes["conv2d_1"].params["padding"] == "Same"


class Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.circular = nn.Conv2d(2, 4, 3, padding=1, padding_mode="circular")
        self.ceiling = nn.MaxPool2d(2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ceiling(self.circular(x)) * 2
        return torch.sigmoid(x) * x


class Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.lstm = nn.LSTM(100, 8)
        self.fc = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, _ = self.lstm(self.conv(x).flatten(2))
        out: torch.Tensor = self.fc(x[:, -1])
        return out


def test_every_unsupported_operation_is_listed_with_its_place() -> None:
    with pytest.raises(TorchImportError) as caught:
        import_module(Unsupported(), (2, 12, 12))
    assert str(caught.value) == (
        "cannot import 'Unsupported': 3 operations have no Convas layer:\n"
        "  - Conv2d 'circular': padding_mode='circular' — no Convas layer has this setting "
        "(module: Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), "
        "padding_mode=circular))\n"
        "  - MaxPool2d 'ceiling': ceil_mode=True — no Convas layer has this setting "
        "(module: MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True))\n"
        f"  - x * y at {at('x = self.ceiling(self.circular(x)) * 2')}: multiplies by a "
        "constant; Convas Multiply multiplies whole tensors (scale a layer's weights instead)"
    )

    with pytest.raises(TorchImportError) as caught:
        import_module(Recurrent(), (1, 12, 12))
    assert caught.value.problems == [
        f"tensor.flatten() at {at('x, _ = self.lstm(self.conv(x).flatten(2))')}: "
        "start_dim=2 — no Convas layer has this setting",
        "LSTM 'lstm': has no Convas layer (module: LSTM(100, 8))",
        f"x[...] at {at('x, _ = self.lstm(self.conv(x).flatten(2))')}: "
        "takes item 0 of a tuple result; a Convas layer has one output tensor",
        f"x[...] at {at('out: torch.Tensor = self.fc(x[:, -1])')}: "
        "indexes a tensor that is not NxCxHxW",
    ]


class InPlace(nn.Module):
    """Its ReLU changes a tensor in place and the result is never used by name."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        y.relu_()
        return torch.flatten(y, 1)


def test_graph_that_computes_something_else_is_refused() -> None:
    with pytest.raises(
        TorchImportError,
        match=r"computes different outputs .*first at "
        r"Conv2D 'conv'",
    ):
        import_module(InPlace(), (1, 6, 6))


def test_parse_shape() -> None:
    assert parse_shape("1x28x28") == (1, 28, 28)
    assert parse_shape(" 3, 32, 32 ") == (3, 32, 32)
    for bad in ("28x28", "1x0x28", "axbxc", "", "1x2x3x4"):
        with pytest.raises(TorchImportError, match="must be CxHxW"):
            parse_shape(bad)


def cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_cli_errors_are_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models.py"
    models.write_text(
        textwrap.dedent("""\
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)

            def forward(self, x):
                return self.conv(x) * 2

        class Wide(nn.Module):
            def __init__(self, width):
                super().__init__()

        def broken():
            raise ValueError("no weights here")

        answer = 42
        """)
    )
    (tmp_path / "syntax.py").write_text("def (:\n")
    out = str(tmp_path / "out.yaml")

    def run(target: str, shape: str = "1x8x8") -> tuple[int, str]:
        return cli_error(["import-torch", target, "--input", shape, "-o", out], capsys)

    code, err = run(str(models))
    assert code == 2
    assert "is not MODULE:ATTR — write e.g. models.py:Net" in err
    code, err = run(f"{tmp_path / 'missing.py'}:Net")
    assert (code, err) == (2, f"error: {tmp_path / 'missing.py'}: file not found\n")
    code, err = run(f"{models}:Nte")
    assert code == 2
    assert "has no attribute 'Nte' — did you mean 'Net'? (it defines: Net, Wide, broken)" in err
    code, err = run(f"{models}:Wide")
    assert code == 2
    assert "Wide() needs arguments" in err
    code, err = run(f"{models}:broken")
    assert (code, err) == (2, "error: broken() failed: ValueError: no weights here\n")
    code, err = run(f"{models}:answer")
    assert code == 2
    assert "'answer' is a int, not an nn.Module" in err
    code, err = run(f"{tmp_path / 'syntax.py'}:Net")
    assert code == 2
    assert "syntax.py: running the file failed: SyntaxError" in err
    code, err = run("no_such_module_here:Net")
    assert code == 2
    assert "no module named 'no_such_module_here'" in err
    code, err = run(f"{models}:Net", "1x8")
    assert code == 2
    assert err.startswith("error: --input: input shape '1x8' must be CxHxW")
    code, err = run(f"{models}:Net", "3x8x8")
    assert code == 1
    assert "running it on a 3x8x8 input failed at Conv2d 'conv'" in err
    code, err = run(f"{models}:Net")
    assert code == 1
    assert err == (
        "error: cannot import 'Net': 1 operation has no Convas layer:\n"
        f"  - x * y at {models}:10 `return self.conv(x) * 2`: multiplies by a constant; "
        "Convas Multiply multiplies whole tensors (scale a layer's weights instead)\n"
    )
    assert not Path(out).exists()
    code, err = cli_error(["import-torch", f"{models}:Net"], capsys)
    assert code == 2
    assert "required: --input, -o/--output" in err


# ---- property: any graph Convas compiles, Convas imports back -------------------------
def assert_imports_back(graph: Graph, shape: tuple[int, ...]) -> None:
    """The compiled model imports into a graph with the same output shape, parameter
    and MAC totals, and — with the imported weights — the same outputs. Node lists may
    differ where two spellings compute the same (Conv2D + Activation(ReLU) comes back
    as one Conv2D with ReLU; Activation(None) disappears), but never grow: a 3-input
    Add, traced as two binary sums, comes back as one Add."""
    from hypothesis import currently_in_test_context, note

    model = compile_graph(graph, seed=1).eval()
    result = import_module(model, shape, label="random")
    if currently_in_test_context():  # plain example tests have no notes
        note(str([(n.id, n.type, n.params) for n in result.graph.nodes.values()]))
    before, after = infer(graph), infer(result.graph)
    assert after.ok, [p.message for p in after.problems]
    assert after.output_shape == before.output_shape
    assert after.total_params == before.total_params
    assert after.total_macs == before.total_macs
    assert len(result.graph.nodes) <= len(graph.nodes)
    rebuilt = compile_graph(result.graph).eval()
    rebuilt.load_state_dict(result.weights)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), model(x), atol=1e-5, rtol=1e-4)


def _strategies() -> Any:
    import test_layers_vs_torch  # the random graph generators of the shape tests

    return test_layers_vs_torch


@pytest.mark.parametrize("kind", ["chains", "branchy_graphs"])
def test_random_graphs_import_back(kind: str) -> None:
    from hypothesis import HealthCheck, given, settings

    strategy = getattr(_strategies(), kind)()

    @settings(
        deadline=None,
        max_examples=30,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(strategy)
    def check(case: tuple[Any, ...]) -> None:
        graph, shape = case[0], case[1]
        assert_imports_back(graph, shape)

    check()


def test_a_sum_of_three_comes_back_as_one_add() -> None:
    class ThreeWay(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(2, 2, 1)
            self.b = nn.Conv2d(2, 2, 1)
            self.head = nn.Flatten()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.a(x) + self.b(x) + x)

    graph = import_module(ThreeWay(), (2, 3, 3), label="ThreeWay").graph
    adds = [n for n in graph.nodes.values() if n.type == "Add"]
    assert len(adds) == 1
    assert adds[0].inputs == ["a", "b", "input"]


def test_a_sum_that_reuses_a_tensor_is_not_folded_into_one_add() -> None:
    """``n0 + (n0 + x)`` stays two Adds: one Add cannot take ``n0`` twice."""
    graph = Graph("reuse")
    graph.add_node("Input", "x", {"channels": 1, "height": 4, "width": 4})
    graph.add_node("Conv2D", "n0", {"filters": 1, "kernel": 1, "padding": "Same"}, ["x"])
    graph.add_node("Add", "n1", {}, ["n0", "x"])
    graph.add_node("Add", "n2", {}, ["n0", "n1"])
    graph.add_node("GlobalAvgPool2D", "gap", {}, ["n2"])
    graph.add_node("Dense", "out", {"units": 3}, ["gap"])
    assert_imports_back(graph, (1, 4, 4))
