"""The graph's one-line summary in the status bar, cheap to change on every edit.

A QLabel in the status bar asks the window's layout to run again whenever its text
changes width (every edit changes the counts): 2-5 ms per edit of a 100-node graph,
half the editor's whole edit budget (benchmarks/bench_editor.py). This widget keeps
one size and only repaints itself; text longer than the bar is elided.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

MARGIN = 6  # px between the window's edge and the text


class StatusLine(QtWidgets.QWidget):
    """One line of text that never changes the status bar's layout."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, which callers use)
        if text != self._text:
            self._text = text
            self.setToolTip(text)  # the whole line, when the bar is too narrow for it
            self.update()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(200, self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(0, self.fontMetrics().height() + 4)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        area = self.rect().adjusted(MARGIN, 0, -MARGIN, 0)
        shown = self.fontMetrics().elidedText(
            self._text, QtCore.Qt.TextElideMode.ElideRight, area.width()
        )
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        painter.drawText(
            area,
            int(QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignLeft),
            shown,
        )
        painter.end()
