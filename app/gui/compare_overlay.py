"""View → Compare With…: the differences drawn over the canvas, and kept up to date.

``app.gui.compare`` says what differs (marks keyed by node id, ghosts of removed
nodes); this module draws it with its own scene items, so the canvas needs no hook:
a coloured ring and a badge (``added``, ``changed: kernel 3→5``) around each added,
changed or renamed node, and for each node only the reference has a dashed,
see-through box with its id and type where the reference placed it (beside the graph
when it had no position), with dashed lines from the inputs it had.

The overlay follows the document: a move re-places the rings and badges, any other
edit compares again (the marks stay true while you edit towards or away from the
reference), and a new document (New, Open, a template) removes the overlay.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.compare import CompareMarks, Ghost, NodeMark, compare_marks, reference_graph
from graph_io.editing import Update
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from graph_io.model import Graph
from graph_io.shapes import Report, infer

RING_MARGIN = 6.0  # scene px between a node and its ring
RING_WIDTH = 3.0
BADGE_GAP = 4.0  # between a node's top and its badge
BADGE_PAD = QtCore.QMarginsF(6, 2, 6, 2)
GHOST_GAP = 80.0  # between the graph and ghosts that had no position


def _inert(item: QtWidgets.QGraphicsItem, tooltip: str, z: float) -> None:
    """An overlay item is looked at, never grabbed: clicks and drags reach the canvas."""
    item.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
    item.setAcceptHoverEvents(False)
    item.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
    item.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIsMovable, False)
    item.setToolTip(tooltip)
    item.setZValue(z)


class Ring(QtWidgets.QGraphicsPathItem):
    """A coloured rounded outline just outside a node; only the line itself is hit."""

    def __init__(self, color: QtGui.QColor, tooltip: str) -> None:
        super().__init__()
        pen = QtGui.QPen(color, RING_WIDTH)
        pen.setCosmetic(True)  # as thick on screen at any zoom: visible on a large graph
        self.setPen(pen)
        self.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        _inert(self, tooltip, 0.5)

    def around(self, rect: QtCore.QRectF) -> None:
        path = QtGui.QPainterPath()
        m = RING_MARGIN
        path.addRoundedRect(rect.adjusted(-m, -m, m, m), 8, 8)
        self.setPath(path)

    def shape(self) -> QtGui.QPainterPath:
        stroker = QtGui.QPainterPathStroker()
        stroker.setWidth(RING_WIDTH * 2)
        return stroker.createStroke(self.path())


class Badge(QtWidgets.QGraphicsItem):
    """A small filled label (``added``, ``changed: kernel 3→5``) above a node."""

    def __init__(self, text: str, color: QtGui.QColor, tooltip: str) -> None:
        super().__init__()
        self.text = text
        self.color = color
        self.font = QtGui.QFont()
        self.font.setPointSizeF(8.5)
        self.font.setBold(True)
        metrics = QtGui.QFontMetricsF(self.font)
        box = QtCore.QRectF(0, 0, metrics.horizontalAdvance(text), metrics.height())
        self.rect = box.marginsAdded(BADGE_PAD)
        self.rect.moveTo(0, 0)
        _inert(self, tooltip, 10.0)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return self.rect

    def paint(self, painter: QtGui.QPainter, *_args: Any) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self.color)
        painter.drawRoundedRect(self.rect, 4, 4)
        painter.setPen(QtGui.QColor("#111111" if self.color.lightnessF() > 0.55 else "#ffffff"))
        painter.setFont(self.font)
        painter.drawText(self.rect, QtCore.Qt.AlignmentFlag.AlignCenter, self.text)

    def above(self, rect: QtCore.QRectF) -> None:
        self.setPos(rect.left(), rect.top() - RING_MARGIN - BADGE_GAP - self.rect.height())


class GhostItem(QtWidgets.QGraphicsItem):
    """A removed node: a dashed, see-through box with its id and type."""

    def __init__(self, ghost: Ghost) -> None:
        super().__init__()
        self.ghost = ghost
        self.rect = QtCore.QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        _inert(self, ghost.tooltip, -0.5)

    @property
    def label(self) -> str:
        return f"{self.ghost.node_id}\n{self.ghost.type}"

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QtGui.QPainter, *_args: Any) -> None:
        color = self.ghost.color
        fill = QtGui.QColor(color)
        fill.setAlphaF(self.ghost.opacity * 0.5)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        outline = QtGui.QPen(color, 2, QtCore.Qt.PenStyle.DashLine)
        outline.setCosmetic(True)
        painter.setPen(outline)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 8, 8)
        painter.setPen(color)
        font = QtGui.QFont()
        font.setPointSizeF(10)
        painter.setFont(font)
        painter.drawText(self.rect, QtCore.Qt.AlignmentFlag.AlignCenter, self.label)


class CompareOverlay(QtCore.QObject):
    """Draws one comparison over ``canvas`` (its ``node(id).view``, ``viewer`` and
    ``document``) until ``clear`` or a new document."""

    changed = QtCore.Signal(str)  # the comparison's one-line summary; "" once cleared

    def _ghost_rects(self) -> list[QtCore.QRectF]:
        return [item.sceneBoundingRect() for item in self.ghosts if item.scene() is not None]

    def __init__(self, canvas: Any, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.reference: Graph | None = None
        self._reference_report: Report | None = None
        self.name = ""
        self.result: CompareMarks | None = None
        self.rings: dict[str, Ring] = {}
        self.badges: dict[str, Badge] = {}
        self.ghosts: list[GhostItem] = []
        self.links: list[tuple[str, GhostItem, QtWidgets.QGraphicsLineItem]] = []
        canvas.frame_extras.append(self._ghost_rects)  # F and opening show the ghosts too
        # Comparing again costs a few ms at 500 nodes (benchmarks/bench_compare.py): it
        # runs once per turn of the event loop, after the edit (or a burst of them) is shown.
        self._again = QtCore.QTimer(self)
        self._again.setSingleShot(True)
        self._again.setInterval(0)
        self._again.timeout.connect(self._redraw_if_active)
        # Moves are placed a turn later too: by then the canvas has moved its items,
        # however it schedules that.
        self._follow = QtCore.QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(0)
        self._follow.timeout.connect(self._place)
        self._unsubscribe: Callable[[], None] = canvas.document.subscribe(self._on_update)

    @property
    def active(self) -> bool:
        return self.reference is not None

    @property
    def scene(self) -> QtWidgets.QGraphicsScene:
        scene: QtWidgets.QGraphicsScene = self.canvas.viewer.scene()
        return scene

    def compare_with(self, path: Path) -> CompareMarks:
        """Compare the open graph with a YAML file or a run folder (its graph).

        Raises ``ConvasError`` (file, line, field) when it cannot be read; the
        overlay shown until then stays.
        """
        reference = reference_graph(Path(path))
        return self.show(reference, Path(path).name)

    def show(self, reference: Graph, name: str) -> CompareMarks:
        self.reference, self.name = reference, name
        self._reference_report = infer(reference)  # once: the reference never changes
        return self._redraw()

    def clear(self) -> None:
        self._again.stop()
        self._follow.stop()
        was = self.active
        self.reference, self.result = None, None
        self._remove_items()
        if was:
            self.changed.emit("")

    # ---- following the document ---------------------------------------------------
    def _on_update(self, update: Update) -> None:
        if update.change.replaced:
            self.clear()
        elif self.active and not update.change.empty:
            only_moved = update.change == type(update.change)(moved=update.change.moved)
            if only_moved:
                self._follow.start()
            else:
                self._again.start()

    def _redraw_if_active(self) -> None:
        if self.active:
            self._redraw()

    def _redraw(self) -> CompareMarks:
        assert self.reference is not None
        self._again.stop()
        document = self.canvas.document
        assert self._reference_report is not None
        reports = (self._reference_report, document.report)
        result = compare_marks(self.reference, document.graph, self.name, reports)
        self.result = result
        self._remove_items()
        for mark in result.marks.values():
            self._add_mark(mark)
        for ghost in result.ghosts:
            item = GhostItem(ghost)
            self.scene.addItem(item)
            self.ghosts.append(item)
            for source in ghost.inputs:
                line = QtWidgets.QGraphicsLineItem()
                pen = QtGui.QPen(ghost.color, 1.5, QtCore.Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                line.setPen(pen)
                _inert(line, ghost.tooltip, -1.5)
                self.scene.addItem(line)
                self.links.append((source, item, line))
        self._place()
        self.changed.emit(result.summary)
        return result

    def _add_mark(self, mark: NodeMark) -> None:
        ring = Ring(mark.color, mark.tooltip)
        badge = Badge(mark.badge or mark.mark.value, mark.color, mark.tooltip)
        self.scene.addItem(ring)
        self.scene.addItem(badge)
        self.rings[mark.node_id] = ring
        self.badges[mark.node_id] = badge

    def _node_rect(self, node_id: str) -> QtCore.QRectF | None:
        node = self.canvas.node(node_id)
        if node is None:
            return None
        rect: QtCore.QRectF = node.view.sceneBoundingRect()
        return rect

    def _place(self) -> None:
        """Put every ring and badge at its node, and each ghost where it belongs."""
        for node_id, ring in self.rings.items():
            rect = self._node_rect(node_id)
            ring.setVisible(rect is not None)
            self.badges[node_id].setVisible(rect is not None)
            if rect is not None:
                ring.around(rect)
                self.badges[node_id].above(rect)
        unplaced = [item for item in self.ghosts if item.ghost.pos is None]
        beside = self._beside() if unplaced else QtCore.QPointF()
        for item in self.ghosts:
            pos = item.ghost.pos
            if pos is None:
                item.setPos(beside)
                beside += QtCore.QPointF(0, NODE_HEIGHT + GHOST_GAP / 2)
            else:
                item.setPos(pos[0], pos[1])
        for source, ghost, line in self.links:
            rect = self._node_rect(source)
            line.setVisible(rect is not None)
            if rect is not None:
                end = ghost.sceneBoundingRect().center()
                line.setLine(QtCore.QLineF(rect.center(), end))

    def _beside(self) -> QtCore.QPointF:
        """Right of everything the canvas shows: where ghosts without a position go."""
        rects = [self._node_rect(node_id) for node_id in self.canvas.document.graph.nodes]
        shown = [r for r in rects if r is not None]
        if not shown:
            return QtCore.QPointF(0, 0)
        return QtCore.QPointF(
            max(r.right() for r in shown) + GHOST_GAP, min(r.top() for r in shown)
        )

    def _remove_items(self) -> None:
        items: list[QtWidgets.QGraphicsItem] = [*self.rings.values(), *self.badges.values()]
        items += self.ghosts
        items += [line for _s, _g, line in self.links]
        for item in items:
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.rings, self.badges, self.ghosts, self.links = {}, {}, [], []

    def close(self) -> None:
        """Stop following the document (the window is going)."""
        self._unsubscribe()
        self.clear()
