"""Atomic file writes: a crash or a failed export leaves the old file or the new one,
never half of one — and a failed operation leaves files untouched."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends) to ``path`` in one step."""
    target = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # mkstemp makes the file private (0600); a replaced file keeps its mode, a new one
    # gets the usual rw-r--r--.
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
