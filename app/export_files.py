"""Writing an export to disk: the files the CLI's ``convas export`` and the editor's
Export menu both produce, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from graph_io.model import Graph

if TYPE_CHECKING:
    import torch


def write_export(
    graph: Graph, to: str, output: Path, weights: Mapping[str, torch.Tensor] | None = None
) -> list[Path]:
    """Write ``graph`` as ``to`` ("py" or "onnx") and return the files written.

    Weights are embedded in ONNX; for code they go beside the ``.py`` under the same
    stem (``model.py`` + ``model.safetensors``), so the pair can be moved together and
    the generated ``load_model()`` finds them from the file's own location.
    """
    if to == "onnx":
        from graph_io.export_onnx import export_onnx

        export_onnx(graph, output, weights=weights)
        return [output]
    from graph_io.export_py import export_code

    if weights is None:
        output.write_text(export_code(graph), encoding="utf-8")
        return [output]
    from app.training.checkpoint import save_weights

    target = output.with_suffix(".safetensors")
    output.write_text(export_code(graph, weights_path=target.name), encoding="utf-8")
    save_weights(weights, target, {"format": "convas-weights-1", "graph": graph.name})
    return [output, target]
