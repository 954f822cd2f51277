"""`convas new`: start a graph file from one of the bundled examples."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import app

EXAMPLES = Path(app.__file__).resolve().parents[1] / "examples"


def templates() -> dict[str, Path]:
    return {path.stem: path for path in sorted(EXAMPLES.glob("*.yaml"))}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("new", help="write an example graph to start from")
    parser.add_argument("--template", default="lenet5", help="example name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the templates")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("out", nargs="?", help="file to write")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    known = templates()
    if args.list:
        for name in known:
            print(name)
        return 0
    if not args.out:
        print(
            "error: give the file to write, e.g. convas new --template lenet5 net.yaml",
            file=sys.stderr,
        )
        return 2
    source = known.get(args.template)
    if source is None:
        print(
            f"error: unknown template {args.template!r}; known: {', '.join(known)}", file=sys.stderr
        )
        return 2
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"error: {out} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    shutil.copyfile(source, out)
    print(f"wrote {out} from template {args.template}")
    return 0
