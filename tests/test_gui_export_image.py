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
from resources.themes import DARK, LIGHT, ThemeChoice
from tests.cli_helpers import snapshot, unwritable

ROOT = Path(__file__).resolve().parents[1]
RESNET = ROOT / "examples" / "resnet_mini.yaml"
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
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


def export_from_menu(window: MainWindow) -> None:
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file_menu.actions() if a.text() == "Export &Image…")
    action.trigger()


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
    assert QtGui.QColor(LIGHT.canvas).name() in svg.lower()
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
