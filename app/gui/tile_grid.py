"""A grid of small captioned images: kernels, feature maps, sample predictions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.images import to_pixmap


class TileGrid(QtWidgets.QListWidget):
    """Read-only icon view that reflows with the dock's width."""

    def __init__(self, tile: int = 48, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile = tile
        self.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.setMovement(QtWidgets.QListView.Movement.Static)
        self.setIconSize(QtCore.QSize(tile, tile))
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)

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
