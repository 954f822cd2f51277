"""File → Export Image…: the whole graph as SVG or PNG, as a user picks it from the menu."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui, QtWidgets

from app.gui.main_window import MainWindow
from app.gui.render import placed_layout
from graph_io.yaml_io import load_graph
from resources.themes import DARK, ThemeChoice
from tests.cli_helpers import snapshot, unwritable
from tests.conftest import editor_window

ROOT = Path(__file__).resolve().parents[1]
RESNET = ROOT / "examples" / "resnet_mini.yaml"
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    win: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    return win


def answer_save_dialog(
    monkeypatch: pytest.MonkeyPatch, name: Path, chosen: str
) -> list[tuple[Any, ...]]:
    """Make the save dialog answer ``name`` with the file type ``chosen``; returns the
    arguments it was opened with."""
    asked: list[tuple[Any, ...]] = []

    def dialog(*args: Any, **_kwargs: Any) -> tuple[str, str]:
        asked.append(args)
        return str(name), chosen

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", dialog)
    return asked


def menu_action(window: MainWindow, *path: str) -> QtGui.QAction:
    """The menu item at ``path`` ("&File", "Export &Image…"), as a user would find it."""
    actions = window.menuBar().actions()
    for text in path[:-1]:
        actions = next(a.menu() for a in actions if a.text() == text).actions()
    return next(a for a in actions if a.text() == path[-1])


def export_from_menu(window: MainWindow) -> None:
    menu_action(window, "&File", "Export &Image…").trigger()


def test_export_image_writes_every_node_of_the_graph_as_svg(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window.open_file(RESNET, ask=False)
    window.canvas.select(["input"])  # zoomed in: most of the graph is out of view
    window.viewer.scale(4.0, 4.0)
    asked = answer_save_dialog(monkeypatch, tmp_path / "net", "SVG picture (*.svg)")
    export_from_menu(window)
    assert Path(asked[0][2]).parent == RESNET.parent  # opens beside the open file
    svg = (tmp_path / "net.svg").read_text(encoding="utf-8")  # the chosen type's suffix
    graph = load_graph(RESNET)
    for node_id, node in graph.nodes.items():
        assert f">{node_id}</text>" in svg  # drawn on its node
        assert f"{node_id}: {node.type}," in svg  # and listed in the description for tools
    assert QtGui.QColor(window.themes.theme.canvas).name() in svg.lower()  # the theme in use
    assert window.statusBar().currentMessage().startswith(f"exported {tmp_path / 'net.svg'}")


def test_export_image_uses_the_theme_in_use_and_writes_png(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window.open_file(RESNET, ask=False)
    window.themes.set_choice(ThemeChoice.DARK)
    answer_save_dialog(monkeypatch, tmp_path / "net.png", "SVG picture (*.svg)")
    export_from_menu(window)
    image = QtGui.QImage(str(tmp_path / "net.png"))  # a typed suffix wins over the type
    assert not image.isNull()
    left, top, right, bottom = placed_layout(window.graph, window.canvas.direction).bounds()
    assert image.width() >= right - left  # all of it, not the part in view
    assert image.height() >= bottom - top
    assert image.pixelColor(2, 2).name() == QtGui.QColor(DARK.canvas).name()


def test_a_failed_export_leaves_the_old_picture_and_says_why(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window.open_file(RESNET, ask=False)
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "net.svg").write_text("<svg>old picture</svg>", encoding="utf-8")
    before = snapshot(folder)
    answer_save_dialog(monkeypatch, folder / "net.svg", "SVG picture (*.svg)")
    with unwritable(folder):
        export_from_menu(window)
    assert snapshot(folder) == before
    message = window.statusBar().currentMessage()
    assert message.startswith(f"cannot export the image to {folder / 'net.svg'}: ")


def test_export_image_follows_the_layout_direction(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window.open_file(RESNET, ask=False)
    answer_save_dialog(monkeypatch, tmp_path / "down.png", "PNG image (*.png)")
    export_from_menu(window)
    menu_action(window, "&View", "Layout &Direction", "&Left to Right").trigger()
    answer_save_dialog(monkeypatch, tmp_path / "across.png", "PNG image (*.png)")
    export_from_menu(window)
    down = QtGui.QImage(str(tmp_path / "down.png"))
    across = QtGui.QImage(str(tmp_path / "across.png"))
    assert down.height() > 2 * down.width()  # a deep network drawn top to bottom
    assert across.width() > 2 * across.height()  # and left to right
