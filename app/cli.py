"""The `convas` command: subcommands for headless use, or the editor with no command.

Each subcommand lives in its own module under ``app.commands`` with a
``register(subparsers)`` function; they import torch and Qt only when they run, so
``convas summary`` answers instantly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

COMMAND_MODULES = (
    "app.commands.summary",
    "app.commands.validate",
    "app.commands.new",
    "app.commands.train",
    "app.commands.evaluate",
    "app.commands.export",
    "app.commands.import_torch",
    "app.commands.render",
    "app.commands.diff",
    "app.commands.runs",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convas",
        description="Build, check, train and export convolutional networks drawn as graphs. "
        "With no command (or a .yaml file) it opens the editor.",
    )
    try:
        release = version("convas")
    except PackageNotFoundError:  # running from a source tree that is not installed
        release = "dev"
    parser.add_argument("--version", action="version", version=f"convas {release}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    for arg in args_list:
        if "\x00" in arg:  # no file name can hold one; open() would raise ValueError
            print(f"error: argument {arg!r} contains a NUL character", file=sys.stderr)
            return 2
    parser = build_parser()
    if not args_list or (len(args_list) == 1 and args_list[0].lower().endswith((".yaml", ".yml"))):
        return open_editor(args_list[0] if args_list else None, parser)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    return int(run(args))


def open_editor(path: str | None, parser: argparse.ArgumentParser) -> int:
    try:
        launch = importlib.import_module("app.launch")
    except ImportError:
        parser.print_help()
        return 0
    return int(launch.main(path))


if __name__ == "__main__":
    sys.exit(main())
