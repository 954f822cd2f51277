"""Where a training run writes, checked before training and rescued after it.

A run can take hours, so its output folder is checked before any work: an existing
file in its place, a folder that cannot be created or written, or the weights of an
earlier run that would be silently replaced are all refused up front with the fix.
If writing still fails at the end (the disk filled up, the folder vanished), the
run goes to a fresh folder in the system's temporary directory instead and the
user is told where: a finished run is never thrown away.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from graph_io.file_names import safe_file_stem
from nodes.errors import ConvasError

WEIGHTS_FILE = "model.safetensors"


class OutputError(ConvasError):
    """An output folder a run cannot use; the message says what to do instead."""


def prepare_out_dir(out: Path, *, overwrite: bool = False) -> list[Path]:
    """Create ``out`` if needed and prove it is writable; the folders it created.

    Raises ``OutputError`` when ``out`` is a file or a broken link, cannot be created
    or written, or already holds files a run writes (an earlier run's weights, or a
    ``metrics.csv`` of the user's own) and ``overwrite`` is not set. The folders
    created (``out`` and any missing parents, deepest first) are returned so that a
    run that fails before writing anything can take them back (``remove_created``).
    """
    from app.training.run_folder import FINAL_WEIGHTS, run_files

    if out.is_symlink() and not out.exists():
        raise OutputError(
            f"--out {out} is a link to {os.readlink(out)}, which does not exist; create that "
            "folder or give another --out"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; give a folder for the run's files")
    if (out / FINAL_WEIGHTS).exists() and not overwrite:
        raise OutputError(
            f"{out} already holds the weights of an earlier run ({FINAL_WEIGHTS}); choose "
            "another --out, or add --overwrite to replace them"
        )
    taken = [name for name in run_files() if (out / name).exists()]
    if taken and not overwrite:
        listed = ", ".join(taken[:4]) + (", ..." if len(taken) > 4 else "")
        raise OutputError(
            f"{out} already holds files a run writes ({listed}); choose another --out (a new "
            "or empty folder), or add --overwrite to replace them"
        )
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {out}: {exc.strerror or exc} — choose another --out"
        ) from None
    try:
        probe_writable(out)
    except OSError as exc:
        remove_created(created)
        raise OutputError(
            f"cannot write to {out}: {exc.strerror or exc} — choose another --out"
        ) from None
    return created


def probe_writable(folder: Path) -> None:
    """Create and remove a file in ``folder``; the ``OSError`` says why it cannot be written.

    ``os.access`` cannot be trusted here: root passes it for read-only folders that
    still refuse writes (``chattr +i``, read-only mounts).
    """
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".convas-probe-"):
        pass


def remove_created(folders: list[Path]) -> None:
    """Take back folders ``prepare_out_dir`` created, as long as they are still empty."""
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def rescue_dir(graph_name: str) -> Path:
    """A new folder in the system temp directory for a run that could not be written."""
    prefix = f"convas-rescued-{safe_file_stem(graph_name)}-"
    return Path(tempfile.mkdtemp(prefix=prefix))
