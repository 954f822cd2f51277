"""What the canvas draws: readable faces, the layout on open, the overview far out,
the minimap, hover text — checked with real events in a shown window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.main_window import MainWindow
from app.gui.node_painter import SMALL_PX
from graph_io import Graph
from graph_io.layout import Direction
from graph_io.yaml_io import dumps_graph, load_graph, save_graph
from tests.conftest import click, editor_window, hover_text, node_centre, press

ROOT = Path(__file__).resolve().parents[1]
RESNET = ROOT / "examples" / "resnet_mini.yaml"
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    win: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    return win


def residual(blocks: int) -> Graph:
    """A residual network of ``blocks`` blocks (7 nodes each), without positions."""
    graph = Graph("residual")
    graph.add_node("Input", "input", {"channels": 8, "height": 16, "width": 16})
    previous = "input"
    for block in range(blocks):
        b = f"b{block}_"
        conv = {"filters": 8, "padding": "Same", "activation": "None"}
        graph.add_node("Conv2D", b + "conv1", conv, [previous])
        graph.add_node("BatchNorm2D", b + "bn1", {}, [b + "conv1"])
        graph.add_node("Activation", b + "act1", {}, [b + "bn1"])
        graph.add_node("Conv2D", b + "conv2", conv, [b + "act1"])
        graph.add_node("BatchNorm2D", b + "bn2", {}, [b + "conv2"])
        graph.add_node("Add", b + "add", {}, [b + "bn2", previous])
        graph.add_node("Activation", b + "out", {}, [b + "add"])
        previous = b + "out"
    return graph


def wheel(window: MainWindow, at: QtCore.QPointF, notches: int) -> None:
    viewport = window.viewer.viewport()
    for _ in range(abs(notches)):
        event = QtGui.QWheelEvent(
            at,
            viewport.mapToGlobal(at),
            QtCore.QPoint(0, 0),
            QtCore.QPoint(0, 120 if notches > 0 else -120),
            QtCore.Qt.MouseButton.NoButton,
            QtCore.Qt.KeyboardModifier.NoModifier,
            QtCore.Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
    QtWidgets.QApplication.processEvents()


def test_a_branchy_model_opens_readable_around_its_input(window: MainWindow) -> None:
    window.open_file(RESNET, ask=False)
    scale = window.viewer.transform().m11()
    assert SMALL_PX * scale >= 10 - 1e-6  # the smallest text on a face is 10 px on screen
    seen = window.viewer.mapToScene(window.viewer.viewport().rect()).boundingRect()
    assert seen.contains(window.canvas.node("input").view.sceneBoundingRect())
    face = window.canvas.face("stem")
    assert face is not None
    assert face.caption == "Conv2D 16 · 3×3 · Same"
    assert face.shape == "16×28×28"
    assert face.param_count == "144 params"
    assert window.minimap.isVisible()  # the rest of the graph is below: the overview shows


def test_hovering_a_node_shows_what_it_computes(window: MainWindow) -> None:
    window.open_file(RESNET, ask=False)
    text = hover_text(window, node_centre(window, "stem"))
    assert text.startswith("Conv2D 'stem': output 16×28×28")


def test_a_file_without_positions_opens_laid_out_top_to_bottom(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "bare.yaml"
    graph = load_graph(RESNET)
    for node in graph.nodes.values():
        node.pos = None
    save_graph(graph, path)
    assert "pos:" not in path.read_text()
    window.open_file(path, ask=False)
    positions = {n.id: n.pos for n in window.graph.nodes.values()}
    assert None not in positions.values()
    assert len(set(positions.values())) == len(positions)
    for node in window.graph.nodes.values():
        for source in node.inputs:
            assert positions[source][1] < positions[node.id][1]  # type: ignore[index]
    for node_id, pos in positions.items():
        assert tuple(window.canvas.node(node_id).view.xy_pos) == pos
    assert not window.dirty  # drawing a file does not edit it


def test_left_to_right_turns_the_flow_and_undoes_in_one_step(window: MainWindow) -> None:
    window.open_file(RESNET, ask=False)
    before = dumps_graph(window.graph)
    view = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    assert isinstance(view, QtWidgets.QMenu)
    directions = next(a for a in view.actions() if a.text() == "Layout &Direction").menu()
    assert isinstance(directions, QtWidgets.QMenu)
    next(a for a in directions.actions() if a.text() == "&Left to Right").trigger()
    QtWidgets.QApplication.processEvents()
    assert window.canvas.direction is Direction.LR
    for node in window.graph.nodes.values():
        for source in node.inputs:
            assert window.graph.nodes[source].pos[0] < node.pos[0]  # type: ignore[index]
    press(window, "Ctrl+Z")
    assert dumps_graph(window.graph) == before


def test_far_out_the_canvas_draws_an_overview_and_zooming_in_brings_nodes_back(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "big.yaml"
    save_graph(residual(60), path)  # 421 nodes
    window.open_file(path, ask=False)
    assert not window.canvas.overview_shown
    press(window, "F")  # the whole graph: far below the overview zoom
    assert window.canvas.overview_shown
    assert not window.canvas.node("b30_add").view.isVisible()
    image = window.viewer.viewport().grab().toImage()
    conv = QtGui.QColor(window.themes.theme.category_colour("Convolution"))
    coloured = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
        if image.pixelColor(x, y).rgb() == conv.rgb()
    )
    assert coloured > 20  # the convolutions are drawn, in their category's colour
    centre = QtCore.QPointF(window.viewer.viewport().rect().center())
    wheel(window, centre, 40)
    assert not window.canvas.overview_shown
    assert window.canvas.node("b30_add").view.isVisible()


def test_clicking_the_minimap_moves_the_view_there(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    save_graph(residual(30), path)
    window.open_file(path, ask=False)
    minimap = window.minimap
    assert minimap.isVisible()
    last = window.canvas.node("b29_out").view.sceneBoundingRect()
    seen = window.viewer.mapToScene(window.viewer.viewport().rect()).boundingRect()
    assert not seen.intersects(last)
    bottom = QtCore.QPointF(minimap.width() / 2, minimap.height() - 8)
    click(minimap, bottom)
    seen = window.viewer.mapToScene(window.viewer.viewport().rect()).boundingRect()
    assert seen.intersects(last)  # the end of the graph is in view now
    assert window.viewer.transform().m11() == pytest.approx(1.0, abs=0.05)  # same zoom


def test_switching_to_the_dark_theme_redraws_the_nodes(window: MainWindow) -> None:
    from resources.themes import ThemeChoice

    window.open_file(RESNET, ask=False)

    def body_colour() -> QtGui.QColor:
        window.viewer.viewport().repaint()
        image = window.viewer.viewport().grab().toImage()
        rect = window.viewer.mapFromScene(
            window.canvas.node("input").view.sceneBoundingRect()
        ).boundingRect()
        ratio = image.devicePixelRatio()
        x, y = rect.left() + rect.width() * 0.75, rect.top() + rect.height() * 0.6
        return image.pixelColor(int(x * ratio), int(y * ratio))

    window.themes.set_choice(ThemeChoice.LIGHT)
    assert body_colour().rgb() == QtGui.QColor(window.themes.theme.node).rgb()
    window.themes.set_choice(ThemeChoice.DARK)
    assert window.themes.theme.dark
    assert body_colour().rgb() == QtGui.QColor(window.themes.theme.node).rgb()


def test_training_curves_follow_the_theme(window: MainWindow) -> None:
    from resources.themes import ThemeChoice

    window.training_dock.show()
    window.training_dock.raise_()
    loss, _accuracy = window.training.curves.plots
    for choice in (ThemeChoice.DARK, ThemeChoice.LIGHT):
        window.themes.set_choice(choice)
        QtWidgets.QApplication.processEvents()
        loss.repaint()
        image = loss.grab().toImage()
        corner = image.pixelColor(image.width() - 6, 6)  # plot background, not a curve
        assert corner.rgb() == QtGui.QColor(window.themes.theme.base).rgb(), choice


def test_a_dock_opening_or_a_window_resize_keeps_the_zoom_and_the_centre(
    window: MainWindow,
) -> None:
    """The Results dock appears after a run and takes room from the canvas: the graph
    stays at its readable zoom around the same point (NodeGraphQt shrank the picture
    with the view)."""
    window.open_file(RESNET, ask=False)
    QtWidgets.QApplication.processEvents()
    viewer = window.viewer
    zoom = viewer.scale_factor()
    centre = viewer.mapToScene(viewer.viewport().rect().center())
    before = viewer.viewport().size()
    window.results_dock.show()
    window.results_dock.raise_()
    window.resize(1200, 800)
    QtWidgets.QApplication.processEvents()
    assert viewer.viewport().size() != before
    assert viewer.scale_factor() == pytest.approx(zoom, rel=1e-3)
    after = viewer.mapToScene(viewer.viewport().rect().center())
    assert abs(after.x() - centre.x()) < 3
    assert abs(after.y() - centre.y()) < 3


def test_the_layer_search_over_the_canvas_wears_the_window_theme(window: MainWindow) -> None:
    """NodeGraphQt styled every widget inside the canvas dark: the search box came out
    black in the light theme. It is in the theme's colours, and as tall as its matches."""
    from PySide6.QtTest import QTest

    from resources.themes import LIGHT, ThemeChoice

    window.themes.set_choice(ThemeChoice.LIGHT)
    window.open_file(RESNET, ask=False)
    press(window, "Tab")
    search = window.search
    assert search.isVisible()
    QTest.keyClicks(search.field, "pool")
    QtWidgets.QApplication.processEvents()
    picture = search.list.viewport().grab().toImage()
    corner = picture.pixelColor(picture.width() - 3, picture.height() - 3)
    assert corner.name() == QtGui.QColor(LIGHT.base).name()
    assert len(search.visible_types()) == 5
    assert search.list.height() < 150  # five rows, no tall empty box


