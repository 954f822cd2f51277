"""Draws one node face (and a wire) with a QPainter: the canvas and the renderer share it.

A node is ``NODE_WIDTH`` x ``NODE_HEIGHT`` scene units (``graph_io.faces``): a
category-coloured stripe and icon, the layer type with its id, the key parameters,
the output shape in large type and the parameter count. Font sizes are in scene
pixels and none is below 10, so at zoom 1 every word is at least 10 px on screen.
An error gets a red outline and a "!" badge (the reason goes in the item's tooltip,
``Face.tooltip``). Below ``LOD_TEXT`` (the painter's scale, as given by
``QStyleOptionGraphicsItem.levelOfDetailFromTransform``) a node is a plain coloured
shape: text would be unreadable anyway, and thousands of nodes stay fast.

No per-layer code: everything comes from the ``Face`` and the ``Theme``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6 import QtCore, QtGui, QtSvg

import resources
from graph_io.faces import Face
from graph_io.shapes import Status
from resources.themes import Theme

LOD_TEXT = 0.4  # below this scale a node draws as a plain shape (text < 5 px)
LOD_DETAIL = 0.7  # below this scale wires lose arrow heads and rounded bends

TITLE_PX = 13
PARAMS_PX = 11
SHAPE_PX = 16
SMALL_PX = 10  # the id and the parameter count: the smallest text on a face
MIN_PX = 7  # only an id too long for the header shrinks, down to this

RADIUS = 6.0
STRIPE = 5.0
PAD = 10.0
ICON = 18.0
BADGE = 18.0
WIRE_WIDTH = 1.6
ARROW = 7.0
BEND = 14.0


def _colour(value: str) -> QtGui.QColor:
    return QtGui.QColor(value)


class NodePainter:
    """Paints ``Face``s and wires in one ``Theme``; keeps fonts and icons cached.

    Create one per scene (or per render) and call ``set_theme`` when the theme
    changes; ``paint`` is cheap enough to call from ``QGraphicsItem.paint``.
    """

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self._fonts = {
            "title": self._font(TITLE_PX, QtGui.QFont.Weight.DemiBold),
            "params": self._font(PARAMS_PX),
            "shape": self._font(SHAPE_PX, QtGui.QFont.Weight.Bold),
            "small": self._font(SMALL_PX),
            "badge": self._font(SMALL_PX + 2, QtGui.QFont.Weight.Black),
        }
        self._metrics = {name: QtGui.QFontMetricsF(font) for name, font in self._fonts.items()}
        self._svg: dict[str, QtSvg.QSvgRenderer] = {}
        self._pixmaps: dict[tuple[str, int], QtGui.QPixmap] = {}
        self._small_fonts: dict[int, tuple[QtGui.QFont, QtGui.QFontMetricsF]] = {}

    @staticmethod
    def _font(pixels: int, weight: QtGui.QFont.Weight = QtGui.QFont.Weight.Normal) -> QtGui.QFont:
        font = QtGui.QFont()
        font.setPixelSize(pixels)
        font.setWeight(weight)
        font.setHintingPreference(QtGui.QFont.HintingPreference.PreferNoHinting)
        return font

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme

    # ---- nodes ------------------------------------------------------------------
    def paint(
        self,
        painter: QtGui.QPainter,
        rect: QtCore.QRectF,
        face: Face,
        *,
        selected: bool = False,
        hovered: bool = False,
        lod: float = 1.0,
    ) -> None:
        """Draw ``face`` filling ``rect`` (normally ``NODE_WIDTH`` x ``NODE_HEIGHT``)."""
        painter.save()
        try:
            if lod < LOD_TEXT:
                self._paint_simple(painter, rect, face, selected)
            else:
                self._paint_full(painter, rect, face, selected, hovered)
        finally:
            painter.restore()

    def _outline(self, face: Face, selected: bool, hovered: bool) -> QtGui.QPen:
        theme = self.theme
        if selected:
            return QtGui.QPen(_colour(theme.accent), 2.5)
        if face.status is Status.ERROR:
            return QtGui.QPen(_colour(theme.error), 2.0)
        if hovered:
            return QtGui.QPen(_colour(theme.accent), 1.5)
        pen = QtGui.QPen(_colour(theme.node_border), 1.0)
        if face.status is Status.UNKNOWN:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        return pen

    def _paint_simple(
        self, painter: QtGui.QPainter, rect: QtCore.QRectF, face: Face, selected: bool
    ) -> None:
        theme = self.theme
        fill = theme.error if face.status is Status.ERROR else theme.category_colour(face.category)
        painter.setBrush(_colour(fill))
        pen = QtGui.QPen(_colour(theme.accent), 6.0) if selected else QtCore.Qt.PenStyle.NoPen
        painter.setPen(pen)
        painter.drawRect(rect)

    def _paint_full(
        self,
        painter: QtGui.QPainter,
        rect: QtCore.QRectF,
        face: Face,
        selected: bool,
        hovered: bool,
    ) -> None:
        theme = self.theme
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        body = QtGui.QPainterPath()
        body.addRoundedRect(rect, RADIUS, RADIUS)
        fill = theme.error_fill if face.status is Status.ERROR else theme.node
        painter.fillPath(body, _colour(theme.hover if hovered and not selected else fill))
        painter.save()
        painter.setClipPath(body)
        band = _colour(theme.category_colour(face.category))
        painter.fillRect(QtCore.QRectF(rect.left(), rect.top(), STRIPE, rect.height()), band)
        painter.restore()
        painter.setPen(self._outline(face, selected, hovered))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawPath(body)

        left = rect.left() + STRIPE + PAD - 2
        right = rect.right() - PAD
        top = rect.top() + 6
        icon = QtCore.QRectF(left, top, ICON, ICON)
        chip = QtGui.QPainterPath()
        chip.addRoundedRect(icon, 4, 4)
        painter.fillPath(chip, band)
        self._paint_icon(painter, icon.adjusted(2, 2, -2, -2), face.category)

        text = _colour(theme.text)
        muted = _colour(theme.muted)
        title_left = icon.right() + 6
        title_width = self._metrics["title"].horizontalAdvance(face.title)
        room_for_id = right - title_left - title_width - 8
        if face.status is Status.ERROR:
            room_for_id -= BADGE / 2
        self._text(
            painter,
            "title",
            text,
            QtCore.QRectF(title_left, top, title_width + 1, ICON),
            face.title,
        )
        if room_for_id > 12:
            self._fitted_text(
                painter,
                muted,
                QtCore.QRectF(right - room_for_id, top, room_for_id, ICON),
                face.node_id,
            )
        if face.params:
            params = QtCore.QRectF(left, top + ICON + 3, right - left, PARAMS_PX + 5)
            self._text(painter, "params", text, params, face.params)
        shape_box = QtCore.QRectF(left, rect.bottom() - SHAPE_PX - 11, right - left, SHAPE_PX + 6)
        shape_colour = text if face.status is Status.OK else _colour(theme.unknown)
        count_width = self._metrics["small"].horizontalAdvance(face.param_count) + 2
        self._text(
            painter,
            "shape",
            shape_colour,
            shape_box.adjusted(0, 0, -count_width - 6, 0),
            face.shape,
        )
        if face.param_count:
            self._text(
                painter,
                "small",
                muted,
                shape_box,
                face.param_count,
                QtCore.Qt.AlignmentFlag.AlignRight,
            )
        if face.status is Status.ERROR:
            self._paint_badge(painter, self.badge_rect(rect))

    def badge_rect(self, rect: QtCore.QRectF) -> QtCore.QRectF:
        """Where the error badge sits (top-right corner), for hit tests and tooltips."""
        return QtCore.QRectF(rect.right() - BADGE * 0.75, rect.top() - BADGE * 0.25, BADGE, BADGE)

    def _paint_badge(self, painter: QtGui.QPainter, badge: QtCore.QRectF) -> None:
        painter.setPen(QtGui.QPen(_colour(self.theme.node), 1.5))
        painter.setBrush(_colour(self.theme.error))
        painter.drawEllipse(badge)
        self._text(
            painter,
            "badge",
            QtGui.QColor("#ffffff"),
            badge,
            "!",
            QtCore.Qt.AlignmentFlag.AlignCenter,
        )

    def _text(
        self,
        painter: QtGui.QPainter,
        font: str,
        colour: QtGui.QColor,
        box: QtCore.QRectF,
        text: str,
        align: QtCore.Qt.AlignmentFlag = QtCore.Qt.AlignmentFlag.AlignLeft,
    ) -> None:
        """One line of text in ``box``, elided with … when it does not fit."""
        shown = self._metrics[font].elidedText(
            text, QtCore.Qt.TextElideMode.ElideRight, box.width()
        )
        painter.setFont(self._fonts[font])
        painter.setPen(colour)
        painter.drawText(box, align | QtCore.Qt.AlignmentFlag.AlignVCenter, shown)

    def _fitted_text(
        self, painter: QtGui.QPainter, colour: QtGui.QColor, box: QtCore.QRectF, text: str
    ) -> None:
        """Right-aligned small text that shrinks (to ``MIN_PX``) before it elides: a long
        node id stays whole, so pictures and screen readers get every id."""
        pixels = SMALL_PX
        while pixels > MIN_PX and self._small(pixels)[1].horizontalAdvance(text) > box.width():
            pixels -= 1
        font, metrics = self._small(pixels)
        shown = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, box.width())
        painter.setFont(font)
        painter.setPen(colour)
        align = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        painter.drawText(box, align, shown)

    def _small(self, pixels: int) -> tuple[QtGui.QFont, QtGui.QFontMetricsF]:
        cached = self._small_fonts.get(pixels)
        if cached is None:
            font = self._font(pixels)
            cached = self._small_fonts[pixels] = (font, QtGui.QFontMetricsF(font))
        return cached

    def _paint_icon(self, painter: QtGui.QPainter, box: QtCore.QRectF, category: str) -> None:
        renderer = self._svg.get(category)
        if renderer is None:
            renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(resources.icon_svg(category)))
            self._svg[category] = renderer
        engine = painter.paintEngine()
        if engine is not None and engine.type() in (
            QtGui.QPaintEngine.Type.SVG,
            QtGui.QPaintEngine.Type.Pdf,
        ):
            renderer.render(painter, box)  # stay vector in vector output
            return
        scale = math.hypot(painter.worldTransform().m11(), painter.worldTransform().m12())
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        pixels = max(8, math.ceil(box.width() * scale * ratio))
        key = (category, pixels)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            image = QtGui.QImage(pixels, pixels, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(QtCore.Qt.GlobalColor.transparent)
            with _Painting(image) as icon_painter:
                renderer.render(icon_painter)
            pixmap = QtGui.QPixmap.fromImage(image)
            self._pixmaps[key] = pixmap
        painter.drawPixmap(box, pixmap, QtCore.QRectF(pixmap.rect()))

    # ---- wires ------------------------------------------------------------------
    def wire_path(
        self, points: Sequence[tuple[float, float]], lod: float = 1.0
    ) -> QtGui.QPainterPath:
        """A wire's route (``graph_io.layout``) as a path, with rounded bends."""
        path = QtGui.QPainterPath(QtCore.QPointF(*points[0]))
        if lod < LOD_DETAIL or len(points) < 3:
            for point in points[1:]:
                path.lineTo(*point)
            return path
        for before, corner, after in zip(points, points[1:], points[2:], strict=False):
            radius = min(BEND, _distance(before, corner) / 2, _distance(corner, after) / 2)
            path.lineTo(*_towards(corner, before, radius))
            path.quadTo(QtCore.QPointF(*corner), QtCore.QPointF(*_towards(corner, after, radius)))
        path.lineTo(*points[-1])
        return path

    def paint_wire(
        self,
        painter: QtGui.QPainter,
        points: Sequence[tuple[float, float]],
        *,
        highlighted: bool = False,
        lod: float = 1.0,
    ) -> None:
        """Draw a wire along ``points`` with an arrow head at the input it feeds."""
        if len(points) < 2:
            return
        theme = self.theme
        colour = _colour(theme.accent if highlighted else theme.wire)
        painter.save()
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, lod >= LOD_DETAIL)
            pen = QtGui.QPen(colour, WIRE_WIDTH * (1.6 if highlighted else 1.0))
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
            if lod < LOD_TEXT:
                pen.setCosmetic(True)
                pen.setWidthF(1.0)
            painter.setPen(pen)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPath(self.wire_path(points, lod))
            if lod >= LOD_DETAIL:
                self._paint_arrow(painter, points[-2], points[-1], colour)
        finally:
            painter.restore()

    def _paint_arrow(
        self,
        painter: QtGui.QPainter,
        before: tuple[float, float],
        tip: tuple[float, float],
        colour: QtGui.QColor,
    ) -> None:
        length = _distance(before, tip)
        if length == 0:
            return
        ux, uy = (tip[0] - before[0]) / length, (tip[1] - before[1]) / length
        back = (tip[0] - ux * ARROW, tip[1] - uy * ARROW)
        side = (-uy * ARROW * 0.55, ux * ARROW * 0.55)
        head = QtGui.QPolygonF(
            [
                QtCore.QPointF(*tip),
                QtCore.QPointF(back[0] + side[0], back[1] + side[1]),
                QtCore.QPointF(back[0] - side[0], back[1] - side[1]),
            ]
        )
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(head)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def _towards(
    start: tuple[float, float], end: tuple[float, float], step: float
) -> tuple[float, float]:
    length = _distance(start, end) or 1.0
    return (
        start[0] + (end[0] - start[0]) * step / length,
        start[1] + (end[1] - start[1]) * step / length,
    )


class _Painting:
    """``with _Painting(device) as painter``: a QPainter that always ends."""

    def __init__(self, device: QtGui.QPaintDevice) -> None:
        self.painter = QtGui.QPainter(device)

    def __enter__(self) -> QtGui.QPainter:
        return self.painter

    def __exit__(self, *_exc: object) -> None:
        self.painter.end()
