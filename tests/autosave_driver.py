"""Drives the real editor in its own process for tests/test_autosave_recovery.py.

``python tests/autosave_driver.py edit FILE|-`` starts the editor as ``convas FILE``
does (``app.launch.main``), then, with real mouse and key events, clicks Conv2D
``c1`` (or the Input of a new graph), types a new value into the Parameters panel,
adds a Dropout through the Tab search and drags it aside. Once the autosave holds
exactly the edited graph it prints ``DRIVER {"graph": ...}`` and keeps running
until the test kills it.

``python tests/autosave_driver.py restore FILE|- ANSWER[,ANSWER...] [save]`` starts
the editor, clicks the named button of each recovery question as it comes up
(Restore, Discard Changes, Decide Later), then prints what every window shows; with
``save`` it then presses Ctrl+S in the first window, prints again and quits
normally.

Each report is one line, ``DRIVER `` followed by JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import click, drag, node_centre, press

from app.gui.autosave import autosave_folder
from graph_io.yaml_io import dumps_graph

DEADLINE_MS = 90_000


def report(**data: Any) -> None:
    print("DRIVER " + json.dumps(data), flush=True)


def windows() -> list[Any]:
    from app.gui.main_window import MainWindow

    return [
        w
        for w in QtWidgets.QApplication.topLevelWidgets()
        if isinstance(w, MainWindow) and w.isVisible()
    ]


def settle(ms: int = 50) -> None:
    QTest.qWait(ms)


def edit(window: Any) -> None:
    """What a user does: select, retype a value, add a layer by search, drag it."""
    window.resize(1400, 900)
    settle(200)
    graph = window.document.graph
    target = "c1" if "c1" in graph.nodes else next(iter(graph.nodes))
    click(window.viewer.viewport(), node_centre(window, target))
    settle()
    name = "filters" if "filters" in graph.nodes[target].params else "height"
    spin = window.params.editors[name].spin
    spin.setFocus()
    QTest.keyClick(spin, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(spin, "8" if name == "filters" else "40")
    QTest.keyClick(spin, QtCore.Qt.Key.Key_Return)
    settle()
    press(window, "Tab")
    settle()
    QTest.keyClicks(window.search.field, "dropout")
    QTest.keyClick(window.search.field, QtCore.Qt.Key.Key_Return)
    settle()
    added = next(n for n in window.document.graph.nodes if n.startswith("dropout"))
    start = node_centre(window, added)
    drag(window.viewer.viewport(), start, start + QtCore.QPointF(-120, 60))
    settle()


def when_autosaved(window: Any) -> None:
    """Report the edited graph once the autosave holds exactly it."""
    text = dumps_graph(window.document.graph)
    saved = [p.read_text() for p in autosave_folder().glob("*.yaml")]
    if text in saved:
        report(graph=text, title=window.windowTitle())
        return
    QtCore.QTimer.singleShot(100, lambda: when_autosaved(window))


def run_edit() -> None:
    def start() -> None:
        found = windows()
        if not found or QtWidgets.QApplication.activeModalWidget() is not None:
            QtCore.QTimer.singleShot(100, start)
            return
        edit(found[0])
        when_autosaved(found[0])

    QtCore.QTimer.singleShot(300, start)


def describe_windows() -> list[dict[str, Any]]:
    return [
        {
            "title": w.windowTitle(),
            "graph": dumps_graph(w.document.graph),
            "path": str(w.document.path) if w.document.path else None,
            "dirty": w.document.dirty,
            "status": w.statusBar().currentMessage(),
        }
        for w in windows()
    ]


def run_restore(answers: list[str], save: bool) -> None:
    dialogs: list[dict[str, str]] = []

    def answer() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        if isinstance(box, QtWidgets.QMessageBox) and box.isVisible():
            dialogs.append({"text": box.text(), "info": box.informativeText()})
            wanted = answers[len(dialogs) - 1] if len(dialogs) <= len(answers) else "Decide Later"
            button = next(b for b in box.buttons() if b.text() == wanted)
            QTest.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
            QtCore.QTimer.singleShot(300, answer)
            return
        if windows() and QtWidgets.QApplication.activeModalWidget() is None:
            QtCore.QTimer.singleShot(500, finish)
            return
        QtCore.QTimer.singleShot(100, answer)

    def finish() -> None:
        if QtWidgets.QApplication.activeModalWidget() is not None:
            answer()
            return
        report(dialogs=dialogs, windows=describe_windows(), autosaves=autosaves())
        if save:
            first = windows()[0]
            press(first, "Ctrl+S")
            settle(300)
            report(windows=describe_windows(), autosaves=autosaves())
            QtWidgets.QApplication.quit()  # a normal exit: every autosave goes

    QtCore.QTimer.singleShot(200, answer)


def autosaves() -> list[str]:
    return sorted(p.name for p in autosave_folder().glob("*"))


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    application = QtWidgets.QApplication(sys.argv[:1])
    application.setApplicationName("Convas")
    QtCore.QTimer.singleShot(DEADLINE_MS, lambda: os._exit(3))
    if mode == "edit":
        os.environ["CONVAS_RECOVERY_ANSWER"] = "keep"  # work of an earlier crash waits
        run_edit()
    else:
        run_restore(sys.argv[3].split(","), len(sys.argv) > 4 and sys.argv[4] == "save")
    from app.launch import main as launch

    return launch(None if path == "-" else path)


if __name__ == "__main__":
    sys.exit(main())
