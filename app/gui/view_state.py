"""What the views share besides the document: the selection and the edit lock.

Both are small Qt objects with a change signal, so panels subscribe to them (and to
the document) instead of reaching into the main window or the canvas.
"""

from __future__ import annotations

from PySide6 import QtCore


class Selection(QtCore.QObject):
    """The ids of the selected nodes, in the order the canvas reports them."""

    changed = QtCore.Signal(tuple)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.ids: tuple[str, ...] = ()

    @property
    def single(self) -> str | None:
        """The one selected node, or None when none or several are selected."""
        return self.ids[0] if len(self.ids) == 1 else None

    def set(self, ids: tuple[str, ...]) -> None:
        if ids != self.ids:
            self.ids = ids
            self.changed.emit(ids)


class EditLock(QtCore.QObject):
    """Whether the graph may be edited, and why not (e.g. a training run is on)."""

    changed = QtCore.Signal(bool)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.locked = False
        self.reason = ""

    def set(self, locked: bool, reason: str = "") -> None:
        self.reason = reason if locked else ""
        if locked != self.locked:
            self.locked = locked
            self.changed.emit(locked)
