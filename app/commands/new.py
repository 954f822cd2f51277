"""`convas new`: start a graph file from one of the templates shipped in the package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("new", help="write an example graph to start from")
    parser.add_argument("--template", default="lenet5", help="example name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the templates")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("out", nargs="?", help="file to write")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.commands import output_problem, write_error_message
    from graph_io.atomic import write_atomic
    from resources import UnknownResourceError, template, templates

    if args.list:
        for name, shipped in templates().items():
            print(f"{name:<14} {shipped.title}")
        return 0
    if not args.out:
        print(
            "error: give the file to write, e.g. convas new --template lenet5 net.yaml",
            file=sys.stderr,
        )
        return 2
    try:
        text = template(args.template).text()
    except UnknownResourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    problem = output_problem(args.out)
    if problem is not None:
        print(f"error: cannot write {args.out}: {problem}", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"error: {out} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    try:
        write_atomic(out, text)
    except OSError as exc:
        print(f"error: {write_error_message(exc, out)}", file=sys.stderr)
        return 2
    print(f"wrote {out} from template {args.template}")
    return 0
