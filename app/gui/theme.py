"""Applying a theme to the whole application: palette, style sheet, icons.

``ThemeSwitcher`` owns the choice (System, Light, Dark), remembers it in QSettings,
follows the desktop's colour scheme while the choice is System
(``QStyleHints.colorScheme``), and emits ``changed`` with the new ``Theme`` so the
canvas can repaint its nodes (``NodePainter.set_theme``) and its background. The
colours themselves live in ``resources.themes`` (Qt-free).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

import resources
from resources.themes import DARK, LIGHT, Theme, ThemeChoice

SETTINGS_KEY = "view/theme"
_ROLE = QtGui.QPalette.ColorRole


def system_theme() -> Theme:
    """Dark when the desktop says so, light otherwise (also when it does not say)."""
    hints = QtGui.QGuiApplication.styleHints()
    return DARK if hints.colorScheme() == QtCore.Qt.ColorScheme.Dark else LIGHT


def resolve(choice: ThemeChoice) -> Theme:
    if choice is ThemeChoice.SYSTEM:
        return system_theme()
    return DARK if choice is ThemeChoice.DARK else LIGHT


def palette(theme: Theme) -> QtGui.QPalette:
    """A QPalette in the theme's colours, for widgets the style sheet does not cover."""
    colours = {
        _ROLE.Window: theme.window,
        _ROLE.WindowText: theme.text,
        _ROLE.Base: theme.base,
        _ROLE.AlternateBase: theme.alt_base,
        _ROLE.Text: theme.text,
        _ROLE.PlaceholderText: theme.muted,
        _ROLE.Button: theme.base,
        _ROLE.ButtonText: theme.text,
        _ROLE.Highlight: theme.accent,
        _ROLE.HighlightedText: theme.accent_text,
        _ROLE.ToolTipBase: theme.base,
        _ROLE.ToolTipText: theme.text,
        _ROLE.Link: theme.accent,
        _ROLE.Mid: theme.border,
    }
    result = QtGui.QPalette()
    for role, colour in colours.items():
        result.setColor(role, QtGui.QColor(colour))
    for role in (_ROLE.Text, _ROLE.WindowText, _ROLE.ButtonText):
        result.setColor(QtGui.QPalette.ColorGroup.Disabled, role, QtGui.QColor(theme.muted))
    return result


def apply_theme(app: QtWidgets.QApplication, theme: Theme) -> None:
    """Give every widget the theme: Fusion style, the palette and the style sheet."""
    app.setStyle("Fusion")  # native styles ignore parts of the palette
    app.setPalette(palette(theme))
    app.setStyleSheet(theme.stylesheet())


def svg_icon(svg: bytes, size: int = 64, background: str | None = None) -> QtGui.QIcon:
    """An icon drawn from SVG bytes, optionally on a rounded square of ``background``."""
    renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(svg))
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        box = QtCore.QRectF(0, 0, size, size)
        if background is not None:
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(QtGui.QColor(background))
            painter.drawRoundedRect(box, size / 5, size / 5)
            box = box.adjusted(size / 8, size / 8, -size / 8, -size / 8)
        renderer.render(painter, box)
    finally:
        painter.end()
    return QtGui.QIcon(QtGui.QPixmap.fromImage(image))


def app_icon() -> QtGui.QIcon:
    """The application icon (window, task bar)."""
    return svg_icon(resources.app_icon_svg(), 128)


def category_icon(category: str, theme: Theme, size: int = 32) -> QtGui.QIcon:
    """A layer category's icon on its colour, as on the node faces (palette, search)."""
    return svg_icon(resources.icon_svg(category), size, theme.category_colour(category))


class ThemeSwitcher(QtCore.QObject):
    """The View → Theme choice: applies it, remembers it and follows the system."""

    changed = QtCore.Signal(object)  # the Theme now in use

    def __init__(
        self,
        app: QtWidgets.QApplication,
        settings: QtCore.QSettings | None = None,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._settings = settings
        stored = settings.value(SETTINGS_KEY, ThemeChoice.SYSTEM.value) if settings else None
        try:
            self.choice = ThemeChoice(str(stored))
        except ValueError:
            self.choice = ThemeChoice.SYSTEM
        self.theme = resolve(self.choice)
        self._actions: dict[ThemeChoice, QtGui.QAction] = {}
        QtGui.QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)
        apply_theme(app, self.theme)

    def set_choice(self, choice: ThemeChoice) -> None:
        """Use ``choice`` now and at the next start."""
        self.choice = choice
        if self._settings is not None:
            self._settings.setValue(SETTINGS_KEY, choice.value)
        if choice in self._actions:
            self._actions[choice].setChecked(True)
        self._apply(resolve(choice))

    def add_menu(self, menu: QtWidgets.QMenu) -> QtGui.QActionGroup:
        """Fill ``menu`` (e.g. View → Theme) with System / Light / Dark radio items."""
        group = QtGui.QActionGroup(menu)
        group.setExclusive(True)
        for choice, text in (
            (ThemeChoice.SYSTEM, "&System"),
            (ThemeChoice.LIGHT, "&Light"),
            (ThemeChoice.DARK, "&Dark"),
        ):
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(choice is self.choice)
            action.triggered.connect(lambda _checked=False, c=choice: self.set_choice(c))
            group.addAction(action)
            self._actions[choice] = action
        return group

    def _system_changed(self, _scheme: QtCore.Qt.ColorScheme) -> None:
        if self.choice is ThemeChoice.SYSTEM:
            self._apply(system_theme())

    def _apply(self, theme: Theme) -> None:
        if theme is self.theme:
            return
        self.theme = theme
        apply_theme(self._app, theme)
        self.changed.emit(theme)
