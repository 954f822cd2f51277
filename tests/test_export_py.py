"""Exported PyTorch code is standalone, lint-clean, and computes what Convas computes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nodes
from app.cli import main
from app.training.checkpoint import save_weights
from graph_io import Graph, Node, infer
from graph_io.compiler import class_name, compile_graph
from graph_io.errors import CompileError
from graph_io.export_py import ExportError, export_code
from graph_io.module_code import module_code, probe_inputs
from graph_io.yaml_io import load_graph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
RUFF = Path(sys.executable).parent / "ruff"
# The project's own rule set, so generated code meets the bar of hand-written code.
RUFF_ARGS = ["--isolated", "--line-length", "100", "--select", "E,W,F,I,B,UP,SIM,RUF,N,C4,PIE,RET"]


def import_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def input_batch(graph: Graph, batch: int = 3) -> torch.Tensor:
    shape = infer(graph).results[next(iter(graph.nodes))].shape
    assert shape is not None
    return torch.randn(batch, *shape)


def exported_model(graph: Graph, file: Path, **kwargs: str) -> nn.Module:
    file.write_text(export_code(graph, **kwargs), encoding="utf-8")
    model: nn.Module = getattr(import_file(file), class_name(graph.name))()
    return model


def assert_same_outputs(graph: Graph, exported: nn.Module, reference: nn.Module) -> None:
    assert list(exported.state_dict()) == list(reference.state_dict())
    exported.load_state_dict(reference.state_dict())
    x = input_batch(graph)
    with torch.inference_mode():
        assert (exported.eval()(x) - reference.eval()(x)).abs().max().item() <= 1e-6


def ruff_problems(file: Path) -> str:
    done = subprocess.run(
        [str(RUFF), "check", *RUFF_ARGS, str(file)], capture_output=True, text=True, check=False
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_exports_match_the_compiled_model(path: Path, tmp_path: Path) -> None:
    graph = load_graph(path)
    file = tmp_path / f"{path.stem}_model.py"
    exported = exported_model(graph, file)
    assert_same_outputs(graph, exported, compile_graph(graph, seed=5))
    assert ruff_problems(file) == ""
    source = file.read_text()
    assert "convas" not in source.split('"""', 2)[2].lower()  # no Convas import or call
    report = infer(graph)
    assert f"Parameters: {report.total_params:,}" in source
    assert f"Output: N x {' x '.join(map(str, report.output_shape or ()))}" in source


def test_branches_read_as_python_and_the_script_runs(tmp_path: Path) -> None:
    graph = load_graph(ROOT / "examples" / "resnet_mini.yaml")
    source = export_code(graph)
    assert "        b1_add = b1_conv2_bn + stem_relu\n" in source
    assert "        self.b2_conv1_bn = nn.BatchNorm2d(32)\n" in source
    assert "pad=nn.ConstantPad2d((0, 1, 0, 1), 0.0)," in source  # Same with stride 2
    file = tmp_path / "resnet.py"
    file.write_text(source)
    done = subprocess.run(
        [sys.executable, str(file)], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch.Size([2, 4])"


def colliding_graph() -> Graph:
    """Ids equal to names the generated code uses, with a branch, Concat and -inf pads."""
    graph = Graph(name="collide")
    graph.add_node("Input", "x", {"channels": 3, "height": 9, "width": 9})
    graph.add_node(
        "Conv2D", "OrderedDict", {"filters": 4, "kernel": [3, 1], "padding": "Same"}, ["x"]
    )
    graph.add_node(
        "MaxPool2D", "Path", {"kernel": 3, "stride": 2, "padding": "Same"}, ["OrderedDict"]
    )
    graph.add_node(
        "Conv2D",
        "load_file",
        {"filters": 2, "kernel": 1, "stride": 2, "activation": "LeakyReLU"},
        ["x"],
    )
    graph.add_node("Concat", "model", inputs=["Path", "load_file"])
    graph.add_node("Conv2D", "sample", {"filters": 6, "kernel": 1}, ["model"])
    graph.add_node("Add", "print", inputs=["sample", "model"])
    graph.add_node("GlobalAvgPool2D", "input", inputs=["print"])
    graph.add_node("Dense", "WEIGHTS", {"units": 3, "activation": "Softmax"}, ["input"])
    return graph


def test_ids_that_shadow_generated_names_still_work(tmp_path: Path) -> None:
    graph = colliding_graph()
    file = tmp_path / "collide.py"
    reference = compile_graph(graph, seed=1)
    save_weights(reference.state_dict(), tmp_path / "collide.safetensors")
    exported = exported_model(graph, file, weights_path="collide.safetensors")
    assert_same_outputs(graph, exported, reference)
    source = file.read_text()
    assert 'float("-inf")' in source
    assert "        model = torch.cat([path, load_file], dim=1)\n" in source
    assert ruff_problems(file) == ""
    done = subprocess.run(
        [sys.executable, str(file)], capture_output=True, text=True, check=False, cwd=ROOT
    )  # the weights are found from the file
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch.Size([2, 3])"
    loaded = import_file(file).load_model()
    x = input_batch(graph)
    with torch.inference_mode():
        assert torch.equal(loaded(x), reference.eval()(x))


def test_a_variable_that_would_hide_torch_is_renamed(tmp_path: Path) -> None:
    graph = Graph(name="g")  # ids.py refuses 'torch'; a graph built around it still works
    graph.add_node("Input", "input", {"channels": 1, "height": 4, "width": 4})
    graph.add_node("Flatten", "flat", inputs=["input"])
    graph.add_node("Dense", "a", {"units": 2}, ["flat"])
    graph.nodes["torch"] = Node(
        "torch", "Dense", nodes.get("Dense").resolve({"units": 2}), ["flat"]
    )
    graph.add_node("Concat", "out", inputs=["a", "torch"])
    file = tmp_path / "g.py"
    exported = exported_model(graph, file)
    source = file.read_text()
    assert "        torch_ = self.torch(flat)\n" in source
    assert "        return torch.cat([a, torch_], dim=1)\n" in source
    assert_same_outputs(graph, exported, compile_graph(graph, seed=0))


layer_params = st.fixed_dictionaries(
    {
        "filters": st.integers(1, 5),
        "kernel": st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=2)),
        "stride": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
        "padding": st.sampled_from(["None", "Same", 0, 1, 2]),
        "activation": st.sampled_from(["None", "ReLU", "GELU", "Softmax", "ELU", "Sigmoid"]),
        "bias": st.booleans(),
    }
)