def test_number_boxes_show_their_arrows_in_the_theme(window: MainWindow) -> None:
    """The style sheet styles spin boxes, which made Qt draw broken stubs where the
    up/down arrows go; the theme's chevrons are there, in its muted colour."""
    from resources.themes import DARK, LIGHT, ThemeChoice

    window.open_file(RESNET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "stem"))
    box = window.params.editors["filters"]
    for choice, chosen in ((ThemeChoice.LIGHT, LIGHT), (ThemeChoice.DARK, DARK)):
        window.themes.set_choice(choice)
        QtWidgets.QApplication.processEvents()
        picture = box.grab().toImage()
        muted = QtGui.QColor(chosen.muted)
        arrows = [
            picture.pixelColor(x, y)
            for x in range(picture.width() - 16, picture.width())
            for y in range(picture.height())
        ]
        assert any(
            max(
                abs(c.red() - muted.red()),
                abs(c.green() - muted.green()),
                abs(c.blue() - muted.blue()),
            )
            < 40
            for c in arrows
        ), chosen.name


def test_a_new_graph_says_how_to_start_until_it_has_layers(window: MainWindow) -> None:
    """File → New shows the Input in the middle at its natural size, with a line at the
    bottom of the canvas saying how to add and wire layers; it goes once there are two."""
    from tests.conftest import drop_from_palette

    window.new_graph()
    viewport = window.viewer.viewport()
    QtWidgets.QApplication.processEvents()
    assert window.viewer.scale_factor() == pytest.approx(1.0, rel=1e-3)
    node = window.canvas.node("input").view.sceneBoundingRect()
    middle = window.viewer.mapToScene(viewport.rect().center())
    assert node.contains(middle) or node.center().y() == pytest.approx(middle.y(), abs=60)

    def hint_pixels() -> int:
        picture = viewport.grab().toImage()
        muted = QtGui.QColor(window.themes.theme.muted)
        band = range(picture.height() - 40, picture.height() - 20)
        return sum(
            1
            for y in band
            for x in range(0, picture.width(), 2)
            if picture.pixelColor(x, y).name() == muted.name()
        )

    assert hint_pixels() > 20
    drop_from_palette(window, "Conv2D", QtCore.QPointF(viewport.width() / 2, 80))
    QtWidgets.QApplication.processEvents()
    assert hint_pixels() == 0
