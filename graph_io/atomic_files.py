"""Writing files so that a failure or a kill leaves the old file, never half a new one.

Every file Convas writes goes to a temporary file beside its target first and is
moved into place with ``os.replace`` only once it is complete and flushed. On top of
that plain recipe, three things users noticed are handled here:

* the saved file keeps the permissions of the file it replaces (``mkstemp`` creates
  0600 files, which silently made a shared 0644 graph private);
* saving through a symlink writes the file the link points to and keeps the link;
* temporary files carry the writer's process id in a recognisable name
  (``.NAME.PID-XXXX.convas-tmp``), so the leftovers of a killed save are found and
  removed by the next save of the same file.

``staged_files`` extends this to several files that belong together (exported code
plus its weights, a graph plus its weights): all are written to temporary files and
moved into place only when every one was written; if a move fails, the files
already moved are put back as they were.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".convas-tmp"
BACKUP_SUFFIX = ".convas-old"
_TEMP_NAME = re.compile(r"\.(.+)\.\d+-[0-9a-f]{8}(?:\.convas-tmp|\.convas-old)", re.DOTALL)
LEGACY_TEMP_AGE_S = 3600.0
"""Age after which an old-style ``.NAME.XXXXXXXX.tmp`` leftover counts as abandoned."""


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write must replace: the end of a symlink chain, or ``path`` itself."""
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else: leave its files alone
    return True


def leftover_temp_files(target: str | os.PathLike[str]) -> list[Path]:
    """Temporary files of ``target`` left by saves that were killed.

    A file counts when its writer process no longer runs; files named by older
    versions of Convas (``.NAME.XXXXXXXX.tmp``, no process id) count once they are
    an hour old.
    """
    final = resolve_target(target)
    folder, prefix = final.parent, f".{final.name}."
    found: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []
    now = time.time()
    for path in candidates:
        middle = path.name[len(prefix) :]
        if middle.endswith((TEMP_SUFFIX, BACKUP_SUFFIX)):
            pid_text = middle.split("-", 1)[0]
            if pid_text.isdigit() and not process_alive(int(pid_text)):
                found.append(path)
        elif middle.endswith(".tmp") and len(middle) == len("XXXXXXXX.tmp"):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > LEGACY_TEMP_AGE_S:
                    found.append(path)
    return sorted(found)


def remove_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Delete what ``leftover_temp_files`` finds; returns the files removed."""
    removed = []
    for path in leftover_temp_files(target):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _temp_name(final: Path, suffix: str) -> Path:
    if final.name in ("", ".", ".."):
        raise IsADirectoryError(errno.EISDIR, "it names a folder, not a file", str(final))
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def target_of(path: str | os.PathLike[str]) -> Path:
    """The file a temporary (or backup) file stands in for; other paths unchanged.

    Errors raised while writing name the temporary file; users must read the name
    they asked for (``.model.py.123-ab12cd34.convas-tmp`` -> ``model.py``).
    """
    file = Path(path)
    match = _TEMP_NAME.fullmatch(file.name)
    return file.with_name(match.group(1)) if match else file


@contextmanager
def writing(target: str | os.PathLike[str]) -> Iterator[None]:
    """Name ``target`` in an ``OSError`` raised by writing its temporary file.

    A failed ``write()`` (a full disk, a file-size limit) raises without a file
    name; when several files are staged together the message must still say which.
    """
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _copy_ownership(temp: Path, final: Path) -> None:
    """Give the new file the mode (and, when allowed, the owner) of the one it replaces."""
    try:
        info = final.stat()
    except FileNotFoundError:
        os.chmod(temp, 0o666 & ~_umask())
        return
    os.chmod(temp, stat.S_IMODE(info.st_mode))
    with contextlib.suppress(OSError, AttributeError):
        os.chown(temp, info.st_uid, info.st_gid)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8 with ``\\n`` lines)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with staged_files(path) as (temp,):
        temp.write_bytes(payload)


@contextmanager
def staged_files(*targets: str | os.PathLike[str]) -> Iterator[tuple[Path, ...]]:
    """Temporary paths to write ``targets`` into; all move into place, or none.

    The caller writes each temporary path (any writer that takes a path works:
    safetensors, ONNX, plain text). When the block ends without an exception every
    target is replaced at once; if the block raises, or a move fails, the targets
    keep their old content and no temporary file is left behind.
    """
    finals = [resolve_target(t) for t in targets]
    for final in finals:
        remove_leftovers(final)
    temps = tuple(_temp_name(final, TEMP_SUFFIX) for final in finals)
    try:
        yield temps
        for temp, final in zip(temps, finals, strict=True):
            if not temp.exists():
                raise FileNotFoundError(f"nothing was written for {final}")
            with open(temp, "rb+") as handle:
                os.fsync(handle.fileno())
            _copy_ownership(temp, final)
        _move_all(temps, finals)
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)


def _move_all(temps: tuple[Path, ...], finals: list[Path]) -> None:
    """Move every temp onto its target; undo the moves already made if one fails.

    Each existing target is first hard-linked (or copied) to a backup, so undoing a
    move is one more ``os.replace``; a target that did not exist is removed again.
    """
    backups: dict[Path, Path | None] = {}
    moved: list[Path] = []
    try:
        for final in finals:
            backup = None
            if final.exists():
                backup = _temp_name(final, BACKUP_SUFFIX)
                try:
                    os.link(final, backup)
                except OSError:
                    shutil.copy2(final, backup)
            backups[final] = backup
        for temp, final in zip(temps, finals, strict=True):
            os.replace(temp, final)
            moved.append(final)
    except BaseException:
        for final in reversed(moved):
            with contextlib.suppress(OSError):
                backup = backups[final]
                if backup is None:
                    final.unlink()
                else:
                    os.replace(backup, final)
        raise
    finally:
        for backup in backups.values():
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)
