"""The `convas` command: subcommands for headless use, or the editor with no command.

Each subcommand lives in its own module under ``app.commands`` with a
``register(subparsers)`` function; they import torch and Qt only when they run, so
``convas summary`` answers instantly.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from types import FrameType
from typing import Any, TextIO

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


INTERRUPTED = 130
"""Exit code after Ctrl+C, as for any program stopped by SIGINT (128 + 2)."""


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    stdout = sys.stdout
    if stdout is not None:
        sys.stdout = _Output(stdout)
    previous = _watch_ctrl_c()
    try:
        code = _dispatch(args_list)
        if sys.stdout is not None:
            sys.stdout.flush()  # an output that cannot be written fails here, not at exit
        return code
    except BrokenPipeError:
        return _reader_left()
    except KeyboardInterrupt:
        # Ctrl+C outside a training loop (which stops politely on the first one):
        # every write is staged, so stopping anywhere leaves files as they were.
        _quiet_streams()
        _say("\nerror: interrupted (Ctrl+C); files are as they were before the command")
        return INTERRUPTED
    except OutputError as exc:  # `convas summary x > /dev/full`, a disk that filled up
        _quiet_streams()
        _say(f"error: cannot write the output: {exc}")
        return 2
    except Exception as exc:  # the last line of defence, see _internal_error
        if _CtrlC.pressed:  # swallowed by a library mid-import, then this followed
            _quiet_streams()
            _say("\nerror: interrupted (Ctrl+C)")
            return INTERRUPTED
        return _internal_error(exc)
    finally:
        if isinstance(sys.stdout, _Output):
            sys.stdout = stdout
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


class _CtrlC:
    """Whether Ctrl+C was pressed during this command."""

    pressed = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        cls.pressed = True
        raise KeyboardInterrupt


def _watch_ctrl_c() -> Any:
    """Record Ctrl+C while raising KeyboardInterrupt as usual; the handler it replaced.

    A KeyboardInterrupt that lands inside a library's import can be swallowed there
    and surface later as an unrelated error (a RecursionError in a half-imported
    module was seen): knowing that Ctrl+C was pressed, that error is reported as the
    interruption it is, not as a bug. Only Python's default handler is replaced, and
    only in the main thread (training installs its own polite handler on top).
    """
    import threading

    _CtrlC.pressed = False
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None  # ignored (a background job) or someone else's handler: leave it
    return signal.signal(signal.SIGINT, _CtrlC.handle)


class OutputError(Exception):
    """Writing to standard output failed (not a broken pipe: that ends quietly)."""


class _Output:
    """``sys.stdout`` with a failed write told apart from any other ``OSError``.

    Only a failure of the stream itself means "the output cannot be written"; an
    ``OSError`` from anywhere else is a file problem a command must report itself.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


DEBUG_ENV = "CONVAS_DEBUG"


def _internal_error(exc: BaseException) -> int:
    """A bug in Convas: one line for the user, the traceback only when asked for.

    Every failure a user can cause has its own message; this catches what slipped
    through so that nobody is left reading a Python traceback. The tests treat this
    line as a failure just like a traceback (``tests/cli_helpers.py``).
    """
    if os.environ.get(DEBUG_ENV):
        raise exc
    _say(
        f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in Convas — "
        f"please report it with the command you ran ({DEBUG_ENV}=1 shows the traceback)"
    )
    return 1


def _dispatch(args_list: list[str]) -> int:
    try:
        os.getcwd()
    except FileNotFoundError:  # torch's libraries even abort on import in that case
        print(
            "error: the current folder no longer exists; cd to an existing folder and run "
            "the command again",
            file=sys.stderr,
        )
        return 2
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
    _quiet_streams(sys.stdout, sys.stderr)
    return 1


def _quiet_streams(*streams: TextIO) -> None:
    """Point ``streams`` (default: stdout) at the null device, dropping what is pending.

    Python flushes the standard streams at exit; a stream whose reader left or whose
    disk is full would raise again there, after our one-line message.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams or (sys.stdout,):
        try:
            os.dup2(devnull, stream.fileno())
        except (AttributeError, OSError, ValueError):  # no stream, or no descriptor
            continue
    os.close(devnull)


def _say(message: str) -> None:
    """Print to stderr if it still works: it may be the stream that failed."""
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr)


def open_editor(path: str | None, parser: argparse.ArgumentParser) -> int:
    try:
        launch = importlib.import_module("app.launch")
    except ImportError:
        parser.print_help()
        return 0
    return int(launch.main(path))


if __name__ == "__main__":
    sys.exit(main())
