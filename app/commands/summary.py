"""`convas summary`: shapes, parameters and MACs of every node, like torchinfo."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands import load_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("summary", help="print shapes, params and MACs per node")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--batch-size",
        type=int,
        dest="batch_size",
        metavar="N",
        help="also estimate the peak memory of training at batch size N",
    )
    parser.add_argument(
        "--optimizer",
        choices=["SGD", "Adam", "AdamW"],
        help="optimizer for the memory estimate (default: the file's, else Adam)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.shapes import infer
    from graph_io.summary import format_table, summary_dict

    if args.batch_size is not None and args.batch_size < 1:
        print(f"error: --batch-size must be 1 or more, got {args.batch_size}", file=sys.stderr)
        return 2
    graph = load_or_report(args.file)
    if graph is None:
        return 2
    report = infer(graph)
    memory = None
    if args.batch_size is not None:
        from graph_io.train_memory import estimate

        optimizer = args.optimizer or str((graph.training or {}).get("optimizer", "Adam"))
        momentum = float((graph.training or {}).get("momentum", 0.9))
        memory = estimate(graph, args.batch_size, optimizer, momentum=momentum, report=report)
    if args.json:
        data = summary_dict(graph, report)
        if memory is not None:
            data["training_memory"] = memory.as_dict()
        print(json.dumps(data, indent=2))
    else:
        print(format_table(graph, report))
        if memory is not None:
            print(format_memory(graph, memory))
    return 0 if report.ok else 1


def format_memory(graph: Any, memory: Any) -> str:
    """The training-memory table printed under the summary."""
    from graph_io.train_memory import bytes_text

    rows = [("Node", "Weights+grads+optimizer", "Activations kept", "Total")]
    for nid, part in memory.by_node.items():
        if part.total:
            state = part.weights + part.gradients + part.optimizer
            rows.append(
                (nid, bytes_text(state), bytes_text(part.activations), bytes_text(part.total))
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"Training memory at batch size {memory.batch_size} ({memory.optimizer}, float32):",
        *(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ),
        f"  input batch {bytes_text(memory.batch)}, "
        f"gradients in flight {bytes_text(memory.backward)}"
        + (f", allocator slack {bytes_text(memory.slack)}" if memory.slack else ""),
        f"  estimated peak: {bytes_text(memory.total)}"
        + ("" if memory.complete else " (incomplete: some nodes have errors)"),
    ]
    return "\n".join(lines)
