"""`convas evaluate`: accuracy, per-class accuracy and a confusion matrix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate trained weights on a dataset")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--weights", required=True, type=Path, help="model.safetensors")
    parser.add_argument("--dataset", help="digits, shapes, or a path (default: the file's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.commands.train import config_from_args, from_cwd
    from app.training.evaluate import EvaluationError, evaluate, format_confusion
    from graph_io.yaml_io import load_graph

    try:
        graph = load_graph(args.file)
        if args.dataset is not None:  # typed in a shell: relative to where it was typed
            args.dataset = from_cwd(args.dataset)
        config = config_from_args(graph, args, ("dataset",))
        base_dir = Path(args.file).resolve().parent  # as `convas train` resolves paths
        result = evaluate(graph, args.weights, config, base_dir=base_dir)
    except EvaluationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = int(result.confusion.sum())
    print(f"accuracy {result.accuracy:.2%} on {total} samples")
    if result.nonfinite:
        print(
            f"note: the model's outputs were NaN or infinite for {result.nonfinite} of {total} "
            f"samples, so their predictions mean nothing; {args.weights} probably comes from "
            "a run whose loss diverged — use its best.safetensors or train again",
            file=sys.stderr,
        )
    print(format_confusion(result))
    return 0
