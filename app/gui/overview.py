"""The whole graph drawn at once, for zoom levels where a node is a few pixels.

Far out, painting every node, port and wire item costs a Python call each (about
8,000 for a 2,000-node graph: 100 ms a frame). Below ``OVERVIEW_ZOOM`` the canvas
hides its items and the viewer draws this instead: one filled path per layer
category and one path for all wires, built from the document's positions once per
change and drawn by Qt in a few calls, whatever the graph's size.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

import nodes as registry
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH
from graph_io.layout import Direction
from graph_io.model import Graph
from resources.themes import Theme

OVERVIEW_ZOOM = 0.15  # below this scale (a node under 33 px wide) the overview draws
OVERVIEW_MIN_NODES = 300  # smaller graphs draw their items at every zoom


class Overview:
    """Cached paths of a graph's nodes (by category) and wires."""

    def __init__(self) -> None:
        self._nodes: dict[str, QtGui.QPainterPath] = {}
        self._selected = QtGui.QPainterPath()
        self._wires = QtGui.QPainterPath()
        self._valid = False

    def invalidate(self) -> None:
        """The graph or the selection changed: rebuild before the next paint."""
        self._valid = False

    def build(self, graph: Graph, direction: Direction, selected: frozenset[str]) -> None:
        by_category: dict[str, QtGui.QPainterPath] = {}
        chosen = QtGui.QPainterPath()
        wires = QtGui.QPainterPath()
        nodes = graph.nodes
        for node in nodes.values():
            if node.pos is None:
                continue
            x, y = node.pos
            spec = registry.find(node.type)
            category = spec.category if spec is not None else ""
            path = by_category.setdefault(category, QtGui.QPainterPath())
            path.addRect(QtCore.QRectF(x, y, NODE_WIDTH, NODE_HEIGHT))
            if node.id in selected:
                chosen.addRect(QtCore.QRectF(x, y, NODE_WIDTH, NODE_HEIGHT))
            for source in node.inputs:
                upstream = nodes.get(source)
                if upstream is None or upstream.pos is None:
                    continue
                sx, sy = upstream.pos
                if direction is Direction.TB:
                    wires.moveTo(sx + NODE_WIDTH / 2, sy + NODE_HEIGHT)
                    wires.lineTo(x + NODE_WIDTH / 2, y)
                else:
                    wires.moveTo(sx + NODE_WIDTH, sy + NODE_HEIGHT / 2)
                    wires.lineTo(x, y + NODE_HEIGHT / 2)
        self._nodes, self._selected, self._wires = by_category, chosen, wires
        self._valid = True

    @property
    def valid(self) -> bool:
        return self._valid

    def paint(self, painter: QtGui.QPainter, theme: Theme) -> None:
        painter.save()
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
            pen = QtGui.QPen(QtGui.QColor(theme.wire), 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPath(self._wires)
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            for category, path in self._nodes.items():
                painter.fillPath(path, QtGui.QColor(theme.category_colour(category)))
            if not self._selected.isEmpty():
                outline = QtGui.QPen(QtGui.QColor(theme.accent), 3.0)
                outline.setCosmetic(True)
                painter.setPen(outline)
                painter.drawPath(self._selected)
        finally:
            painter.restore()
