"""Type-to-search for layers on the canvas (Tab, or double-click on empty space).

A small box floats over the canvas at the cursor: type part of a name, category or
description, move with the arrow keys, Enter creates the layer where the box was
opened. Escape or clicking elsewhere closes it.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

import nodes
from app.gui.panels import matches

ROLE = QtCore.Qt.ItemDataRole.UserRole
LIST_MAX_HEIGHT = 220  # px: about a dozen layers, then the list scrolls


class SearchPopup(QtWidgets.QFrame):
    """A search field over a list of matching layers, shown inside the canvas view."""

    chosen = QtCore.Signal(str, QtCore.QPointF)  # layer type, scene position

    def __init__(self, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setFixedWidth(260)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.field = QtWidgets.QLineEdit()
        self.field.setPlaceholderText("Add layer: type to search…")
        self.list = QtWidgets.QListWidget()
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        for spec in nodes.all_layers():
            item = QtWidgets.QListWidgetItem(f"{spec.title}   ·   {spec.category}")
            item.setData(ROLE, spec.type)
            item.setToolTip(spec.summary)
            self.list.addItem(item)
        self.scene_pos = QtCore.QPointF()
        self.field.textChanged.connect(self.filter)
        self.field.installEventFilter(self)
        self.list.itemClicked.connect(self._pick)
        self.hide()

    def open_at(self, view_pos: QtCore.QPoint, scene_pos: QtCore.QPointF) -> None:
        """Show the box at ``view_pos``; the layer will be created at ``scene_pos``."""
        self.scene_pos = QtCore.QPointF(scene_pos)
        self.field.clear()
        self.filter("")
        parent = self.parentWidget()
        area = parent.rect() if parent is not None else self.rect()
        self.adjustSize()
        x = min(max(view_pos.x() - 20, 0), max(area.width() - self.width(), 0))
        y = min(max(view_pos.y() - 10, 0), max(area.height() - self.height(), 0))
        self.move(x, y)
        self.show()
        self.raise_()
        self.field.setFocus()

    def filter(self, text: str) -> None:
        first: QtWidgets.QListWidgetItem | None = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            shown = matches(nodes.get(str(item.data(ROLE))), text)
            item.setHidden(not shown)
            if shown and first is None:
                first = item
        if first is not None:
            self.list.setCurrentItem(first)
        self._fit_list()

    def _fit_list(self) -> None:
        """As tall as the matches (up to the cap), so few matches leave no empty box."""
        shown = sum(1 for r in range(self.list.count()) if not self.list.item(r).isHidden())
        row = self.list.sizeHintForRow(0) if self.list.count() else 18
        frame = 2 * self.list.frameWidth()
        self.list.setFixedHeight(min(LIST_MAX_HEIGHT, max(1, shown) * max(row, 1) + frame))
        self.adjustSize()

    def visible_types(self) -> list[str]:
        return [
            str(self.list.item(r).data(ROLE))
            for r in range(self.list.count())
            if not self.list.item(r).isHidden()
        ]

    def choose(self) -> None:
        """Create the highlighted layer (what Enter does)."""
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._pick(item)

    def _pick(self, item: QtWidgets.QListWidgetItem) -> None:
        self._close()
        self.chosen.emit(str(item.data(ROLE)), self.scene_pos)

    def _close(self) -> None:
        """Hide and give the keyboard back to the canvas, so Ctrl+Z, Delete or another
        Tab act on it next (Qt would hand focus to the next widget in the window)."""
        self.hide()
        parent = self.parentWidget()
        if parent is not None:
            parent.setFocus(QtCore.Qt.FocusReason.PopupFocusReason)

    def _step(self, delta: int) -> None:
        rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        index = rows.index(current) if current in rows else -1
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, index + delta))])

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.field and event.type() == QtCore.QEvent.Type.KeyPress:
            assert isinstance(event, QtGui.QKeyEvent)
            key = event.key()
            if key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
                self.choose()
                return True
            if key == QtCore.Qt.Key.Key_Escape:
                self._close()
                return True
            if key in (QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Up):
                self._step(1 if key == QtCore.Qt.Key.Key_Down else -1)
                return True
        if (
            watched is self.field
            and event.type() == QtCore.QEvent.Type.FocusOut
            and not self.list.hasFocus()
        ):
            QtCore.QTimer.singleShot(0, self._hide_unless_focused)
        return super().eventFilter(watched, event)

    def _hide_unless_focused(self) -> None:
        if not (self.field.hasFocus() or self.list.hasFocus()):
            self.hide()
