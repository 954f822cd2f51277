"""The results views scale with their dock and zoom with Ctrl+wheel / Ctrl+0."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from pytestqt.qtbot import QtBot

from app.gui.results_panel import MIN_FONT, ConfusionTable
from app.gui.tile_grid import TileGrid

pytestmark = pytest.mark.gui
CTRL = QtCore.Qt.KeyboardModifier.ControlModifier


def wheel(widget: QtWidgets.QWidget, notches: int, modifiers: QtCore.Qt.KeyboardModifier) -> None:
    point = QtCore.QPointF(10, 10)
    event = QtGui.QWheelEvent(
        point,
        widget.mapToGlobal(point),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 120 * notches),
        QtCore.Qt.MouseButton.NoButton,
        modifiers,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(widget.viewport(), event)  # type: ignore[attr-defined]


def ctrl_key(widget: QtWidgets.QWidget, key: QtCore.Qt.Key, qtbot: QtBot) -> None:
    qtbot.keyClick(widget, key, CTRL)


def matrix(qtbot: QtBot, width: int, height: int) -> ConfusionTable:
    table = ConfusionTable()
    qtbot.addWidget(table)
    table.setRowCount(10)
    table.setColumnCount(11)
    for r in range(10):
        for c in range(11):
            table.setItem(r, c, QtWidgets.QTableWidgetItem(str(r * c)))
    table.set_zoom(None)
    table.resize(width, height)
    table.show()
    qtbot.waitExposed(table)
    return table


def test_confusion_matrix_fills_the_dock_and_its_numbers_grow_with_it(qtbot: QtBot) -> None:
    table = matrix(qtbot, 520, 330)
    columns = sum(table.columnWidth(c) for c in range(11))
    assert abs(columns - table.viewport().width()) <= 11  # no scrolling, no empty space
    small = table.font().pixelSize()
    assert small >= MIN_FONT
    table.resize(1000, 700)
    qtbot.wait(10)
    assert table.font().pixelSize() > small


def test_confusion_matrix_zooms_with_ctrl_wheel_and_fits_again_with_ctrl_0(qtbot: QtBot) -> None:
    table = matrix(qtbot, 520, 330)
    fitted = table.columnWidth(0)
    wheel(table, 3, CTRL)
    assert table.zoom is not None
    assert table.columnWidth(0) > fitted
    bar = table.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)  # outgrows the dock: it scrolls
    ctrl_key(table, QtCore.Qt.Key.Key_0, qtbot)
    assert table.zoom is None
    assert table.columnWidth(0) == pytest.approx(fitted, abs=2)


def grid(qtbot: QtBot, width: int) -> TileGrid:
    tiles = TileGrid(56)
    qtbot.addWidget(tiles)
    tiles.resize(width, 400)
    tiles.show()
    qtbot.waitExposed(tiles)
    images = [np.full((8, 8), i * 4, dtype=np.uint8) for i in range(64)]
    tiles.show_tiles(images, [str(i) for i in range(64)])
    return tiles


def test_tiles_grow_with_the_dock_and_zoom_by_hand(qtbot: QtBot) -> None:
    tiles = grid(qtbot, 300)
    narrow = tiles.tile
    assert narrow >= 56
    tiles.resize(900, 400)
    qtbot.wait(10)
    wide = tiles.tile
    assert wide >= narrow
    assert tiles.iconSize().width() == wide
    wheel(tiles, 2, CTRL)
    assert tiles.zoom is not None
    assert tiles.tile > wide
    assert tiles.item(0).icon().availableSizes()[0].width() >= tiles.tile - 8
    ctrl_key(tiles, QtCore.Qt.Key.Key_Minus, qtbot)
    assert tiles.tile < round(wide * 1.25**2)
    ctrl_key(tiles, QtCore.Qt.Key.Key_0, qtbot)
    assert tiles.tile == wide
    before = tiles.verticalScrollBar().value()
    wheel(tiles, -1, QtCore.Qt.KeyboardModifier.NoModifier)  # a plain wheel still scrolls
    assert tiles.tile == wide
    assert tiles.verticalScrollBar().value() >= before


def test_confusion_matrix_colours_follow_the_theme(qtbot: QtBot) -> None:
    """Zeros fade into the table's own background and the diagonal takes the selection
    colour, in the light theme and after a switch to the dark one (fixed dark-blue
    cells sat like holes in the light theme)."""
    from app.gui.theme import palette
    from resources.themes import DARK, LIGHT

    table = ConfusionTable()
    qtbot.addWidget(table)
    table.setPalette(palette(LIGHT))
    counts = [[9, 1, 0], [0, 10, 0], [2, 0, 8]]
    table.setRowCount(3)
    table.setColumnCount(4)
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            item = QtWidgets.QTableWidgetItem(str(value))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, value / sum(row))
            table.setItem(r, c, item)
    table.recolour()

    def colour(r: int, c: int) -> str:
        return str(table.item(r, c).background().color().name())

    assert colour(0, 2) == QtGui.QColor(LIGHT.base).name()
    assert colour(1, 1) == QtGui.QColor(LIGHT.accent).name()
    assert table.item(2, 0).font().bold()  # a mistake stands out
    table.setPalette(palette(DARK))
    assert colour(0, 2) == QtGui.QColor(DARK.base).name()
    assert colour(1, 1) == QtGui.QColor(DARK.accent).name()
