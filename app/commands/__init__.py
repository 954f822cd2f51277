"""One module per `convas` subcommand, each exposing ``register(subparsers)``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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


def unwritable_reason(file: Path) -> str | None:
    """Why ``file`` cannot be written, checked before any work: None when it can.

    Commands call this for every output before they start, so a missing or
    read-only folder is reported in one line up front instead of as a traceback
    after minutes of work, and nothing is half-written.
    """
    target = Path(os.path.realpath(file)) if file.is_symlink() else file
    folder = target.parent
    if target.is_dir():
        return "it is a folder; give a file name"
    if target.exists() and not target.is_file():
        return "it is not a regular file"
    if not folder.exists():
        return f"the folder {folder} does not exist — create it first"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    if target.exists() and not os.access(target, os.W_OK):
        return "the file is read-only"
    return None
