"""NodeGraphQt's viewer with Convas' wires, hover text and zoom policy.

Three changes to the stock viewer, each for the user:
- new connections are ``WireItem``s (routed, themed, with a level of detail);
- hover text is asked of the canvas when the user hovers (``tooltip_for``), so an
  edit does not re-set a tooltip on every port of every node it touches;
- ``readable_zoom`` is the least zoom at which a face's smallest text is 10 px, the
  floor for fitting a graph on open (the user can still zoom out further).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.node_item import WireItem
from app.gui.node_painter import SMALL_PX

READABLE_PX = 10.0  # the smallest text on a face, on screen, when a graph opens
MIN_ZOOM, MAX_ZOOM = 0.02, 4.0  # the View menu's zoom steps stay between these
ZOOM_STEP = 1.25
FIT_CEILING = 1.5  # fitting a small graph zooms in no further than this


class CanvasViewer(NodeViewer):  # type: ignore[misc]
    """The canvas' QGraphicsView."""

    view_changed = QtCore.Signal()  # after any pan or zoom
    # a right-click: the item under it (or None), its scene position, the screen position
    context_requested = QtCore.Signal(object, QtCore.QPointF, QtCore.QPoint)

    def __init__(self, parent: QtWidgets.QWidget | None = None, undo_stack: Any = None) -> None:
        super().__init__(parent, undo_stack=undo_stack)
        self.overview: Callable[[QtGui.QPainter, QtCore.QRectF], None] | None = None
        self.tooltip_for: Callable[[QtWidgets.QGraphicsItem], str | None] | None = None
        self.route_for: Callable[[Any], Sequence[tuple[float, float]] | None] | None = None
        self.hint = ""  # drawn at the bottom of the view while set
        self.hint_colour = QtGui.QColor("#59636e")

    def establish_connection(self, start_port: Any, end_port: Any) -> None:
        pipe = WireItem()
        self.scene().addItem(pipe)
        pipe.set_connections(start_port, end_port)
        pipe.draw_path(pipe.input_port, pipe.output_port)
        if start_port.node.selected or end_port.node.selected:
            pipe.highlight()

    def _update_scene(self) -> None:
        super()._update_scene()
        self.view_changed.emit()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        """Keep the zoom and the centre when the view changes size (a dock opening, the
        window resized). NodeGraphQt scales the picture with the view, so the Results
        dock appearing after a run zoomed the graph out below readable size."""
        old = event.oldSize()
        zoom = self.scale_factor()
        if old.width() <= 0 or old.height() <= 0 or zoom <= 0:
            super().resizeEvent(event)
            return
        centre = self._centre()
        QtWidgets.QGraphicsView.resizeEvent(self, event)
        self._last_size = self.size()
        self._show_at(centre, zoom)

    def _centre(self) -> QtCore.QPointF:
        """The scene point at the middle of the view."""
        return QtCore.QPointF(getattr(self, "_scene_range").center())  # noqa: B009

    def _show_at(self, centre: QtCore.QPointF, zoom: float) -> None:
        view = QtCore.QRectF(self.viewport().rect())
        # fitInView keeps a 2 px margin each side: leave it, so the scale is ``zoom``
        width, height = (view.width() - 4) / zoom, (view.height() - 4) / zoom
        self._scene_range = QtCore.QRectF(
            centre.x() - width / 2, centre.y() - height / 2, width, height
        )
        self._update_scene()

    def zoom_to(self, zoom: float) -> None:
        """Zoom about the middle of the view (View → Zoom In/Out/Actual Size)."""
        self._show_at(self._centre(), min(max(zoom, MIN_ZOOM), MAX_ZOOM))

    def contextMenuEvent(self, event: QtGui.QContextMenuEvent) -> None:  # noqa: N802
        """A right-click asks the window for the menu of what it hit (NodeGraphQt's
        own menus are empty here)."""
        self.RMB_state = False
        point = event.pos()
        items = [i for i in self.items(point) if i.isVisible()]
        self.context_requested.emit(
            items[0] if items else None, self.mapToScene(point), event.globalPos()
        )
        event.accept()

    def drawForeground(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:  # noqa: N802
        """Far out, the canvas hides its items and draws the whole graph at once; an
        almost empty graph gets a line saying how to start."""
        super().drawForeground(painter, rect)
        if self.overview is not None:
            self.overview(painter, rect)
        if self.hint:
            self._draw_hint(painter)

    def _draw_hint(self, painter: QtGui.QPainter) -> None:
        painter.save()
        painter.resetTransform()  # in view pixels, whatever the zoom
        area = QtCore.QRectF(self.viewport().rect()).adjusted(24, 0, -24, -28)
        font = painter.font()
        font.setPixelSize(14)
        painter.setFont(font)
        painter.setPen(self.hint_colour)
        flags = QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignBottom
        painter.drawText(area, int(flags) | int(QtCore.Qt.TextFlag.TextWordWrap), self.hint)
        painter.restore()

    def viewportEvent(self, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.ToolTip and self.tooltip_for is not None:
            assert isinstance(event, QtGui.QHelpEvent)
            text = None
            for item in self.items(event.pos()):
                text = self.tooltip_for(item)
                if text:
                    break
            if text:
                QtWidgets.QToolTip.showText(event.globalPos(), text, self)
            else:
                QtWidgets.QToolTip.hideText()
                event.ignore()
            return True
        return bool(super().viewportEvent(event))

    @staticmethod
    def readable_zoom() -> float:
        """The scale at which a node's smallest text is ``READABLE_PX`` on screen."""
        return READABLE_PX / SMALL_PX

    def scale_factor(self) -> float:
        return float(self.transform().m11())

    def show_rect(
        self,
        rect: QtCore.QRectF,
        *,
        floor: float | None = None,
        anchor: QtCore.QPointF | None = None,
        ceiling: float = FIT_CEILING,
    ) -> None:
        """Fit ``rect`` in view, but never below ``floor`` zoom: then show the part of
        it at ``anchor`` (the Input, at the top of the view) and leave the rest to
        scrolling and the minimap. Never above ``ceiling`` either: a graph of one or
        two nodes is shown at its natural size in the middle, not blown up."""
        if rect.isEmpty():
            return
        view = QtCore.QRectF(self.viewport().rect())
        fit = min(view.width() / rect.width(), view.height() / rect.height())
        if fit > ceiling:
            self._show_at(rect.center(), ceiling)
            return
        if floor is not None and fit < floor:
            # fitInView keeps a 2 px margin each side: leave it, so the scale is the floor
            width, height = (view.width() - 4) / floor, (view.height() - 4) / floor
            start = anchor if anchor is not None else rect.topLeft()
            left = min(max(rect.left(), start.x() - width / 2), rect.right() - width)
            top = min(max(rect.top(), start.y() - 40.0), rect.bottom() - height)
            rect = QtCore.QRectF(
                left if rect.width() > width else rect.center().x() - width / 2,
                top if rect.height() > height else rect.center().y() - height / 2,
                width,
                height,
            )
        self.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])
