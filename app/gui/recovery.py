"""Crash recovery: offer, at start-up, the work that sessions which died left behind.

``app.gui.autosave`` writes each window's unsaved work with a sidecar and holds a
lock while the window lives. At the next start every autosave whose lock is free
is offered, one question each: which file (or that it was a new graph), when it
was autosaved, what it changes compared with that file as it is on disk now, and a
warning when the file changed on disk after the crashed session began its work
(saving the restored graph would replace that change). The work of the file the
user is opening comes first and is restored into this window; any other work opens
in a window of its own, so two crashed windows come back as two windows.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from app.gui.autosave import (
    ANSWER_ENV,
    SUFFIXES,
    Autosave,
    SessionLock,
    autosave_folder,
    file_state,
)
from graph_io.atomic_files import process_alive
from graph_io.diff import NodeChange, diff_graphs
from graph_io.model import Graph
from graph_io.yaml_io import load_graph, loads_graph
from nodes.errors import ConvasError

MAX_LISTED = 6
"""Changes listed in the question itself; the rest are under Show Details."""
RESTORED_MESSAGE_MS = 20_000

_windows: list[QtWidgets.QWidget] = []
"""Windows opened for restored work (Qt would close a window Python forgot)."""


@dataclass
class Recovery:
    """Unsaved work a session that ended without closing left behind.

    While it is offered, this process holds the session's lock, so a second editor
    starting at the same moment cannot offer (and restore) the same work.
    """

    text_path: Path
    source: Path | None
    saved_at: float
    started_at: float | None = None
    base: dict[str, Any] | None = None
    lock: SessionLock | None = field(default=None, repr=False)

    def text(self) -> str:
        return self.text_path.read_text(encoding="utf-8")

    def graph(self) -> Graph:
        """The autosaved graph (``FormatError`` if the file was damaged)."""
        return loads_graph(self.text(), filename=str(self.text_path))

    def describe(self) -> str:
        """One line: what and when (printed on stderr when offered)."""
        what = str(self.source) if self.source else "an unsaved graph"
        return f"{what}, autosaved {_clock(self.saved_at)}"

    def disk_warning(self) -> str | None:
        """Why saving the restored work back to its file may lose something."""
        if self.source is None:
            return None
        now = file_state(self.source)
        if now is None:
            return (
                f"{self.source.name} no longer exists; saving the restored work creates it again."
            )
        base = self.base or {}
        if base.get("path") == str(self.source) and (
            base.get("mtime_ns"),
            base.get("size"),
        ) != (now["mtime_ns"], now["size"]):
            return (
                f"{self.source.name} was changed on disk {_clock(now['mtime_ns'] / 1e9)}, "
                "after the lost session opened it: saving the restored work replaces that "
                "version (use Save As to keep both)."
            )
        return None

    def release(self) -> None:
        """Leave the work for the next start (the user chose to decide later)."""
        if self.lock is not None:
            self.lock.release()

    def discard(self) -> None:
        for suffix in SUFFIXES:
            with contextlib.suppress(OSError):
                self.text_path.with_suffix(suffix).unlink(missing_ok=True)
        self.release()


def find_recoveries(folder: Path | None = None) -> list[Recovery]:
    """Autosaves of sessions that no longer run, newest first (each one's lock held)."""
    folder = folder or autosave_folder()
    found: list[Recovery] = []
    with contextlib.suppress(OSError):
        for text_path in folder.glob("*.yaml"):
            meta = _meta(text_path)
            ended, lock = _ended(text_path, meta)
            if not ended:
                continue
            source = meta.get("source")
            saved_at = float(meta.get("saved_at") or text_path.stat().st_mtime)
            started = meta.get("started_at")
            base = meta.get("base") if isinstance(meta.get("base"), dict) else None
            found.append(
                Recovery(
                    text_path,
                    Path(source) if source else None,
                    saved_at,
                    float(started) if started else None,
                    base,
                    lock,
                )
            )
        _remove_dead_locks(folder)
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _meta(text_path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(text_path.with_suffix(".json").read_text(encoding="utf-8"))
        if isinstance(meta, dict):
            return meta
    return {}


def _ended(text_path: Path, meta: dict[str, Any]) -> tuple[bool, SessionLock | None]:
    """Whether the session that wrote ``text_path`` has ended, and its lock, now held
    by this process. An autosave of an older version has no lock: its process id
    tells, and a lock is made for it."""
    lock_path = text_path.with_suffix(".lock")
    pid = text_path.stem if text_path.stem.isdigit() else str(meta.get("pid", ""))
    if lock_path.exists():
        lock = SessionLock(lock_path)
        if not lock.acquire():
            return False, None
        if os.name == "nt" and pid.isdigit() and process_alive(int(pid)):
            lock.release()  # no flock on Windows: the process id has to do
            return False, None
        return True, lock
    if pid.isdigit() and process_alive(int(pid)):
        return False, None
    lock = SessionLock(lock_path)  # held while offered, as a session's own would be
    return (True, lock) if lock.acquire() else (False, None)


def _remove_dead_locks(folder: Path) -> None:
    """Lock files of sessions that ended with nothing unsaved."""
    for lock_path in folder.glob("*.lock"):
        if lock_path.with_suffix(".yaml").exists():
            continue
        lock = SessionLock(lock_path)
        if lock.acquire():
            with contextlib.suppress(OSError):
                lock_path.unlink()
            lock.release()


# ---- what the question says --------------------------------------------------------


def _clock(seconds: float) -> str:
    """'today at 14:03:12', 'yesterday at 09:00:00' or '2026-11-30 09:00:00'."""
    moment = time.localtime(seconds)
    today = time.localtime()
    if moment[:3] == today[:3]:
        return time.strftime("today at %H:%M:%S", moment)
    if time.localtime(seconds + 86_400)[:3] == today[:3]:
        return time.strftime("yesterday at %H:%M:%S", moment)
    return time.strftime("%Y-%m-%d %H:%M:%S", moment)


def _ago(seconds: float) -> str:
    gone = max(0, int(time.time() - seconds))
    if gone < 60:
        return "just now"
    if gone < 3600:
        return f"{gone // 60} minute{'s' * (gone >= 120)} ago"
    if gone < 86_400:
        return f"{gone // 3600} hour{'s' * (gone >= 7200)} ago"
    return f"{gone // 86_400} day{'s' * (gone >= 172_800)} ago"


def _change_text(change: NodeChange) -> str:
    where = f"{change.type} '{change.id}'"
    if change.kind == "added":
        return f"added {where}"
    if change.kind == "removed":
        return f"removed {where}"
    parts = [f"{name} {old} → {new}" for name, (old, new) in change.params.items()]
    if change.renamed:
        parts.insert(0, f"renamed from '{change.old_id}'")
    if change.old_type is not None:
        parts.insert(0, f"was {change.old_type}")
    if change.inputs is not None:
        parts.append("rewired")
    return f"{where}: " + ", ".join(parts or ["changed"])


def _edited(change: NodeChange) -> bool:
    """Whether the user changed this node itself (not just the shape it receives)."""
    return change.kind != "changed" or bool(
        change.params or change.old_type or change.inputs is not None or change.renamed
    )


def changes(recovery: Recovery, graph: Graph) -> list[str]:
    """What the autosaved graph changes compared with its file as it is on disk now."""
    if recovery.source is None:
        return [f"{len(graph.nodes)} layer{'s' * (len(graph.nodes) != 1)}, never saved"]
    try:
        disk = load_graph(recovery.source)
    except (ConvasError, OSError):
        return []
    result = diff_graphs(disk, graph)
    # A node whose only difference is its shape changed because of one listed here.
    lines = [_change_text(c) for c in result.changes if _edited(c)]
    lines += [f"training: {name} {old} → {new}" for name, (old, new) in result.training.items()]
    moved = sum(
        1
        for old_id, new_id in result.matches.items()
        if disk.nodes[old_id].pos != graph.nodes[new_id].pos
    )
    if moved:
        lines.append(f"{moved} layer{'s' * (moved != 1)} moved")
    if disk.name != graph.name:
        lines.append(f"name {disk.name} → {graph.name}")
    return lines


def question(
    recovery: Recovery, graph: Graph | None, where: str, index: int, count: int
) -> tuple[str, str, str]:
    """(headline, details, every change) of the question about one recovery."""
    of = f" ({index + 1} of {count})" if count > 1 else ""
    if recovery.source is None:
        name = graph.name if graph is not None else "untitled"
        headline = f"Convas closed without saving a new graph, '{name}'{of}."
    else:
        headline = f"Convas closed without saving your changes to {recovery.source.name}{of}."
    lines = []
    if recovery.source is not None:
        lines.append(f"File: {recovery.source}")
    lines.append(f"Autosaved {_clock(recovery.saved_at)} ({_ago(recovery.saved_at)}).")
    listed = changes(recovery, graph) if graph is not None else []
    if graph is None:
        lines.append("The autosave cannot be read: it was damaged.")
    elif recovery.source is not None and not listed:
        lines.append("It is the same as the file on disk.")
    elif recovery.source is not None:
        count_text = f"{len(listed)} change{'s' * (len(listed) != 1)} to the file on disk:"
        shown = [f"  • {line}" for line in listed[:MAX_LISTED]]
        if len(listed) > MAX_LISTED:
            shown.append(f"  … and {len(listed) - MAX_LISTED} more (Show Details)")
        lines += [count_text, *shown]
    else:
        lines.append(listed[0].capitalize() + ".")
    warning = recovery.disk_warning()
    if warning:
        lines.append("⚠ " + warning)
    lines.append(f"Restore opens it {where}.")
    return headline, "\n".join(lines), "\n".join(listed)


# ---- asking and restoring ---------------------------------------------------------


def ask_to_restore(
    parent: QtWidgets.QWidget | None, recovery: Recovery, where: str, index: int = 0, count: int = 1
) -> str:
    """``restore``, ``discard`` or ``keep`` (ask again at the next start)."""
    print(f"convas: offering to restore unsaved work: {recovery.describe()}", file=sys.stderr)
    answer = os.environ.get(ANSWER_ENV)
    if answer in ("restore", "discard", "keep"):
        return answer
    try:
        graph: Graph | None = recovery.graph()
    except (ConvasError, OSError, ValueError):
        graph = None
    headline, details, everything = question(recovery, graph, where, index, count)
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle("Restore unsaved work?")
    box.setText(headline)
    box.setInformativeText(details)
    if everything.count("\n") >= MAX_LISTED:
        box.setDetailedText(everything)
    restore = box.addButton("Restore", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard Changes", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Decide Later", QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    if graph is None:
        restore.setEnabled(False)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "keep"


def _replaceable(window: QtWidgets.QWidget, recovery: Recovery) -> bool:
    """This window may take the work: it holds nothing the user changed, and either
    the same file or no file at all."""
    document = window.document  # type: ignore[attr-defined]
    if document.dirty:
        return False
    return document.path is None or _same_file(document.path, recovery.source)


def _same_file(a: Path | None, b: Path | None) -> bool:
    if a is None or b is None:
        return False
    with contextlib.suppress(OSError):
        return a.resolve() == b.resolve()
    return a == b


def _new_window(window: QtWidgets.QWidget) -> tuple[QtWidgets.QWidget, Autosave]:
    """Another editor window beside ``window``, with its own autosave."""
    from app.gui.autosave import attach

    other: QtWidgets.QWidget = type(window)()
    other.resize(window.size())
    other.move(window.pos() + QtCore.QPoint(40, 40))
    other.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    _windows.append(other)
    other.destroyed.connect(lambda *_: _windows.remove(other) if other in _windows else None)
    other.show()
    return other, attach(other, offer=False)


def offer_recovery(window: QtWidgets.QWidget, saver: Autosave) -> list[Recovery]:
    """Offer every crashed session's work; restore what the user accepts.

    The work on the file this window shows comes first and goes into this window
    (when the window holds nothing else); other work opens in a new window. The
    restored graph keeps the file it came from, so Save writes back there, and it
    counts as unsaved until then. Returns what was restored.
    """
    current = window.document.path  # type: ignore[attr-defined]
    found = find_recoveries()
    found.sort(key=lambda r: not _same_file(r.source, current))  # stable: newest next
    restored: list[Recovery] = []
    try:
        for index, recovery in enumerate(found):
            here = not restored and _replaceable(window, recovery)
            where = "in this window" if here else "in a new window"
            answer = ask_to_restore(window, recovery, where, index, len(found))
            if answer == "keep":
                recovery.release()
                continue
            if answer == "discard":
                recovery.discard()
                continue
            try:
                graph = recovery.graph()
            except (ConvasError, OSError, ValueError) as exc:
                QtWidgets.QMessageBox.warning(window, "Cannot restore", str(exc))
                recovery.release()
                continue
            target, target_saver = (window, saver) if here else _new_window(window)
            target.document.replace(graph, recovery.source, dirty=True)  # type: ignore[attr-defined]
            show = getattr(target, "show_graph", None)
            if show is not None:
                show()  # framed as when the file is opened
            target_saver.adopt(recovery.base)
            target_saver.save_now()  # safe again before the crashed session's copy goes
            recovery.discard()
            restored.append(recovery)
            _say_restored(target, recovery)
    finally:
        for recovery in found:
            recovery.release()
    return restored


def _say_restored(window: QtWidgets.QWidget, recovery: Recovery) -> None:
    when = _clock(recovery.saved_at)
    text = (
        f"Restored the unsaved work on {recovery.source.name} autosaved {when} — Save "
        f"(Ctrl+S) writes it to {recovery.source}"
        if recovery.source is not None
        else f"Restored a new graph autosaved {when} — Save As… to keep it"
    )
    if isinstance(window, QtWidgets.QMainWindow):
        window.statusBar().showMessage(text, RESTORED_MESSAGE_MS)
