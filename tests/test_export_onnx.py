"""ONNX files pass the checker and onnxruntime computes what the compiled model does."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import nodes.registry
from app.cli import main
from app.training.checkpoint import save_weights
from graph_io import Graph, infer
from graph_io.compiler import compile_graph
from graph_io.export_onnx import OnnxExportError, export_onnx
from graph_io.yaml_io import load_graph
from nodes.spec import LayerSpec, Params, Shape

onnx = pytest.importorskip("onnx", reason="ONNX export needs the convas[onnx] extra")
ort = pytest.importorskip("onnxruntime", reason="ONNX export needs the convas[onnx] extra")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def run_onnx(file: Path, x: torch.Tensor) -> Any:
    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"input": x.numpy()})
    return result


def input_shape(graph: Graph) -> Shape:
    shape = infer(graph).results[next(iter(graph.nodes))].shape
    assert shape is not None
    return shape


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_onnxruntime_matches_torch_at_any_batch_size(path: Path, tmp_path: Path) -> None:
    graph = load_graph(path)
    reference = compile_graph(graph, seed=3).eval()
    file = tmp_path / "model.onnx"
    export_onnx(graph, file, weights=reference.state_dict())
    proto = onnx.load(str(file))
    onnx.checker.check_model(proto)
    assert proto.graph.name == graph.name
    assert [i.name for i in proto.graph.input] == ["input"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for batch in (1, 3):
        x = torch.randn(batch, *input_shape(graph))
        with torch.inference_mode():
            expected = reference(x).numpy()
        got = run_onnx(file, x)
        assert got.shape == expected.shape
        assert abs(got - expected).max() <= 1e-4


def test_cli_exports_onnx_with_trained_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_file = ROOT / "examples" / "resnet_mini.yaml"
    graph = load_graph(graph_file)
    trained = compile_graph(graph, seed=11).eval()
    weights = tmp_path / "w.safetensors"
    save_weights(trained.state_dict(), weights)
    out = tmp_path / "resnet.onnx"
    assert (
        main(["export", str(graph_file), "--to", "onnx", "-o", str(out), "--weights", str(weights)])
        == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    x = torch.randn(2, *input_shape(graph))
    with torch.inference_mode():
        assert abs(run_onnx(out, x) - trained(x).numpy()).max() <= 1e-4


class LogGamma(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.lgamma(x)


def _same(params: Params, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]


LGAMMA = LayerSpec(
    type="LogGamma",
    title="LogGamma",
    category="Core",
    summary="test only",
    doc="test only",
    params=(),
    shape=_same,
    build=lambda p, i: LogGamma(),
)


def test_layers_onnx_cannot_express_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(nodes.registry._REGISTRY, "LogGamma", LGAMMA)
    graph = Graph(name="odd")
    graph.add_node("Input", "input", {"channels": 1, "height": 4, "width": 4})
    graph.add_node("Conv2D", "conv", {"filters": 2}, ["input"])
    graph.add_node("LogGamma", "gamma", inputs=["conv"])
    graph.add_node("Flatten", "flat", inputs=["gamma"])
    with pytest.raises(OnnxExportError) as caught:
        export_onnx(graph, tmp_path / "odd.onnx")
    message = str(caught.value)
    assert message.startswith("ONNX opset 17 cannot express LogGamma 'gamma': ")
    assert "aten::lgamma" in message
    assert "Conv2D" not in message
    assert not (tmp_path / "odd.onnx").exists()


def test_missing_onnx_extra_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # what a missing package looks like
    out = tmp_path / "m.onnx"
    assert (
        main(["export", str(ROOT / "examples" / "lenet5.yaml"), "--to", "onnx", "-o", str(out)])
        == 1
    )
    assert "pip install 'convas[onnx]'" in capsys.readouterr().err
    assert not out.exists()
