"""`convas export`: standalone PyTorch code or ONNX, optionally with trained weights."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from app.commands import load_or_report
from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="write the model as PyTorch code or ONNX")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--to", choices=["py", "onnx"], required=True)
    parser.add_argument("-o", "--output", required=True, type=Path)
    parser.add_argument("--weights", type=Path, help="model.safetensors to ship with it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.errors import CompileError

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    try:
        weights = None
        if args.weights:
            from app.training.checkpoint import load_weights

            weights = load_weights(graph, args.weights)
        if args.to == "py":
            write_python(graph, args.output, args.weights)
        else:
            from graph_io.export_onnx import export_onnx

            export_onnx(graph, args.output, weights=weights)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}")
    return 0


def write_python(graph: Any, output: Path, weights: Path | None) -> None:
    from graph_io.export_py import export_code

    weights_name = None
    if weights is not None:
        weights_name = output.with_suffix(".safetensors").name
        target = output.with_name(weights_name)
        if target.resolve() != weights.resolve():
            shutil.copyfile(weights, target)
    output.write_text(export_code(graph, weights_file=weights_name), encoding="utf-8")
