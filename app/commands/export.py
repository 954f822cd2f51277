"""`convas export`: standalone PyTorch code or ONNX, optionally with trained weights.

Exit codes: 0 written, 1 the graph is invalid or cannot be exported (problems are
printed), 2 a file cannot be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands import load_or_report, output_problem, write_error_message
from app.export_files import weights_file_for, write_export
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
    parser.add_argument("-o", "--output", required=True, help="file to write")
    parser.add_argument("--weights", type=Path, help="trained weights (.safetensors) to ship")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The weights may be re-saved over the --weights file itself (same tensors); the
    # code file must never replace an input.
    outputs = [(args.output, [args.file, *([args.weights] if args.weights else [])])]
    if args.to == "py" and args.weights is not None and output_problem(args.output) is None:
        outputs.append((str(weights_file_for(Path(args.output))), [args.file]))
    for output, inputs in outputs:
        problem = output_problem(output, inputs=inputs)
        if problem is not None:  # before loading torch, compiling or tracing
            print(f"error: cannot write {output}: {problem}", file=sys.stderr)
            return 2
    from app.training.checkpoint import load_weights  # torch: after the quick checks
    from graph_io.errors import CompileError
    from graph_io.shapes import infer

    output = Path(args.output)
    graph = load_or_report(args.file)
    if graph is None:
        return 2
    report = infer(graph)
    if not report.ok:
        print(f"error: {args.file}: the graph is invalid:", file=sys.stderr)
        for found in report.problems:
            print(f"  - {found.message}", file=sys.stderr)
        return 1
    try:
        weights = load_weights(graph, args.weights) if args.weights else None
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        written = write_export(graph, args.to, output, weights)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        print(f"error: cannot export {args.file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {write_error_message(exc, output)}", file=sys.stderr)
        return 2
    print("wrote " + " and ".join(str(path) for path in written))
    return 0
