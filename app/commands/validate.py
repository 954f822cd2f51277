"""`convas validate`: every problem in a graph file; the exit code says which kind."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands import load_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a graph file",
        description="Exit 0 when valid, 1 when the graph is invalid, 2 when the file cannot "
        "be read.",
    )
    parser.add_argument("file", help="graph YAML file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.shapes import infer

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    report = infer(graph)
    if report.ok:
        shape = "x".join(str(d) for d in report.output_shape or ())
        print(
            f"{args.file}: valid — {len(graph.nodes)} nodes, {report.total_params:,} params, "
            f"output {shape}"
        )
        return 0
    print(f"{args.file}: {len(report.problems)} problem(s)")
    for problem in report.problems:
        param = f" [parameter: {problem.param}]" if problem.param else ""
        print(f"  - {problem.message}{param}")
    return 1
