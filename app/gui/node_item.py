"""The scene items that draw a node and a wire with ``NodePainter``.

NodeGraphQt's own node item sizes itself from its text, hides every word below 70
screen pixels of width ("proxy mode", mapping to global coordinates on each paint)
and knows nothing of shapes. ``FaceNodeItem`` keeps NodeGraphQt's ports, selection
and wiring gestures but has a fixed size (``graph_io.faces``) and paints the node's
``Face`` — type, key parameters, output shape, parameter count, error badge — with
the painter the renderer uses, so the canvas and ``convas render`` look the same.
Zoomed out it draws a plain shape (``NodePainter``'s level of detail), which keeps
thousands of nodes fast. ``WireItem`` follows the route the layered layout gave a
wire (so a skip wire goes round the nodes it passes), falling back to NodeGraphQt's
curve once a node has been moved off its layout place.

Tooltips are not stored on items (that cost a call per port per edit); the viewer
asks the canvas for the text when the user hovers (``CanvasViewer``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from NodeGraphQt.constants import ICON_NODE_BASE
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.node_base import NodeItem
from NodeGraphQt.qgraphics.pipe import PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.node_painter import LOD_DETAIL, LOD_TEXT, WIRE_WIDTH, NodePainter
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH, Face
from resources.themes import Theme, theme

Points = Sequence[tuple[float, float]]


def level_of_detail(painter: QtGui.QPainter) -> float:
    """The painter's scale: 1 at zoom 1, 0.25 when a node is a quarter of its size."""
    return QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


class Look:
    """The theme and painter every canvas item draws with (one per application: the
    theme is application-wide)."""

    painter: ClassVar[NodePainter | None] = None

    @classmethod
    def node_painter(cls) -> NodePainter:
        if cls.painter is None:
            cls.painter = NodePainter(theme("light"))
        return cls.painter

    @classmethod
    def set_theme(cls, new: Theme) -> None:
        cls.node_painter().set_theme(new)


def _nothing(*_args: object, **_kwargs: object) -> None:
    return None


class _Absent:
    """Stands in for NodeGraphQt's name label, icon and port labels, which a face
    draws itself: creating those items was a third of opening a large graph."""

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        return QtCore.QRectF()

    def toPlainText(self) -> str:  # noqa: N802 - Qt's name
        return ""

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return _nothing


_ABSENT = _Absent()
_SELECTED_CHANGE = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemSelectedChange


