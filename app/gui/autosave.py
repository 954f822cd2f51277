"""Autosave for the editor: unsaved work is never more than 30 s old on disk.

While a window's document has unsaved changes, its YAML is written every 30 s (and
after structural edits) to ``autosave/`` in the user's data folder
(``QStandardPaths.AppDataLocation``, e.g. ``~/.local/share/Convas``), atomically,
as ``SESSION.yaml``, with ``SESSION.json`` saying which file it was editing, when,
and what that file looked like on disk when the work on it began. A clean save, a
discard, closing the window or a normal exit removes them.

Each window holds an exclusive lock on ``SESSION.lock`` while it runs; the kernel
drops it when the process ends, however it ends. An autosave whose lock can be
taken is what a crash (or a kill) left behind, and ``app.gui.recovery`` offers it
at the next start. A lock, not a process id: ids are reused (inside a container or
a Flatpak sandbox the editor often gets the same one every time), and a new
session must never mistake a dead one's work for its own.

Hooks for tests and support (environment variables):

``CONVAS_AUTOSAVE_INTERVAL_MS``  autosave period instead of 30 000 ms
``CONVAS_AUTOSAVE_FORCE=1``      autosave even a document without changes
``CONVAS_RECOVERY_ANSWER``       answer the recovery question without a dialog:
                                 ``restore``, ``discard`` or ``keep``; the offer is
                                 also printed on stderr
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from PySide6 import QtCore, QtWidgets

from graph_io.atomic_files import atomic_write
from graph_io.editing.document import Document, Update
from graph_io.yaml_io import dumps_graph

try:
    import fcntl
except ImportError:  # Windows: sessions are told apart by process id alone
    fcntl = None  # type: ignore[assignment]

INTERVAL_MS = 30_000
MIN_GAP_S = 2.0
"""Structural edits save at most this often; the timer catches the rest."""
INTERVAL_ENV = "CONVAS_AUTOSAVE_INTERVAL_MS"
FORCE_ENV = "CONVAS_AUTOSAVE_FORCE"
ANSWER_ENV = "CONVAS_RECOVERY_ANSWER"
SUFFIXES = (".yaml", ".json", ".lock")


def autosave_folder() -> Path:
    """``autosave/`` in the application's data folder (created on first use)."""
    base = QtCore.QStandardPaths.writableLocation(
        QtCore.QStandardPaths.StandardLocation.AppDataLocation
    )
    return Path(base) / "autosave"


def interval_ms() -> int:
    value = os.environ.get(INTERVAL_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else INTERVAL_MS


def file_state(path: Path | None) -> dict[str, int] | None:
    """A file's modification time and size: enough to tell that it changed."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return {"mtime_ns": stat.st_mtime_ns, "size": stat.st_size}


class SessionLock:
    """An exclusive lock on a file, held while a session runs (``flock``).

    Taking it succeeds only when no running process holds it, which is how a
    crashed session is recognised; closing the file (or the process ending)
    releases it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if fcntl is None:
            return True
        try:
            handle = self.path.open("a+b")
        except OSError:
            return False
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the flock
            self._file = None


class Autosave(QtCore.QObject):
    """Writes ``text()`` while ``dirty()`` holds, removes it when the work is safe.

    ``source()`` names the file being edited (None for an unsaved graph); it goes in
    the sidecar so recovery can say what the work was and save back to it.
    """

    def __init__(
        self,
        text: Callable[[], str],
        dirty: Callable[[], bool],
        source: Callable[[], Path | None],
        parent: QtCore.QObject | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._text, self._dirty, self._source = text, dirty, source
        self.folder = folder or autosave_folder()
        self.session = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = self.folder / f"{self.session}.yaml"
        self.lock = SessionLock(self.folder / f"{self.session}.lock")
        self.last_saved = 0.0
        self.started = time.time()
        with contextlib.suppress(OSError):  # a read-only home: autosave just fails later
            self.folder.mkdir(parents=True, exist_ok=True)
            self.lock.acquire()
        self._base = self._clean_state()
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(interval_ms())
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def needed(self) -> bool:
        return self._dirty() or os.environ.get(FORCE_ENV) == "1"

    def _clean_state(self) -> dict[str, Any] | None:
        """The file as it is on disk while the document equals it (None when dirty)."""
        if self._dirty():
            return None
        source = self._source()
        return {"path": str(source), **state} if (state := file_state(source)) else None

    def adopt(self, base: dict[str, Any] | None) -> None:
        """Restored work: it was begun on the file as it was then, not as it is now."""
        self._base = base

    def save_now(self) -> bool:
        """Write the autosave now if there is unsaved work; True when written.

        A failure (full disk, read-only home) must never disturb editing: the
        autosave is skipped and tried again at the next tick.
        """
        if not self.needed():
            self._base = self._clean_state() or self._base
            self.discard()
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self.lock.held and not self.lock.acquire():
                return False
            atomic_write(self.path, self._text())
            source = self._source()
            base = self._base if self._base and self._base["path"] == str(source) else None
            meta = {
                "source": str(source) if source else None,
                "saved_at": time.time(),
                "started_at": self.started,
                "pid": os.getpid(),
                "base": base,
            }
            atomic_write(self.path.with_suffix(".json"), json.dumps(meta) + "\n")
        except OSError:
            return False
        self.last_saved = time.monotonic()
        return True

    def edited(self, structural: bool) -> None:
        """After an edit: save at once when it was big, else let the timer do it."""
        if not self.needed():
            self._base = self._clean_state() or self._base
            self.discard()
        elif structural and time.monotonic() - self.last_saved >= MIN_GAP_S:
            self.save_now()

    def discard(self) -> None:
        """The work is saved or given up: remove this session's autosave."""
        for path in (self.path, self.path.with_suffix(".json")):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def stop(self) -> None:
        """The window closed normally: nothing of this session is left behind."""
        self.timer.stop()
        self.discard()
        if self.lock.held:
            with contextlib.suppress(OSError):
                self.lock.path.unlink(missing_ok=True)
        self.lock.release()


def _structural(update: Update) -> bool:
    change = update.change
    return bool(change.added or change.removed or change.wiring or change.renamed)


class _CloseWatch(QtCore.QObject):
    """Stops a window's autosave once the window has really closed (the user saved
    or discarded its changes when asked), not when a close was cancelled."""

    def __init__(self, window: QtWidgets.QWidget, saver: Autosave) -> None:
        super().__init__(window)
        self.window, self.saver = window, saver
        window.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            QtCore.QTimer.singleShot(0, self._closed)
        return False

    def _closed(self) -> None:
        if not self.window.isVisible():
            self.saver.stop()


def attach(window: QtWidgets.QWidget, *, offer: bool = True) -> Autosave:
    """Autosave ``window.document``; with ``offer``, first offer to restore what
    crashed sessions kept (``app.gui.recovery``).

    Call once after the window is shown (and after any file given on the command
    line is open). Closing the window or quitting removes its autosave: by then the
    user has saved or chosen to discard the changes.
    """
    document: Document = window.document  # type: ignore[attr-defined]
    saver = Autosave(
        text=lambda: dumps_graph(document.graph),
        dirty=lambda: document.dirty,
        source=lambda: document.path,
        parent=window,
    )
    saver.save_now()  # work that is unsaved from the start (an import) is kept at once
    document.subscribe(lambda update: saver.edited(_structural(update)))
    _CloseWatch(window, saver)
    application = QtWidgets.QApplication.instance()
    if application is not None:
        application.aboutToQuit.connect(saver.stop)
    if offer:
        from app.gui.recovery import offer_recovery

        offer_recovery(window, saver)
    return saver
