"""Export a graph to ONNX with a dynamic batch axis (needs the `convas[onnx]` extra).

The TorchScript-based exporter (``dynamo=False``) is used on purpose: it works
offline, takes a fraction of a second for these models and needs no onnxscript
rewriting. When it refuses the model, each layer is exported on its own to find
and name the ones ONNX cannot express, instead of showing torch's trace dump.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_io.compiler import compile_graph
from graph_io.errors import CompileError
from graph_io.model import Graph
from graph_io.module_code import probe_inputs
from graph_io.shapes import Report, infer
from nodes.errors import ConvasError

if TYPE_CHECKING:
    import torch
    from torch import nn

INPUT_NAME = "input"
OUTPUT_NAME = "output"


class OnnxExportError(ConvasError):
    """ONNX export is unavailable, or some layers cannot be expressed in ONNX."""


def export_onnx(
    graph: Graph,
    path: str | os.PathLike[str],
    *,
    weights: Mapping[str, torch.Tensor] | None = None,
    opset: int = 17,
) -> None:
    """Write ``graph`` (with ``weights`` when given) as an ONNX model.

    The input is named ``input`` and the output ``output``, both with a dynamic
    batch axis; the file passes ``onnx.checker``. Raises ``CompileError`` for an
    invalid graph and ``OnnxExportError`` naming each layer ONNX cannot express.
    """
    try:
        import onnx
    except ImportError:
        raise OnnxExportError(
            "ONNX export needs the onnx extra: pip install 'convas[onnx]'"
        ) from None

    report = infer(graph)
    if not report.ok:
        raise CompileError([p.message for p in report.problems])
    model = compile_graph(graph, seed=0).eval()
    if weights is not None:
        model.load_state_dict(dict(weights))
    (sample,) = probe_inputs([report.results[report.order[0]].shape or ()])
    try:
        data = _export(model, (sample,), opset, dynamic=True)
    except Exception as exc:  # torch raises many types; find the layers to blame
        raise OnnxExportError(_explain(graph, model, report, opset, exc)) from exc
    proto = onnx.load_from_string(data)
    proto.graph.name = graph.name
    onnx.checker.check_model(proto)
    Path(path).write_bytes(proto.SerializeToString())


def _export(module: nn.Module, args: tuple[Any, ...], opset: int, *, dynamic: bool) -> bytes:
    import torch

    names = [f"{INPUT_NAME}{i}" if len(args) > 1 else INPUT_NAME for i in range(len(args))]
    axes = {name: {0: "batch"} for name in [*names, OUTPUT_NAME]} if dynamic else None
    buffer = io.BytesIO()
    noise = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(noise):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            buffer,  # type: ignore[arg-type]
            input_names=names,
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    return buffer.getvalue()


def _explain(graph: Graph, model: nn.Module, report: Report, opset: int, exc: Exception) -> str:
    """Which nodes fail to export alone, each with the first line of torch's reason."""
    failures: list[str] = []
    for nid in report.order[1:]:
        layer = model.get_submodule(nid)
        inputs = probe_inputs(report.results[nid].input_shapes)
        try:
            _export(layer, inputs, opset, dynamic=False)
        except Exception as layer_exc:
            node = graph.nodes[nid]
            failures.append(f"{node.type} '{nid}': {_first_line(layer_exc)}")
    if not failures:
        return f"the model cannot be expressed in ONNX opset {opset}: {_first_line(exc)}"
    return (
        f"ONNX opset {opset} cannot express "
        + "; ".join(failures)
        + " — replace these layers or export to PyTorch code (--to py) instead"
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
