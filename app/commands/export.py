"""`convas export`: standalone PyTorch code or ONNX, optionally with trained weights.

Exit codes: 0 written, 1 the graph is invalid or cannot be exported (problems are
printed), 2 a file cannot be read or written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands import load_or_report
from nodes.errors import ConvasError

if TYPE_CHECKING:
    import torch

    from graph_io.model import Graph


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the model as standalone PyTorch code or ONNX",
        description="Write the graph as a standalone PyTorch module (--to py, needs only "
        "torch) or as ONNX (--to onnx, needs the convas[onnx] extra). With --weights, "
        "the trained weights go along: embedded in the ONNX file, or copied beside the "
        ".py file, which then loads them with load_model() (needs safetensors).",
    )
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--to", choices=["py", "onnx"], required=True, help="output format")
    parser.add_argument("-o", "--output", required=True, type=Path, help="file to write")
    parser.add_argument("--weights", type=Path, help="trained weights (.safetensors) to ship")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.training.checkpoint import load_weights
    from graph_io.errors import CompileError
    from graph_io.shapes import infer

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    report = infer(graph)
    if not report.ok:
        print(f"error: {args.file}: the graph is invalid:", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem.message}", file=sys.stderr)
        return 1
    try:
        weights = load_weights(graph, args.weights) if args.weights else None
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        written = _write(graph, args.to, args.output, args.weights, weights)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        print(f"error: cannot export {args.file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {exc.filename or args.output}: {exc.strerror}",
              file=sys.stderr)
        return 2
    print("wrote " + " and ".join(str(path) for path in written))
    return 0


def _write(graph: Graph, to: str, output: Path, weights_file: Path | None,
           weights: dict[str, torch.Tensor] | None) -> list[Path]:
    if to == "onnx":
        from graph_io.export_onnx import export_onnx

        export_onnx(graph, output, weights=weights)
        return [output]
    from graph_io.export_py import export_code

    if weights_file is None:
        output.write_text(export_code(graph), encoding="utf-8")
        return [output]
    # The weights travel beside the code under the same stem, so the pair can be
    # moved together and load_model() finds them from the file's own location.
    target = output.with_suffix(".safetensors")
    code = export_code(graph, weights_path=target.name)
    output.write_text(code, encoding="utf-8")
    if not target.exists() or target.resolve() != weights_file.resolve():
        shutil.copyfile(weights_file, target)
    return [output, target]
