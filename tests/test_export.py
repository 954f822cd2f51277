"""Exported code and ONNX compute exactly what the compiled Convas model computes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

from app.cli import main
from app.training.checkpoint import save_weights
from graph_io import Graph
from graph_io.compiler import class_name, compile_graph
from graph_io.export_py import export_code
from graph_io.yaml_io import load_graph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def import_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample(graph: Graph, batch: int = 3) -> torch.Tensor:
    p = next(n for n in graph.nodes.values() if n.type == "Input").params
    return torch.randn(batch, p["channels"], p["height"], p["width"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_python_export_matches_compiled_model(path: Path, tmp_path: Path) -> None:
    graph = load_graph(path)
    file = tmp_path / f"{path.stem}_model.py"
    file.write_text(export_code(graph))
    module = import_file(file)
    exported = getattr(module, class_name(graph.name))()
    reference = compile_graph(graph, seed=5).eval()
    exported.load_state_dict(reference.state_dict())
    exported.eval()
    x = sample(graph)
    with torch.inference_mode():
        assert (exported(x) - reference(x)).abs().max().item() <= 1e-6
    ruff = Path(sys.executable).parent / "ruff"
    lint = subprocess.run(
        [str(ruff), "check", "--isolated", str(file)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout


def test_exported_script_runs_standalone_with_weights(tmp_path: Path) -> None:
    graph_file = ROOT / "examples" / "lenet5.yaml"
    graph = load_graph(graph_file)
    model = compile_graph(graph, seed=9)
    weights = tmp_path / "trained.safetensors"
    save_weights(model.state_dict(), weights)
    out = tmp_path / "lenet.py"
    assert (
        main(["export", str(graph_file), "--to", "py", "-o", str(out), "--weights", str(weights)])
        == 0
    )
    done = subprocess.run(
        [sys.executable, str(out)], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "torch.Size([2, 10])" in done.stdout
    loaded = import_file(out).load_model()
    x = sample(graph)
    with torch.inference_mode():
        assert torch.allclose(loaded(x), model.eval()(x), atol=1e-6)
    assert "convas" not in out.read_text().split('"""', 2)[2]  # no import of convas


def test_export_refuses_invalid_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "examples" / "lenet5.yaml").read_text().replace("inputs: [flatten]", "inputs: [s4]")
    )
    assert main(["export", str(bad), "--to", "py", "-o", str(tmp_path / "x.py")]) == 1
    assert "Dense 'f5': needs a vector" in capsys.readouterr().err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_onnx_export_matches_torch(path: Path, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx", reason="needs the convas[onnx] extra")
    ort = pytest.importorskip("onnxruntime", reason="needs the convas[onnx] extra")
    from graph_io.export_onnx import export_onnx

    graph = load_graph(path)
    reference = compile_graph(graph, seed=3).eval()
    file = tmp_path / "model.onnx"
    export_onnx(graph, file, weights=reference.state_dict())
    onnx.checker.check_model(onnx.load(str(file)))
    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        x = sample(graph, batch)
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.inference_mode():
            expected = reference(x).numpy()
        assert got.shape == expected.shape
        assert abs(got - expected).max() <= 1e-4
