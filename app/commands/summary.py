"""`convas summary`: shapes, parameters and MACs of every node, like torchinfo."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.commands import load_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("summary", help="print shapes, params and MACs per node")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.shapes import infer
    from graph_io.summary import format_table, summary_dict

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    report = infer(graph)
    if args.json:
        print(json.dumps(summary_dict(graph, report), indent=2))
    else:
        print(format_table(graph, report))
    return 0 if report.ok else 1
