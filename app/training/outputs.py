"""Where a training run writes, checked before training and rescued after it.

A run can take hours, so its output folder is checked before any work: an existing
file in its place, a folder that cannot be created or written, or the weights of an
earlier run that would be silently replaced are all refused up front with the fix.
If writing still fails at the end (the disk filled up, the folder vanished), the
run goes to a fresh folder in the system's temporary directory instead and the
user is told where: a finished run is never thrown away.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from graph_io.file_names import safe_file_stem
from nodes.errors import ConvasError

WEIGHTS_FILE = "model.safetensors"


class OutputError(ConvasError):
    """An output folder a run cannot use; the message says what to do instead."""


def prepare_out_dir(out: Path, *, overwrite: bool = False) -> bool:
    """Create ``out`` if needed and prove it is writable; True when it was created.

    Raises ``OutputError`` when ``out`` is a file, cannot be created or written, or
    already holds an earlier run's weights and ``overwrite`` is not set.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; give a folder for the run's files")
    if (out / WEIGHTS_FILE).exists() and not overwrite:
        raise OutputError(
            f"{out} already holds the weights of an earlier run ({WEIGHTS_FILE}); choose "
            "another --out, or add --overwrite to replace them"
        )
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {out}: {exc.strerror or exc} — choose another --out"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix=".convas-probe-"):
            pass
    except OSError as exc:
        if created:
            out.rmdir()
        raise OutputError(
            f"cannot write to {out}: {exc.strerror or exc} — choose another --out"
        ) from None
    return created


def rescue_dir(graph_name: str) -> Path:
    """A new folder in the system temp directory for a run that could not be written."""
    prefix = f"convas-rescued-{safe_file_stem(graph_name)}-"
    return Path(tempfile.mkdtemp(prefix=prefix))
