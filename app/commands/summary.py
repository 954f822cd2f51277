"""`convas summary`: shapes, parameters and MACs of every node, like torchinfo."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("summary", help="print shapes, params and MACs per node")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.shapes import infer
    from graph_io.summary import format_table, summary_dict
    from graph_io.yaml_io import load_graph

    try:
        graph = load_graph(args.file)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = infer(graph)
    if args.json:
        print(json.dumps(summary_dict(graph, report), indent=2))
    else:
        print(format_table(graph, report))
    return 0 if report.ok else 1
