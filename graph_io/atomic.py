"""Atomic file writes: a crash or a failed export leaves the old file or the new one,
never half of one — and a failed operation leaves files untouched.

The implementation lives in ``graph_io.atomic_files`` (modes kept, symlinks
followed, leftovers of killed saves removed, several files moved together); this
name stays for its callers.
"""

from __future__ import annotations

import os

from graph_io.atomic_files import atomic_write


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends) to ``path`` in one step."""
    atomic_write(path, data)
