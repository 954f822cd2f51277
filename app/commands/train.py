"""`convas train`: train a graph file headless, with a live progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train", help="train a graph on a dataset",
        description="Train FILE; flags override the file's training: section.")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--dataset", help="digits, shapes, or a path (folder, .npz, IDX)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int, dest="batch_size")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--optimizer", choices=["SGD", "Adam", "AdamW"])
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--out", type=Path, help="output folder (default runs/NAME-TIME)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


OVERRIDES = ("dataset", "epochs", "batch_size", "lr", "optimizer", "device", "seed")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from app.training.engine import TrainingError, train
    from app.training.progress import ProgressPrinter
    from graph_io.training_config import TrainingConfig
    from graph_io.yaml_io import load_graph

    try:
        graph = load_graph(args.file)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    section: dict[str, Any] = dict(graph.training or {})
    for name in OVERRIDES:
        value = getattr(args, name)
        if value is not None:
            section[name] = value
            if name == "dataset":
                section.pop("path", None)
    try:
        config = TrainingConfig.from_section(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}",
              file=sys.stderr)
        return 2
    out = args.out or Path("runs") / f"{graph.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    printer = ProgressPrinter(enabled=not args.quiet)
    try:
        result = train(graph, config, on_event=printer, out_dir=out,
                       base_dir=Path(args.file).resolve().parent)
    except TrainingError as exc:
        printer.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConvasError as exc:
        printer.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    printer.close()
    best = result.best_val_accuracy
    final = result.final_val_accuracy
    accuracy = (f"val accuracy {final:.1%} (best {best:.1%})"
                if final is not None and best is not None else "no validation split")
    state = "stopped" if result.stopped else "done"
    print(f"{state}: {len(result.epochs)} epochs in {result.wall_s:.1f} s, "
          f"{result.samples_per_s:,.0f} samples/s, {accuracy}")
    for file in result.files:
        print(f"  wrote {file}")
    return 0
