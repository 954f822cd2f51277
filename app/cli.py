"""The `convas` command: subcommands for headless use, or the editor with no command.

Each subcommand lives in its own module under ``app.commands`` with a
``register(subparsers)`` function; they import torch and Qt only when they run, so
``convas summary`` answers instantly.
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    try:
        return _dispatch(args_list)
    except BrokenPipeError:
        return _reader_left()


def _dispatch(args_list: list[str]) -> int:
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


def _reader_left() -> int:
    """Exit quietly when the reader of our output went away (``convas ... | head -3``).

    Whatever the command did (a run's files are written before its summary is
    printed) stays done; only the rest of the output is dropped. The standard
    streams are pointed at the null device so that Python's own flush at exit does
    not raise a second time. 1, as the output was cut short: like a tool killed by
    SIGPIPE, a pipeline with ``set -o pipefail`` notices.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):  # a replaced stream without a descriptor
            continue
    os.close(devnull)
    return 1


def open_editor(path: str | None, parser: argparse.ArgumentParser) -> int:
    try:
        launch = importlib.import_module("app.launch")
    except ImportError:
        parser.print_help()
        return 0
    return int(launch.main(path))


if __name__ == "__main__":
    sys.exit(main())
