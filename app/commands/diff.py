"""`convas diff`: what changed between two graph files (nodes, wiring, counts).

Exit codes follow ``diff``: 0 when the models are the same (renamed nodes and moved
positions do not change a model), 1 when they differ, 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.commands import load_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="compare two graphs: added, removed, changed nodes",
        description="List the nodes added, removed and changed (params, wiring) from OLD to "
        "NEW, with shape, parameter and MAC deltas. Renamed nodes are matched by structure. "
        "Exit 0 when the models are the same, 1 when they differ, 2 when a file is unreadable.",
    )
    parser.add_argument("old", help="graph YAML file (or a run folder's graph.yaml)")
    parser.add_argument("new", help="graph YAML file to compare it with")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.diff import diff_graphs, format_diff

    old = load_or_report(args.old)
    if old is None:
        return 2
    new = load_or_report(args.new)
    if new is None:
        return 2
    result = diff_graphs(old, new)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_diff(result, args.old, args.new))
    return 0 if result.same else 1
