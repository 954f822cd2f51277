"""Shared helpers for the GUI tests: real key presses and mouse gestures on the canvas."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

Button = QtCore.Qt.MouseButton
Modifier = QtCore.Qt.KeyboardModifier


def focus_canvas(window: Any) -> QtWidgets.QWidget:
    """Give the canvas the keyboard focus, as clicking on it would."""
    window.activateWindow()
    viewer = window.viewer
    viewer.setFocus(QtCore.Qt.FocusReason.MouseFocusReason)
    QtWidgets.QApplication.processEvents()
    return viewer  # type: ignore[no-any-return]


def press(window: Any, sequence: str) -> None:
    """Press a shortcut such as "Ctrl+Z" with the focus on the canvas."""
    viewer = focus_canvas(window)
    combo = QtGui.QKeySequence(sequence)[0]
    QTest.keyClick(viewer, combo.key(), combo.keyboardModifiers())
    QtWidgets.QApplication.processEvents()


def mouse(
    widget: QtWidgets.QWidget,
    kind: QtCore.QEvent.Type,
    pos: QtCore.QPointF,
    buttons: QtCore.Qt.MouseButton = Button.LeftButton,
    modifiers: QtCore.Qt.KeyboardModifier = Modifier.NoModifier,
) -> None:
    """One mouse event at ``pos`` in ``widget`` (press, move with buttons held, release)."""
    button = Button.NoButton if kind == QtCore.QEvent.Type.MouseMove else Button.LeftButton
    held = Button.NoButton if kind == QtCore.QEvent.Type.MouseButtonRelease else buttons
    event = QtGui.QMouseEvent(
        kind, pos, widget.mapToGlobal(pos), button, held, modifiers
    )  # fmt: skip
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(
    widget: QtWidgets.QWidget,
    start: QtCore.QPointF,
    end: QtCore.QPointF,
    modifiers: QtCore.Qt.KeyboardModifier = Modifier.NoModifier,
) -> None:
    """Press, move in a few steps and release, as a hand would."""
    types = QtCore.QEvent.Type
    mouse(widget, types.MouseButtonPress, start, modifiers=modifiers)
    for step in range(1, 5):
        t = step / 4
        point = QtCore.QPointF(start.x() + (end.x() - start.x()) * t,
                               start.y() + (end.y() - start.y()) * t)  # fmt: skip
        mouse(widget, types.MouseMove, point, modifiers=modifiers)
    mouse(widget, types.MouseButtonRelease, end, modifiers=modifiers)
    QtWidgets.QApplication.processEvents()


def click(widget: QtWidgets.QWidget, pos: QtCore.QPointF, modifiers: Any = None) -> None:
    mods = modifiers if modifiers is not None else Modifier.NoModifier
    mouse(widget, QtCore.QEvent.Type.MouseButtonPress, pos, modifiers=mods)
    mouse(widget, QtCore.QEvent.Type.MouseButtonRelease, pos, modifiers=mods)
    QtWidgets.QApplication.processEvents()


def on_screen(window: Any, scene_point: QtCore.QPointF) -> QtCore.QPointF:
    """Where a scene point is in the canvas viewport."""
    return QtCore.QPointF(window.viewer.mapFromScene(scene_point))


def node_centre(window: Any, node_id: str) -> QtCore.QPointF:
    """A point on a node's body, clear of its ports, in viewport coordinates (panned into view
    first, as a user would)."""
    window.canvas.show_node(node_id)
    view = window.canvas.node(node_id).view
    rect = view.sceneBoundingRect()
    return on_screen(window, QtCore.QPointF(rect.center().x() - 30, rect.center().y()))


def port_centre(window: Any, node_id: str, side: str) -> QtCore.QPointF:
    """The centre of a node's input ("in") or output ("out") port, in the viewport
    (panned into view first)."""
    window.canvas.show_node(node_id)
    item = window.canvas.node(node_id)
    port = (item.input_ports() if side == "in" else item.output_ports())[0]
    return on_screen(window, port.view.sceneBoundingRect().center())


def hover_text(window: Any, view_point: QtCore.QPointF) -> str:
    """The tooltip the user gets when the mouse rests at ``view_point`` on the canvas."""
    viewport = window.viewer.viewport()
    QtWidgets.QToolTip.hideText()
    point = view_point.toPoint()
    event = QtGui.QHelpEvent(QtCore.QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    QtWidgets.QApplication.sendEvent(viewport, event)
    return QtWidgets.QToolTip.text() if QtWidgets.QToolTip.isVisible() else ""


def drop_from_palette(window: Any, layer_title: str, at: QtCore.QPointF) -> None:
    """Drag a layer from the Layers palette and drop it on the canvas viewport."""
    tree = window.layers.tree
    item = next(
        tree.topLevelItem(g).child(c)
        for g in range(tree.topLevelItemCount())
        for c in range(tree.topLevelItem(g).childCount())
        if tree.topLevelItem(g).child(c).text(0) == layer_title
    )
    mime = tree.mimeData([item])
    viewport = window.viewer.viewport()
    types = QtCore.QEvent.Type
    for kind in (types.DragEnter, types.DragMove, types.Drop):
        cls = {
            types.DragEnter: QtGui.QDragEnterEvent,
            types.DragMove: QtGui.QDragMoveEvent,
            types.Drop: QtGui.QDropEvent,
        }[kind]
        point: Any = at if cls is QtGui.QDropEvent else at.toPoint()
        event = cls(
            point, QtCore.Qt.DropAction.CopyAction, mime, Button.LeftButton, Modifier.NoModifier
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
    QtWidgets.QApplication.processEvents()


def editor_window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, config_dir: Any) -> Any:
    """A shown editor window with its own settings folder, whose questions about unsaved
    changes are answered Discard (a test opens one graph after another)."""
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_dir))
    monkeypatch.setattr(
        QtWidgets.QMessageBox,
        "question",
        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Discard,
    )
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.resize(1500, 950)  # a desktop window (the offscreen screen is only 800x600)
    QtWidgets.QApplication.processEvents()
    return window


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    """Each test starts with no kept settings (theme, recent files, panel layout). Qt
    fixes the settings file's folder on first use, so a test's own XDG_CONFIG_HOME
    does not keep the next test from reading what this one left."""
    from PySide6 import QtCore

    QtCore.QSettings("Convas", "Convas").clear()


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training runs (kept in the runs folder) land in a temporary folder, not the checkout."""
    monkeypatch.setenv("CONVAS_RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
