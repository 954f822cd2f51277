"""A grid of small captioned images: kernels, feature maps, sample predictions.

Tiles grow with the dock (as many columns as fit, each as large as the width allows,
up to ``FIT_LIMIT`` times the base size), so the grid is readable at the default
window size and uses a large dock well. Ctrl+wheel (or Ctrl++ / Ctrl+-) zooms by
hand; Ctrl+0 goes back to fitting the width. Images are kept, so zooming redraws
them sharp (nearest-neighbour enlargement) instead of stretching pixmaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.images import to_pixmap

if TYPE_CHECKING:
    import numpy as np

ZOOM_STEP = 1.25
MIN_TILE = 24
MAX_TILE = 512
FIT_LIMIT = 3.0  # fitting never makes tiles more than 3x their base size
ZOOM_HINT = "Ctrl+wheel or Ctrl +/- to zoom, Ctrl+0 to fit the width"


def wheel_steps(event: QtGui.QWheelEvent) -> float:
    """Notches of a Ctrl+wheel turn (0 without Ctrl), shared by the results views."""
    if not event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
        return 0.0
    return event.angleDelta().y() / 120


def zoom_key(event: QtGui.QKeyEvent) -> float | None:
    """Zoom factor change of Ctrl++ / Ctrl+- (or 0.0 for Ctrl+0 = fit), None otherwise."""
    if not event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
        return None
    key = QtCore.Qt.Key
    return {
        key.Key_Plus: ZOOM_STEP,
        key.Key_Equal: ZOOM_STEP,
        key.Key_Minus: 1 / ZOOM_STEP,
        key.Key_0: 0.0,
    }.get(QtCore.Qt.Key(event.key()))


class TileGrid(QtWidgets.QListWidget):
    """Read-only icon view that reflows and scales with the dock's width."""

    def __init__(self, tile: int = 48, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = tile
        self.tile = tile
        self.zoom: float | None = None  # None: fit the width
        self._images: list[np.ndarray] = []
        self.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.setMovement(QtWidgets.QListView.Movement.Static)
        self.setIconSize(QtCore.QSize(tile, tile))
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setToolTip(ZOOM_HINT)

    def show_tiles(
        self,
        images: Sequence[np.ndarray],
        captions: Sequence[str],
        tooltips: Sequence[str] | None = None,
        colours: Sequence[QtGui.QColor | None] | None = None,
    ) -> None:
        self.setUpdatesEnabled(False)
        try:
            self.clear()
            self._images = list(images)
            self.tile = self._wanted_tile()
            self.setIconSize(QtCore.QSize(self.tile, self.tile))
            for index, (image, caption) in enumerate(zip(images, captions, strict=True)):
                item = QtWidgets.QListWidgetItem(QtGui.QIcon(to_pixmap(image, self.tile)), caption)
                if tooltips is not None:
                    item.setToolTip(tooltips[index])
                colour = colours[index] if colours is not None else None
                if colour is not None:
                    item.setForeground(colour)
                self.addItem(item)
        finally:
            self.setUpdatesEnabled(True)

    def captions(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    # ---- scaling ----------------------------------------------------------------
    def set_zoom(self, zoom: float | None) -> None:
        """Tiles at ``zoom`` times their base size, or fitted to the width (None)."""
        if zoom is not None:
            zoom = min(max(zoom, MIN_TILE / self.base), MAX_TILE / self.base)
        self.zoom = zoom
        self._rescale()

    def _wanted_tile(self) -> int:
        if self.zoom is not None:
            return round(self.base * self.zoom)
        cell = self.base + 2 * self.spacing() + 8  # a tile, its margins and a caption's slack
        width = max(1, self.viewport().width())
        columns = max(1, width // cell)
        fitted = width // columns - 2 * self.spacing() - 8
        return int(min(max(fitted, self.base), self.base * FIT_LIMIT))

    def _rescale(self) -> None:
        tile = self._wanted_tile()
        if tile == self.tile or not self._images:
            self.tile = tile
            return
        self.tile = tile
        self.setUpdatesEnabled(False)
        try:
            self.setIconSize(QtCore.QSize(tile, tile))
            for index, image in enumerate(self._images[: self.count()]):
                self.item(index).setIcon(QtGui.QIcon(to_pixmap(image, tile)))
        finally:
            self.setUpdatesEnabled(True)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.zoom is None:
            self._rescale()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802
        steps = wheel_steps(event)
        if not steps:
            super().wheelEvent(event)
            return
        self.set_zoom(self.tile / self.base * ZOOM_STEP**steps)
        event.accept()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        change = zoom_key(event)
        if change is None:
            super().keyPressEvent(event)
            return
        self.set_zoom(None if change == 0.0 else self.tile / self.base * change)
        event.accept()
