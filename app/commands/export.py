"""`convas export`: standalone PyTorch code or ONNX, optionally with trained weights.

Exit codes: 0 written, 1 the graph is invalid or cannot be exported (problems are
printed), 2 a file cannot be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands import load_or_report
from app.export_files import write_export
from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the model as standalone PyTorch code or ONNX",
        description="Write the graph as a standalone PyTorch module (--to py, needs only "
        "torch) or as ONNX (--to onnx, needs the convas[onnx] extra). With --weights, "
        "the trained weights go along: embedded in the ONNX file, or saved beside the "
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
        written = write_export(graph, args.to, args.output, weights)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        print(f"error: cannot export {args.file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # exc.filename may be a temporary file beside the output: name what the user asked for
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print("wrote " + " and ".join(str(path) for path in written))
    return 0
