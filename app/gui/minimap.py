"""The overview in the canvas' corner: every node as a dot of its category's colour,
the visible part as a frame; click or drag in it to move there.

Drawn from the document's positions (not by rendering the scene a second time), into
a cached picture redrawn only after the graph changes, so it costs nothing while the
user pans, zooms or drags. It hides itself while the whole graph is in view.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

import nodes as registry
from graph_io.editing import Document, Update
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from resources.themes import Theme

SIZE = QtCore.QSize(220, 150)
MARGIN = 12  # from the canvas' corner
PAD = 6.0  # inside the frame


class Minimap(QtWidgets.QWidget):
    """An overview of ``document`` for ``view`` (the canvas' QGraphicsView)."""

    def __init__(self, document: Document, view: QtWidgets.QGraphicsView, theme: Theme) -> None:
        super().__init__(view.viewport())
        self.document = document
        self.view = view
        self.theme = theme
        self.setFixedSize(SIZE)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._picture: QtGui.QPixmap | None = None
        self._bounds = QtCore.QRectF()
        self._scale = 1.0
        self._offset = QtCore.QPointF()
        self._stale = QtCore.QTimer(self)
        self._stale.setSingleShot(True)
        self._stale.setInterval(150)  # redraw once edits pause (a drag is many moves)
        self._stale.timeout.connect(self.redraw)
        document.subscribe(self._on_update)
        view.viewport().installEventFilter(self)
        for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
            bar.valueChanged.connect(lambda _v: self._follow_view())
        self.redraw()

    def set_theme(self, theme: object) -> None:
        assert isinstance(theme, Theme)
        self.theme = theme
        self.redraw()

    def _on_update(self, update: Update) -> None:
        change = update.change
        if change.replaced:
            self.redraw()
        elif change.added or change.removed or change.moved:
            self._stale.start()

    # ---- geometry ---------------------------------------------------------------------
    def _to_map(self, point: QtCore.QPointF) -> QtCore.QPointF:
        return QtCore.QPointF(
            (point.x() - self._bounds.left()) * self._scale + self._offset.x(),
            (point.y() - self._bounds.top()) * self._scale + self._offset.y(),
        )

    def _to_scene(self, point: QtCore.QPointF) -> QtCore.QPointF:
        return QtCore.QPointF(
            (point.x() - self._offset.x()) / self._scale + self._bounds.left(),
            (point.y() - self._offset.y()) / self._scale + self._bounds.top(),
        )

    def visible_rect(self) -> QtCore.QRectF:
        """The scene area the canvas shows now."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def redraw(self) -> None:
        """Draw every node into the cached picture (after the graph changed)."""
        placed = [n for n in self.document.graph.nodes.values() if n.pos is not None]
        if not placed:
            self._picture = None
            self._follow_view()
            return
        xs = [n.pos[0] for n in placed if n.pos]
        ys = [n.pos[1] for n in placed if n.pos]
        self._bounds = QtCore.QRectF(
            min(xs), min(ys), max(xs) - min(xs) + NODE_WIDTH, max(ys) - min(ys) + NODE_HEIGHT
        )
        room = QtCore.QSizeF(SIZE.width() - 2 * PAD, SIZE.height() - 2 * PAD)
        self._scale = min(
            room.width() / self._bounds.width(), room.height() / self._bounds.height()
        )
        self._offset = QtCore.QPointF(
            PAD + (room.width() - self._bounds.width() * self._scale) / 2,
            PAD + (room.height() - self._bounds.height() * self._scale) / 2,
        )
        picture = QtGui.QPixmap(SIZE * self.devicePixelRatioF())
        picture.setDevicePixelRatio(self.devicePixelRatioF())
        picture.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(picture)
        try:
            frame = QtGui.QColor(self.theme.window)
            frame.setAlpha(225)
            painter.setBrush(frame)
            painter.setPen(QtGui.QPen(QtGui.QColor(self.theme.border), 1.0))
            painter.drawRoundedRect(
                QtCore.QRectF(0.5, 0.5, SIZE.width() - 1, SIZE.height() - 1), 6, 6
            )
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            width = max(1.5, NODE_WIDTH * self._scale)
            height = max(1.5, NODE_HEIGHT * self._scale)
            colours: dict[str, QtGui.QColor] = {}
            for node in placed:
                assert node.pos is not None
                spec = registry.find(node.type)
                category = spec.category if spec is not None else ""
                colour = colours.get(category)
                if colour is None:
                    colour = colours[category] = QtGui.QColor(self.theme.category_colour(category))
                corner = self._to_map(QtCore.QPointF(*node.pos))
                painter.fillRect(QtCore.QRectF(corner.x(), corner.y(), width, height), colour)
        finally:
            painter.end()
        self._picture = picture
        self._follow_view()

    def _follow_view(self) -> None:
        """Sit in the bottom-right corner; hide while the whole graph is visible."""
        parent = self.parentWidget()
        if parent is not None:
            self.move(
                parent.width() - SIZE.width() - MARGIN, parent.height() - SIZE.height() - MARGIN
            )
        whole = self._picture is not None and self.visible_rect().contains(self._bounds)
        self.setVisible(self._picture is not None and not whole)
        self.update()

    # ---- events -----------------------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.Resize:
            self._follow_view()
        return False

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802
        if self._picture is None:
            return
        painter = QtGui.QPainter(self)
        try:
            painter.drawPixmap(0, 0, self._picture)
            seen = self.visible_rect()
            top_left = self._to_map(seen.topLeft())
            bottom_right = self._to_map(seen.bottomRight())
            frame = QtCore.QRectF(top_left, bottom_right).intersected(
                QtCore.QRectF(1, 1, SIZE.width() - 2, SIZE.height() - 2)
            )
            painter.setPen(QtGui.QPen(QtGui.QColor(self.theme.accent), 1.5))
            fill = QtGui.QColor(self.theme.accent)
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.drawRect(frame)
        finally:
            painter.end()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        self._go(event.position())

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & QtCore.Qt.MouseButton.LeftButton:
            self._go(event.position())

    def _go(self, point: QtCore.QPointF) -> None:
        """Centre the canvas on the scene point under ``point``, at the same zoom."""
        centre = self._to_scene(point)
        seen = self.visible_rect()
        seen.moveCenter(centre)
        set_rect = getattr(self.view, "set_scene_rect", None)
        if set_rect is not None:  # NodeGraphQt's viewer keeps its own scene range
            set_rect([seen.x(), seen.y(), seen.width(), seen.height()])
        else:
            self.view.centerOn(centre)
        self._follow_view()
