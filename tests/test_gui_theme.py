"""View → Theme: applying, remembering and following the system's colour scheme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.theme import ThemeSwitcher, app_icon, category_icon, resolve, system_theme
from resources.themes import DARK, LIGHT, Theme, ThemeChoice

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def restored_look(qapp: QtWidgets.QApplication) -> Iterator[None]:
    """Leave the application as other GUI tests expect it."""
    sheet, palette, style = qapp.styleSheet(), qapp.palette(), qapp.style().name()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def settings(tmp_path: Path) -> QtCore.QSettings:
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


def test_menu_switches_the_whole_application_and_is_remembered(
    qapp: QtWidgets.QApplication, settings: QtCore.QSettings
) -> None:
    switcher = ThemeSwitcher(qapp, settings)
    seen: list[Theme] = []
    switcher.changed.connect(seen.append)
    menu = QtWidgets.QMenu()
    switcher.add_menu(menu)
    actions = {a.text().replace("&", ""): a for a in menu.actions()}
    assert list(actions) == ["System", "Light", "Dark"]
    assert actions["System"].isChecked()
    assert switcher.theme is system_theme()
    actions["Dark"].trigger()
    assert switcher.theme is DARK
    assert qapp.palette().color(QtGui.QPalette.ColorRole.Window) == QtGui.QColor(DARK.window)
    assert DARK.canvas in qapp.styleSheet()
    actions["Light"].trigger()
    assert seen[-1] is LIGHT
    assert actions["Light"].isChecked()
    assert not actions["Dark"].isChecked()
    assert ThemeSwitcher(qapp, settings).choice is ThemeChoice.LIGHT  # the next start


def test_system_choice_follows_the_desktop(
    qapp: QtWidgets.QApplication, settings: QtCore.QSettings
) -> None:
    settings.setValue("view/theme", "nonsense")  # a damaged setting falls back to System
    switcher = ThemeSwitcher(qapp, settings)
    assert switcher.choice is ThemeChoice.SYSTEM
    assert resolve(ThemeChoice.DARK) is DARK
    switcher.set_choice(ThemeChoice.LIGHT)
    switcher._system_changed(QtCore.Qt.ColorScheme.Dark)  # ignored: the user chose Light
    assert switcher.theme is LIGHT


def test_icons_render(qapp: QtWidgets.QApplication) -> None:
    assert not app_icon().isNull()
    icon = category_icon("Convolution", LIGHT).pixmap(32, 32).toImage()
    assert icon.pixelColor(16, 2) == QtGui.QColor(LIGHT.category_colour("Convolution"))