@settings(deadline=None, max_examples=12)
@given(
    conv=layer_params,
    pool=st.sampled_from(["MaxPool2D", "AvgPool2D"]),
    pool_padding=st.sampled_from(["None", "Same", 1]),
    size=st.integers(5, 11),
)
def test_any_convolution_settings_export_faithfully(
    tmp_path_factory: pytest.TempPathFactory,
    conv: dict[str, object],
    pool: str,
    pool_padding: str,
    size: int,
) -> None:
    graph = Graph(name="prop")
    graph.add_node("Input", "input", {"channels": 2, "height": size, "width": size + 1})
    graph.add_node("Conv2D", "conv", conv, ["input"])
    graph.add_node(pool, "pool", {"kernel": 2, "stride": [1, 2], "padding": pool_padding}, ["conv"])
    graph.add_node("BatchNorm2D", "bn", {"momentum": 0.3, "eps": 1e-3}, ["pool"])
    graph.add_node("Flatten", "flat", inputs=["bn"])
    graph.add_node("Dropout", "drop", {"rate": 0.25}, ["flat"])
    if not infer(graph).ok:  # e.g. a kernel larger than the image
        return
    file = tmp_path_factory.mktemp("prop") / "prop.py"
    exported = exported_model(graph, file)
    assert_same_outputs(graph, exported, compile_graph(graph, seed=2))
    assert str(exported.get_submodule("drop")) == "Dropout(p=0.25, inplace=False)"
    bn = exported.get_submodule("bn")
    assert (bn.eps, bn.momentum) == (1e-3, 0.3)


def test_invalid_graph_is_refused_with_its_problems() -> None:
    graph = Graph(name="bad")
    graph.add_node("Input", "input", {"channels": 1, "height": 8, "width": 8})
    graph.add_node("Dense", "fc", {"units": 2}, ["input"])
    with pytest.raises(CompileError, match="Dense 'fc': needs a vector"):
        export_code(graph)


class Doubler(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


def test_module_code_refuses_what_it_cannot_reproduce() -> None:
    probes = probe_inputs([(4,)])
    with pytest.raises(ExportError, match=r"node .d.: Doubler is not a torch\.nn module"):
        module_code(Doubler(), probes, "node 'd'")
    wide = nn.Linear(4, 2).double()
    with pytest.raises(ExportError, match="node 'w': rebuilding Linear"):
        module_code(wide, tuple(p.double() for p in probes), "node 'w'")


def test_module_code_keeps_tuples_whose_meaning_differs_from_a_number() -> None:
    with torch.no_grad():
        code = module_code(nn.Unflatten(1, (2, 2)), probe_inputs([(4,)]), "u")
        assert code == "nn.Unflatten(1, (2, 2))"  # (2, 2) is not the same as 2 here
        nested = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Softmax(dim=1)))
        assert module_code(nested, probe_inputs([(4,)]), "s") == (
            "nn.Sequential(\n    nn.Linear(4, 3),\n    nn.Sequential(\n        nn.ReLU(),\n"
            "        nn.Softmax(dim=1),\n    ),\n)"
        )


def test_cli_writes_code_and_weights_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_file = ROOT / "examples" / "lenet5.yaml"
    graph = load_graph(graph_file)
    trained = compile_graph(graph, seed=9)
    weights = tmp_path / "run" / "model.safetensors"
    weights.parent.mkdir()
    save_weights(trained.state_dict(), weights)
    out = tmp_path / "export" / "lenet.py"
    out.parent.mkdir()
    assert (
        main(["export", str(graph_file), "--to", "py", "-o", str(out), "--weights", str(weights)])
        == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {out} and {out.with_suffix('.safetensors')}"
    loaded = import_file(out).load_model()
    x = input_batch(graph)
    with torch.inference_mode():
        assert torch.equal(loaded(x), trained.eval()(x))


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "m.py")
    assert main(["export", str(tmp_path / "missing.yaml"), "--to", "py", "-o", out]) == 2
    assert "missing.yaml: file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "examples" / "lenet5.yaml").read_text().replace("inputs: [flatten]", "inputs: [s4]")
    )
    assert main(["export", str(bad), "--to", "py", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "the graph is invalid" in err
    assert "  - Dense 'f5': needs a vector" in err
    lenet = str(ROOT / "examples" / "lenet5.yaml")
    garbage = tmp_path / "w.safetensors"
    garbage.write_bytes(b"not tensors")
    assert main(["export", lenet, "--to", "py", "-o", out, "--weights", str(garbage)]) == 2
    assert "not a safetensors weights file" in capsys.readouterr().err
    assert main(["export", lenet, "--to", "py", "-o", str(tmp_path / "no" / "m.py")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not Path(out).exists()
