"""The whole graph as a picture (SVG or PNG), drawn with the canvas' own node painter.

Used by ``convas render`` and the editor's File → Export Image: both pass a
``Layout`` (a fresh ``layered_layout``, or the canvas positions from
``placed_layout``), so the picture always shows every node, not just the visible part.
Needs a ``QGuiApplication`` (fonts); ``ensure_gui_app`` makes an offscreen one.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from app.gui.node_painter import NodePainter
from graph_io.atomic import write_atomic
from graph_io.faces import Face, faces
from graph_io.layout import Direction, Layout, layered_layout, route_wires
from graph_io.model import Graph
from graph_io.shapes import infer
from resources.themes import Theme

MARGIN = 32.0
MAX_PNG_SIDE = 16384  # larger pictures are scaled down to fit (Qt's image limit is 32767)


def ensure_gui_app() -> QtGui.QGuiApplication:
    """The running Qt application, or a new one — offscreen when there is no display."""
    existing = QtGui.QGuiApplication.instance()
    if isinstance(existing, QtGui.QGuiApplication):
        return existing
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and no_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A QApplication (not just a QGuiApplication): the same process may go on to
    # create widgets (the editor, tests), which Qt refuses on a GUI-only application.
    return QtWidgets.QApplication(sys.argv[:1])


def placed_layout(graph: Graph, direction: Direction) -> Layout:
    """The graph where its nodes sit on the canvas, as the editor draws it.

    Wires run straight between the ports of ``direction``, except that a wire whose
    two ends sit where the layered layout puts them follows that layout's route (a
    skip wire goes round the nodes it passes, as on the canvas). A graph with a node
    that has no position yet is laid out afresh.
    """
    fresh = layered_layout(graph, direction)
    placed = {nid: node.pos for nid, node in graph.nodes.items() if node.pos is not None}
    if len(placed) < len(graph.nodes):
        return fresh
    positions = {nid: (float(x), float(y)) for nid, (x, y) in placed.items()}
    routes = route_wires(graph, positions, direction, node_size=fresh.node_size)
    for edge, route in fresh.routes.items():
        if all(positions[end] == fresh.positions[end] for end in edge):
            routes[edge] = route
    return Layout(direction, positions, routes, fresh.node_size)


def paint_graph(
    painter: QtGui.QPainter,
    shown: Mapping[str, Face],
    layout: Layout,
    node_painter: NodePainter,
    lod: float = 1.0,
) -> None:
    """Wires first, nodes over them, at the layout's own coordinates."""
    for route in layout.routes.values():
        node_painter.paint_wire(painter, route, lod=lod)
    width, height = layout.node_size
    for nid, (x, y) in layout.positions.items():
        node_painter.paint(painter, QtCore.QRectF(x, y, width, height), shown[nid], lod=lod)


def _scene_rect(layout: Layout) -> QtCore.QRectF:
    left, top, right, bottom = layout.bounds()
    return QtCore.QRectF(left, top, right - left, bottom - top).adjusted(
        -MARGIN, -MARGIN, MARGIN, MARGIN
    )


def _draw(
    device: QtGui.QPaintDevice, graph: Graph, layout: Layout, theme: Theme, scale: float
) -> None:
    shown = faces(graph, infer(graph))
    area = _scene_rect(layout)
    painter = QtGui.QPainter(device)
    try:
        painter.scale(scale, scale)
        painter.translate(-area.left(), -area.top())
        painter.fillRect(area, QtGui.QColor(theme.canvas))
        paint_graph(painter, shown, layout, NodePainter(theme))
    finally:
        painter.end()


def svg_bytes(graph: Graph, layout: Layout, theme: Theme) -> bytes:
    """The picture as SVG. Every node's id, type and shape are text in it, and the
    document's description lists them all (``id: type, shape``) for tools."""
    area = _scene_rect(layout)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    size = QtCore.QSize(round(area.width()), round(area.height()))
    generator.setResolution(96)  # CSS pixels: the size in mm matches the scene at zoom 1
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
    generator.setTitle(graph.name)
    shown = faces(graph, infer(graph))
    generator.setDescription("; ".join(f"{f.node_id}: {f.type}, {f.shape}" for f in shown.values()))
    _draw(generator, graph, layout, theme, 1.0)
    buffer.close()
    return bytes(buffer.data().data())


def png_bytes(graph: Graph, layout: Layout, theme: Theme, scale: float = 2.0) -> bytes:
    """The picture as PNG at ``scale`` pixels per scene unit (less if it would be huge)."""
    area = _scene_rect(layout)
    scale = min(scale, MAX_PNG_SIDE / max(area.width(), area.height(), 1.0))
    image = QtGui.QImage(
        max(1, math.ceil(area.width() * scale)),
        max(1, math.ceil(area.height() * scale)),
        QtGui.QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(QtGui.QColor(theme.canvas))
    _draw(image, graph, layout, theme, scale)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    writer = QtGui.QImageWriter(buffer, QtCore.QByteArray(b"PNG"))
    if not writer.write(image):
        raise OSError(f"Qt could not encode the PNG: {writer.errorString()}")
    buffer.close()
    return bytes(buffer.data().data())


def write_picture(graph: Graph, layout: Layout, theme: Theme, path: str | os.PathLike[str]) -> None:
    """Write the picture to ``path`` as SVG or PNG (by its suffix), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        data = svg_bytes(graph, layout, theme)
    elif suffix == ".png":
        data = png_bytes(graph, layout, theme)
    else:
        raise ValueError(f"{target.name}: the picture must be .svg or .png")
    write_atomic(target, data)
