"""Export a graph to ONNX with a dynamic batch axis (needs the `convas[onnx]` extra)."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

from graph_io.compiler import compile_graph
from graph_io.model import Graph
from graph_io.shapes import infer
from nodes.errors import ConvasError


class OnnxExportError(ConvasError):
    """ONNX export is unavailable or a layer cannot be expressed in ONNX."""


def export_onnx(graph: Graph, path: str | os.PathLike[str], *,
                weights: Mapping[str, object] | None = None, opset: int = 17) -> None:
    """Write ``graph`` (with ``weights`` when given) as an ONNX model that passes the checker."""
    try:
        import onnx
    except ImportError:
        raise OnnxExportError(
            "ONNX export needs the onnx extra: pip install 'convas[onnx]'") from None
    import torch

    model = compile_graph(graph, seed=0).eval()
    if weights is not None:
        model.load_state_dict(dict(weights))
    report = infer(graph)
    shape = report.results[report.order[0]].shape or ()
    sample = torch.zeros(2, *shape)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (sample,), buffer,  # type: ignore[arg-type]
                input_names=["input"], output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=opset, dynamo=False,  # the TorchScript exporter: offline, quick
            )
    except Exception as exc:  # torch raises many types; name the node when we can
        node = next((nid for nid in graph.nodes if nid in str(exc)), None)
        where = f"node '{node}': " if node else ""
        raise OnnxExportError(f"{where}cannot be expressed in ONNX ({exc})") from exc
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto)
    Path(path).write_bytes(buffer.getvalue())