class FaceNodeItem(NodeItem):  # type: ignore[misc]
    """A node of the canvas, drawn from its ``Face`` (set by the canvas)."""

    def __init__(self, name: str = "node", parent: QtWidgets.QGraphicsItem | None = None) -> None:
        # NodeItem's own __init__ would build the label, icon and disabled-cross items.
        AbstractNodeItem.__init__(self, name, parent)
        self._properties["icon"] = ICON_NODE_BASE
        self._icon_item = self._text_item = self._x_item = _ABSENT
        self._input_items: OrderedDict[Any, Any] = OrderedDict()
        self._output_items: OrderedDict[Any, Any] = OrderedDict()
        self._widgets: OrderedDict[str, Any] = OrderedDict()
        self._proxy_mode = False
        self._proxy_mode_threshold = 70
        self.face: Face | None = None
        self.hovered = False
        self._width, self._height = NODE_WIDTH, NODE_HEIGHT
        self.setAcceptHoverEvents(True)

    @property
    def icon(self) -> Any:
        return self._properties["icon"]

    @icon.setter
    def icon(self, path: Any = None) -> None:
        """The face draws its category icon; NodeGraphQt's would load a pixmap per node."""
        self._properties["icon"] = path

    def itemChange(  # noqa: N802 - Qt's name
        self, change: QtWidgets.QGraphicsItem.GraphicsItemChange, value: Any
    ) -> Any:
        # NodeGraphQt only reacts to selection (it lights the node's wires); its
        # handler ran for each of ~50 notifications per node while a graph opened.
        if change == _SELECTED_CHANGE:
            return super().itemChange(change, value)
        return QtWidgets.QGraphicsItem.itemChange(self, change, value)

    def _add_port(self, port: Any) -> Any:
        """A port without a label item (the face needs none)."""
        if port.port_type == "in":
            self._input_items[port] = _ABSENT
        else:
            self._output_items[port] = _ABSENT
        if self.scene():
            self.post_init()
        return port

    # NodeGraphQt sizes a node from its text and widgets; ours is always one size.
    def calc_size(self, add_w: float = 0.0, add_h: float = 0.0) -> tuple[float, float]:
        return NODE_WIDTH, NODE_HEIGHT

    def draw_node(self) -> None:
        self._width, self._height = NODE_WIDTH, NODE_HEIGHT
        if self.scene() is None:
            return  # NodeGraphQt calls this for each property it sets: align once, in post_init
        self.align_ports()
        self.update()

    def post_init(self, viewer: Any = None, pos: Any = None) -> None:
        self.draw_node()
        if pos:
            self.xy_pos = pos

    def auto_switch_mode(self) -> None:
        """Level of detail is the painter's (no per-paint mapping to the screen)."""

    def set_proxy_mode(self, mode: bool) -> None:
        """Ports stay visible at every zoom; the face simplifies itself."""

    def _tooltip_disable(self, state: bool) -> None:
        """Tooltips come from the canvas on hover, not from the item."""

    def set_face(self, face: Face) -> None:
        if face != self.face:
            self.face = face
            self.update()

    def hoverEnterEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.hovered = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.hovered = False
        self.update()
        super().hoverLeaveEvent(event)

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionGraphicsItem,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        if self.face is None:
            return
        Look.node_painter().paint(
            painter,
            QtCore.QRectF(0.0, 0.0, self._width, self._height),
            self.face,
            selected=self.isSelected(),
            hovered=self.hovered,
            lod=level_of_detail(painter),
        )


class WireItem(PipeItem):  # type: ignore[misc]
    """A connection: the layout's route when it still fits, else NodeGraphQt's curve."""

    def draw_path(self, start_port: Any, end_port: Any = None, cursor_pos: Any = None) -> None:
        viewer = self.viewer() if self.scene() is not None else None
        lookup: Callable[[Any], Points | None] | None = getattr(viewer, "route_for", None)
        if end_port is not None and cursor_pos is None and lookup is not None:
            points = lookup(self) if self.input_port and self.output_port else None
            if points:
                self.setPath(Look.node_painter().wire_path(points))
                self._draw_direction_pointer()
                return
        super().draw_path(start_port, end_port, cursor_pos)

    def _draw_direction_pointer(self) -> None:
        """The painter draws the arrow head at the input; NodeGraphQt's mid-wire
        triangle stays hidden."""
        self._dir_pointer.setVisible(False)

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionGraphicsItem,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        look = Look.node_painter().theme
        lod = level_of_detail(painter)
        lit = self._active or self._highlight or self.isSelected()
        colour = QtGui.QColor(look.accent if lit else look.wire)
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, lod >= LOD_DETAIL)
        pen = QtGui.QPen(colour, WIRE_WIDTH * (1.6 if lit else 1.0))
        if lod < LOD_TEXT:
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        path = self.path()
        painter.drawPath(path)
        if lod >= LOD_DETAIL and path.elementCount() >= 2:
            _arrow(painter, path, colour)
        painter.restore()


def _arrow(painter: QtGui.QPainter, path: QtGui.QPainterPath, colour: QtGui.QColor) -> None:
    """An arrow head where the wire enters its input."""
    tip = path.pointAtPercent(1.0)
    before = path.pointAtPercent(max(0.0, 1.0 - 8.0 / max(path.length(), 8.0)))
    dx, dy = tip.x() - before.x(), tip.y() - before.y()
    length = (dx * dx + dy * dy) ** 0.5
    if length == 0:
        return
    ux, uy = dx / length, dy / length
    size = 7.0
    back = QtCore.QPointF(tip.x() - ux * size, tip.y() - uy * size)
    side = QtCore.QPointF(-uy * size * 0.55, ux * size * 0.55)
    head = QtGui.QPolygonF([tip, back + side, back - side])
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawPolygon(head)
