"""Autosave and crash recovery for the editor.

While a document has unsaved changes, its YAML is written every 30 s (and after
structural edits) to ``autosave/`` in the user's data folder
(``QStandardPaths.AppDataLocation``, e.g. ``~/.local/share/Convas``), atomically,
as ``PID.yaml`` with ``PID.json`` saying which file it was editing and when. A
clean save, a discard or a normal exit removes the pair. A pair whose process no
longer runs is what a crash (or a kill) left behind: the next start offers to
restore it.

Hooks for tests and support (environment variables):

``CONVAS_AUTOSAVE_INTERVAL_MS``  autosave period instead of 30 000 ms
``CONVAS_AUTOSAVE_FORCE=1``      autosave even a document without changes
``CONVAS_RECOVERY_ANSWER``       answer the recovery question without a dialog:
                                 ``restore``, ``discard`` or ``keep``; the offer is
                                 also printed on stderr

The editor wires it with ``attach(window)``: ``window.document`` is the editing
``Document``, ``window`` the parent of the recovery question.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from graph_io.atomic_files import atomic_write, process_alive
from graph_io.editing.document import Document, Update
from graph_io.model import Graph
from graph_io.yaml_io import dumps_graph, loads_graph

INTERVAL_MS = 30_000
MIN_GAP_S = 2.0
"""Structural edits save at most this often; the timer catches the rest."""
INTERVAL_ENV = "CONVAS_AUTOSAVE_INTERVAL_MS"
FORCE_ENV = "CONVAS_AUTOSAVE_FORCE"
ANSWER_ENV = "CONVAS_RECOVERY_ANSWER"


def autosave_folder() -> Path:
    """``autosave/`` in the application's data folder (created on first use)."""
    base = QtCore.QStandardPaths.writableLocation(
        QtCore.QStandardPaths.StandardLocation.AppDataLocation
    )
    return Path(base) / "autosave"


def interval_ms() -> int:
    value = os.environ.get(INTERVAL_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else INTERVAL_MS


@dataclass(frozen=True)
class Recovery:
    """Unsaved work a session that ended without closing left behind."""

    text_path: Path
    source: Path | None
    saved_at: float

    def text(self) -> str:
        return self.text_path.read_text(encoding="utf-8")

    def graph(self) -> Graph:
        """The autosaved graph (``FormatError`` if the file was damaged)."""
        return loads_graph(self.text(), filename=str(self.text_path))

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        what = str(self.source) if self.source else "an unsaved graph"
        return f"{what}, autosaved {when}"

    def discard(self) -> None:
        for path in (self.text_path, self.text_path.with_suffix(".json")):
            path.unlink(missing_ok=True)


def find_recoveries(folder: Path | None = None) -> list[Recovery]:
    """Autosaves of sessions that no longer run, newest first."""
    folder = folder or autosave_folder()
    found: list[Recovery] = []
    with contextlib.suppress(OSError):
        for text_path in folder.glob("*.yaml"):
            if not text_path.stem.isdigit() or process_alive(int(text_path.stem)):
                continue
            meta: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                meta = json.loads(text_path.with_suffix(".json").read_text(encoding="utf-8"))
            source = meta.get("source")
            saved_at = float(meta.get("saved_at") or text_path.stat().st_mtime)
            found.append(Recovery(text_path, Path(source) if source else None, saved_at))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


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
        self.path = self.folder / f"{os.getpid()}.yaml"
        self.last_saved = 0.0
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(interval_ms())
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def needed(self) -> bool:
        return self._dirty() or os.environ.get(FORCE_ENV) == "1"

    def save_now(self) -> bool:
        """Write the autosave now if there is unsaved work; True when written.

        A failure (full disk, read-only home) must never disturb editing: the
        autosave is skipped and tried again at the next tick.
        """
        if not self.needed():
            self.discard()
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, self._text())
            source = self._source()
            meta = {"source": str(source) if source else None, "saved_at": time.time()}
            atomic_write(self.path.with_suffix(".json"), json.dumps(meta) + "\n")
        except OSError:
            return False
        self.last_saved = time.monotonic()
        return True

    def edited(self, structural: bool) -> None:
        """After an edit: save at once when it was big, else let the timer do it."""
        if not self.needed():
            self.discard()
        elif structural and time.monotonic() - self.last_saved >= MIN_GAP_S:
            self.save_now()

    def discard(self) -> None:
        """The work is saved or given up: remove this session's autosave."""
        for path in (self.path, self.path.with_suffix(".json")):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def stop(self) -> None:
        self.timer.stop()
        self.discard()


def ask_to_restore(parent: QtWidgets.QWidget | None, recovery: Recovery) -> str:
    """``restore``, ``discard`` or ``keep`` (ask again next time)."""
    print(f"convas: offering to restore unsaved work: {recovery.describe()}", file=sys.stderr)
    answer = os.environ.get(ANSWER_ENV)
    if answer in ("restore", "discard", "keep"):
        return answer
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle("Restore unsaved work?")
    box.setText(
        "Convas did not close normally last time. Restore the unsaved work it kept?\n\n"
        + recovery.describe()
    )
    restore = box.addButton("Restore", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Later", QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "keep"


def offer_recovery(parent: QtWidgets.QWidget | None, document: Document) -> Recovery | None:
    """Offer the newest crashed session's work; load it into ``document`` if accepted.

    The restored graph keeps the file it came from (so Save writes back there) and
    counts as unsaved. Returns the recovery restored, if any.
    """
    for recovery in find_recoveries():
        answer = ask_to_restore(parent, recovery)
        if answer == "keep":
            return None
        if answer == "discard":
            recovery.discard()
            continue
        try:
            graph = recovery.graph()
        except Exception as exc:  # a damaged autosave must not stop the editor starting
            QtWidgets.QMessageBox.warning(parent, "Cannot restore", str(exc))
            return None
        document.replace(graph, recovery.source, dirty=True)
        recovery.discard()
        return recovery
    return None


def _structural(update: Update) -> bool:
    change = update.change
    return bool(change.added or change.removed or change.wiring or change.renamed)


def attach(window: QtWidgets.QWidget) -> Autosave:
    """Autosave ``window.document`` and offer to restore a crashed session's work.

    Call once after the window is shown (and after any file given on the command
    line is open). A normal exit removes the autosave: by then the user has saved
    or chosen to discard the changes.
    """
    document: Document = window.document  # type: ignore[attr-defined]
    offer_recovery(window, document)
    saver = Autosave(
        text=lambda: dumps_graph(document.graph),
        dirty=lambda: document.dirty,
        source=lambda: document.path,
        parent=window,
    )
    document.subscribe(lambda update: saver.edited(_structural(update)))
    application = QtWidgets.QApplication.instance()
    if application is not None:
        application.aboutToQuit.connect(saver.stop)
    saver.save_now()  # a restored document is unsaved work at once
    return saver
