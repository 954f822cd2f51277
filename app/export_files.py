"""Writing an export to disk: the files the CLI's ``convas export`` and the editor's
Export menu both produce, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from graph_io.atomic_files import resolve_target, staged_files, writing
from graph_io.model import Graph
from nodes.errors import ConvasError

if TYPE_CHECKING:
    import torch


def write_export(
    graph: Graph, to: str, output: Path, weights: Mapping[str, torch.Tensor] | None = None
) -> list[Path]:
    """Write ``graph`` as ``to`` ("py" or "onnx") and return the files written.

    Weights are embedded in ONNX; for code they go beside the ``.py`` under the same
    stem (``model.py`` + ``model.safetensors``), so the pair can be moved together and
    the generated ``load_model()`` finds them from the file's own location.

    Every file is written to a temporary file first and all are moved into place
    together (``staged_files``): a failed write — a blocked weights path, a full
    disk — leaves the previous export exactly as it was, never code that expects
    weights that were not written.
    """
    output = Path(output)
    if to == "onnx":
        from graph_io.export_onnx import export_onnx

        with staged_files(output) as (temp,), writing(output):
            export_onnx(graph, temp, weights=weights)
        return [output]
    from graph_io.export_py import export_code

    if weights is None:
        code = export_code(graph)
        with staged_files(output) as (temp,), writing(output):
            temp.write_text(code, encoding="utf-8")
        return [output]
    from app.training.checkpoint import save_weights

    target = weights_file_for(output)
    if target == resolve_target(output):
        raise ConvasError(
            f"{output}: the code file needs its own name (e.g. model.py); the weights go "
            "beside it as model.safetensors"
        )
    code = export_code(graph, weights_path=target.name)
    with staged_files(output, target) as (code_temp, weights_temp):
        with writing(output):
            code_temp.write_text(code, encoding="utf-8")
        with writing(target):
            save_weights(weights, weights_temp, {"format": "convas-weights-1", "graph": graph.name})
    return [output, target]


def weights_file_for(output: Path) -> Path:
    """Where exported code's weights go: beside the code file, under the same stem.

    Beside the file the code really is in: exporting through a symlink puts the
    weights next to the link's target, where the generated ``load_model()`` (which
    resolves its own path) looks for them.
    """
    return resolve_target(output).with_suffix(".safetensors")
