"""One module per `convas` subcommand, each exposing ``register(subparsers)``."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from graph_io.atomic_files import target_of
from nodes.errors import ConvasError

if TYPE_CHECKING:
    from graph_io.model import Graph


def load_or_report(path: str) -> Graph | None:
    """The graph in ``path``, or None after printing why it cannot be read (exit 2)."""
    from graph_io.yaml_io import load_graph

    try:
        return load_graph(path)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def output_problem(
    name: str | os.PathLike[str], *, inputs: Sequence[str | os.PathLike[str]] = ()
) -> str | None:
    """Why the file ``name`` cannot be written, checked before any work: None when it can.

    Commands call this for every output before they start, so a careless or hostile
    name is refused in one line up front instead of as a traceback after minutes of
    work, and nothing is half-written. Refused: an empty name or one that names a
    folder (``out/``, ``.``), a folder, anything that is not a regular file (a FIFO
    would block; replacing ``/dev/null`` would break the system), a missing or
    read-only folder, a read-only file, and any of the command's own ``inputs``
    (exporting onto the graph being exported would destroy it).
    """
    raw = os.fspath(name)
    if not raw:
        return "the name is empty; give a file name"
    if raw.endswith(("/", os.sep)) or Path(raw).name in ("", ".", ".."):
        return "it names a folder; give a file name inside it"
    file = Path(raw)
    target = Path(os.path.realpath(file)) if file.is_symlink() else file
    if target.is_dir():
        return "it is a folder; give a file name"
    if target.exists() and not target.is_file():
        return f"it is {_special_kind(target)}, not a regular file; give a regular file"
    for source in inputs:
        if target.exists() and _same_file(target, Path(source)):
            return f"it is the input {os.fspath(source)}; writing there would destroy it"
    folder = target.parent
    if not folder.exists():
        return f"the folder {folder} does not exist — create it first"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    if target.exists() and not os.access(target, os.W_OK):
        return "the file is read-only — make it writable (chmod u+w) or choose another name"
    return None


def _same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):
        return False


def _special_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a special file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def write_error_message(exc: OSError, fallback: str | os.PathLike[str]) -> str:
    """``cannot write FILE: reason`` for a failed staged write, naming the user's file.

    The file is the one the user asked for, not the temporary file beside it where
    the error happened; a full disk or a file-size limit says so and that the
    previous files were kept (staged writes move nothing into place on failure).
    """
    raw = exc.filename2 if exc.filename2 is not None else exc.filename
    where = target_of(raw) if isinstance(raw, str | os.PathLike) else Path(fallback)
    reason = exc.strerror or str(exc)
    if exc.errno in _FULL:
        reason += " (the disk is full or a file-size limit applies)"
    return f"cannot write {where}: {reason}; existing files were left as they were"
