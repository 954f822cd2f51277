"""Comparing experiments in the editor: run curves overlaid, Compare With…, two runs side by side.

Everything starts from real runs trained by the engine on the bundled digits data and
is driven by mouse clicks and key presses on the window a person sees.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from app.gui.compare import Mark, mark_color
from app.gui.compare_overlay import Badge, GhostItem, Ring
from app.gui.main_window import MainWindow
from app.gui.run_compare_dialog import RunCompareDialog
from app.training.engine import train
from app.training.run_folder import read_metrics, read_run
from graph_io import Graph
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import save_graph
from tests.conftest import click, drag, editor_window, node_centre, press

pytestmark = pytest.mark.gui
CONFIG = TrainingConfig(epochs=2, batch_size=128, lr=0.01, seed=1, device="cpu")
Modifier = QtCore.Qt.KeyboardModifier


def net(filters: int, kernel: int = 3) -> Graph:
    graph = Graph("digits_small")
    graph.add_node("Input", "x", {"channels": 1, "height": 8, "width": 8}, pos=(0, 0))
    graph.add_node(
        "Conv2D", "c1", {"filters": filters, "kernel": kernel, "padding": "Same"}, ["x"],
        pos=(250, 0),
    )  # fmt: skip
    graph.add_node("Activation", "act", {"function": "ReLU"}, ["c1"], pos=(500, 0))
    graph.add_node("MaxPool2D", "p1", {}, ["act"], pos=(750, 0))
    graph.add_node("Flatten", "flat", {}, ["p1"], pos=(1000, 0))
    graph.add_node("Dense", "out", {"units": 10}, ["flat"], pos=(1250, 0))
    return graph


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two finished runs of one graph: 4 filters at lr 0.01, 8 filters at lr 0.02."""
    root = tmp_path_factory.mktemp("kept")
    train(net(4), CONFIG, out_dir=root / "digits_small-a")
    train(net(8), CONFIG.model_copy(update={"lr": 0.02}), out_dir=root / "digits_small-b")
    return root


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kept: Path) -> MainWindow:
    runs = tmp_path / "runs"
    shutil.copytree(kept, runs)
    monkeypatch.setenv("CONVAS_RUNS_DIR", str(runs))
    win: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    win.open_file(runs / "digits_small-a" / "graph.yaml", ask=False)
    yield win
    win.training.shutdown()


def click_run(window: MainWindow, name: str, modifiers: Any = Modifier.NoModifier) -> None:
    """Click a run's row in the Runs dock (Ctrl adds it to the selection or takes it out)."""
    window.runs_dock.raise_()
    QtWidgets.QApplication.processEvents()
    table = window.runs.table
    item = next(
        table.topLevelItem(i)
        for i in range(table.topLevelItemCount())
        if table.topLevelItem(i).text(0) == name  # type: ignore[union-attr]
    )
    rect = table.visualItemRect(item)
    assert rect.isValid(), f"{name} is not on screen"
    QTest.mouseClick(table.viewport(), QtCore.Qt.MouseButton.LeftButton, modifiers, rect.center())
    QtWidgets.QApplication.processEvents()


def legend_names(plot: Any) -> list[str]:
    return [label.text for _sample, label in plot.getPlotItem().legend.items]


def test_selected_runs_overlay_their_curves_in_the_training_plots(
    window: MainWindow, qtbot: Any
) -> None:
    runs_dir = Path(window.runs.root)
    assert window.runs.table.topLevelItemCount() == 2  # this graph's runs
    curves = window.training.curves
    loss, accuracy = curves.plots
    live = set(loss.listDataItems()) | set(accuracy.listDataItems())

    click_run(window, "digits_small-a")
    click_run(window, "digits_small-b", Modifier.ControlModifier)
    assert [r.name for r in window.runs.selected_runs()] == ["digits_small-b", "digits_small-a"]
    assert window.training.pages.currentWidget() is curves
    assert curves.isVisible()  # the Training dock came forward with its curves

    assert window.run_curves.runs == ["digits_small-b", "digits_small-a"]
    for plot, train_field, val_field in (
        (loss, "train_loss", "val_loss"),
        (accuracy, "train_accuracy", "val_accuracy"),
    ):
        names = legend_names(plot)
        for run in ("digits_small-a", "digits_small-b"):
            assert f"{run} · train" in names
            assert f"{run} · validation" in names
        items = {item.name(): item for item in plot.listDataItems() if item not in live}
        assert len(items) == 4
        for run in ("digits_small-a", "digits_small-b"):
            rows = read_metrics(runs_dir / run)
            xs, ys = items[f"{run} · train"].getData()
            assert list(xs) == [1.0, 2.0]
            assert list(ys) == pytest.approx([row[train_field] for row in rows])
            xs, ys = items[f"{run} · validation"].getData()
            assert list(ys) == pytest.approx([row[val_field] for row in rows])
        colors = {
            run: items[f"{run} · train"].opts["pen"].color().name()
            for run in ("digits_small-a", "digits_small-b")
        }
        assert len(set(colors.values())) == 2  # each run its own colour
        live_colors = {item.opts["pen"].color().name() for item in live}
        assert not live_colors & set(colors.values())

    # Ctrl-click takes a run out: its curves and legend entries go, the other's stay.
    click_run(window, "digits_small-a", Modifier.ControlModifier)
    assert window.run_curves.runs == ["digits_small-b"]
    names = legend_names(loss)
    assert "digits_small-b · train" in names
    assert not any(name.startswith("digits_small-a") for name in names)
    assert len([i for i in loss.listDataItems() if i not in live]) == 2

    # A live run trains with the kept run still drawn beside it.
    window.training.form.set_value("epochs", 1)
    with qtbot.waitSignal(
        window.training.running_changed, timeout=60_000, check_params_cb=lambda on: not on
    ):
        window.training.start_button.click()
    assert window.training.curves.points("val_loss") == 1
    assert live <= set(loss.listDataItems()) | set(accuracy.listDataItems())
    assert len(curves.lines["val_acc"].getData()[0]) == 1  # the live run's own curve, drawn
    assert "digits_small-b · validation" in legend_names(loss)
    assert window.runs.table.topLevelItemCount() == 3  # the new run is kept and listed
    assert [r.name for r in window.runs.selected_runs()] == ["digits_small-b"]

    click_run(window, "digits_small-b", Modifier.ControlModifier)  # nothing selected
    assert window.run_curves.runs == []
    assert set(loss.listDataItems()) | set(accuracy.listDataItems()) == live
    assert legend_names(loss) == ["train", "validation"]


def variant(path: Path) -> Path:
    """The run's graph edited: c1's kernel 3→5, the activation gone, a dropout added."""
    graph = net(4, kernel=5)
    graph.remove_node("act")
    graph.nodes["p1"].inputs = ["c1"]
    graph.add_node("Dropout", "drop", {"rate": 0.2}, ["flat"], pos=(1100, 200))
    graph.nodes["out"].inputs = ["drop"]
    save_graph(graph, path)
    return path


def overlay_items(window: MainWindow) -> list[Any]:
    kinds = (Ring, Badge, GhostItem)
    return [item for item in window.viewer.scene().items() if isinstance(item, kinds)]


def ring_around(window: MainWindow, node_id: str) -> bool:
    ring = window.comparison.rings[node_id]
    node = window.canvas.node(node_id).view.sceneBoundingRect()
    outline = ring.path().boundingRect()
    return outline.contains(node) and outline.adjusted(10, 10, -10, -10).width() <= node.width()


def seen_colors(window: MainWindow, scene_rect: QtCore.QRectF) -> set[str]:
    """The colours the canvas shows on screen inside ``scene_rect``."""
    image = window.viewer.viewport().grab().toImage()
    area = window.viewer.mapFromScene(scene_rect).boundingRect()
    area = area.intersected(image.rect())
    return {
        image.pixelColor(x, y).name()
        for x in range(area.left(), area.right(), 1)
        for y in range(area.top(), area.bottom(), 2)
    }


def test_compare_with_marks_changed_added_and_ghosts_removed_nodes(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs_dir = Path(window.runs.root)
    window.open_file(variant(tmp_path / "variant.yaml"), ask=False)
    window.fit()
    assert window.runs.table.topLevelItemCount() == 2  # the same graph name: its runs

    # Runs dock: one run selected → Compare marks the open graph against its graph.
    click_run(window, "digits_small-a")
    assert window.runs.compare_button.isEnabled()
    QTest.mouseClick(window.runs.compare_button, QtCore.Qt.MouseButton.LeftButton)
    overlay = window.comparison
    assert overlay.active
    assert window.compare_label.isVisible()
    assert window.compare_label.text().startswith(
        "Comparing: 1 added, 1 removed, 3 changed from digits_small-a"
    )
    assert {k: b.text for k, b in overlay.badges.items()} == {
        "c1": "changed: kernel 3→5",
        "p1": "changed: inputs",
        "drop": "added",
        "out": "changed: inputs",
    }
    assert "kernel 3 -> 5" in overlay.badges["c1"].toolTip()
    assert overlay.rings["drop"].pen().color() == mark_color(Mark.ADDED)
    assert overlay.rings["c1"].pen().color() == mark_color(Mark.CHANGED)
    for node_id in ("c1", "p1", "drop"):
        assert ring_around(window, node_id)
        badge = overlay.badges[node_id].sceneBoundingRect()
        node = window.canvas.node(node_id).view.sceneBoundingRect()
        assert badge.bottom() < node.top()
        assert abs(badge.left() - node.left()) < 1
    (ghost,) = overlay.ghosts
    assert ghost.label == "act\nActivation"
    assert (ghost.pos().x(), ghost.pos().y()) == (500, 0)  # where the run's graph had it
    assert ghost.ghost.opacity < 1
    (link,) = overlay.links  # a dashed line from the input it had
    assert link[0] == "c1"
    assert link[2].pen().style() == QtCore.Qt.PenStyle.DashLine
    # What the user sees: the ring's colour around c1, the ghost's where act was.
    c1 = window.canvas.node("c1").view.sceneBoundingRect().adjusted(-8, -8, 8, 8)
    assert mark_color(Mark.CHANGED).name() in seen_colors(window, c1)
    assert mark_color(Mark.REMOVED).name() in seen_colors(window, ghost.sceneBoundingRect())

    # The marks follow a drag of the node, and its undo.
    viewport = window.viewer.viewport()
    start = node_centre(window, "c1")
    drag(viewport, start, QtCore.QPointF(start.x() + 60, start.y() + 120))
    qtbot.waitUntil(lambda: window.graph.nodes["c1"].pos != (250, 0), timeout=3000)
    moved = window.canvas.node("c1").view.sceneBoundingRect()
    qtbot.waitUntil(lambda: ring_around(window, "c1"), timeout=3000)
    press(window, "Ctrl+Z")
    assert window.graph.nodes["c1"].pos == (250, 0)
    qtbot.waitUntil(lambda: ring_around(window, "c1"), timeout=3000)
    assert window.canvas.node("c1").view.sceneBoundingRect() != moved

    # An edit compares again: deleting the added dropout takes its mark away.
    click(viewport, node_centre(window, "drop"))
    assert window.selection.ids == ("drop",)
    press(window, "Delete")
    assert "drop" not in window.graph.nodes
    assert set(overlay.badges) == {"c1", "p1", "out"}  # out lost its input
    assert overlay.badges["out"].text == "changed: inputs"
    assert window.compare_label.text().startswith("Comparing: 0 added, 1 removed")
    press(window, "Ctrl+Z")
    assert set(overlay.badges) == {"c1", "p1", "drop", "out"}

    # View → Clear Comparison removes everything it drew.
    actions = {a.text(): a for a in window.menuBar().actions()}
    view = {a.text(): a for a in actions["&View"].menu().actions()}
    assert view["C&lear Comparison"].isEnabled()
    view["C&lear Comparison"].trigger()
    assert not overlay.active
    assert not overlay_items(window)
    assert not window.compare_label.isVisible()
    assert not view["C&lear Comparison"].isEnabled()

    # View → Compare With… a YAML file; then File → New takes the overlay away.
    reference = tmp_path / "reference.yaml"
    shutil.copy(runs_dir / "digits_small-b" / "graph.yaml", reference)
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(reference), "")
    )
    view["&Compare With…"].trigger()
    assert overlay.badges["c1"].text == "changed: filters 8→4 +1"
    assert overlay_items(window)
    window.new_graph()
    assert not overlay.active
    assert not overlay_items(window)
    assert not window.compare_label.isVisible()


def test_ghosts_without_a_position_stand_beside_the_graph(
    window: MainWindow, tmp_path: Path
) -> None:
    reference = net(4)
    reference.add_node("Dropout", "extra", {"rate": 0.5}, ["flat"])
    reference.nodes["out"].inputs = ["extra"]
    for node in reference.nodes.values():
        node.pos = None
    save_graph(reference, tmp_path / "unplaced.yaml")
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\nnodes: [", encoding="utf-8")
    window.compare_with(bad)  # an unreadable file: said in the status bar, nothing drawn
    assert "broken.yaml" in window.statusBar().currentMessage()
    assert not window.comparison.active

    window.compare_with(tmp_path / "unplaced.yaml")
    (ghost,) = window.comparison.ghosts
    right = max(window.canvas.node(n).view.sceneBoundingRect().right() for n in window.graph.nodes)
    assert ghost.sceneBoundingRect().left() > right
    assert window.comparison.badges["out"].text == "changed: inputs"
    press(window, "F")  # the whole graph: the ghost beside it is in view too
    seen = window.viewer.mapToScene(window.viewer.viewport().rect()).boundingRect()
    assert seen.contains(ghost.sceneBoundingRect())


def test_two_runs_side_by_side_graph_settings_and_metrics(window: MainWindow) -> None:
    runs_dir = Path(window.runs.root)
    click_run(window, "digits_small-b")
    click_run(window, "digits_small-a", Modifier.ControlModifier)
    assert window.runs.compare_button.isEnabled()
    QTest.mouseClick(window.runs.compare_button, QtCore.Qt.MouseButton.LeftButton)
    (dialog,) = window.findChildren(RunCompareDialog)
    assert dialog.isVisible()
    assert dialog.comparison.old.name == "digits_small-a"  # the older run is A
    graph_rows = dialog.rows(dialog.graph_table)
    assert graph_rows[0] == [
        "changed",
        "~ Conv2D 'c1': filters 4 -> 8; shape 4x8x8 -> 8x8x8; params +40; MACs +2,304",
    ]
    assert ["changed", "~ Flatten 'flat': shape 64 -> 128"] in graph_rows
    assert all(kind == "changed" for kind, _text in graph_rows)
    assert "models differ" in dialog.graph_totals.text()
    assert dialog.rows(dialog.settings_table) == [["lr", "0.01", "0.02"]]
    metrics = {row[0]: row[1:] for row in dialog.rows(dialog.metrics_table)}
    a, b = (read_run(runs_dir / name) for name in ("digits_small-a", "digits_small-b"))
    assert a.best_val_accuracy is not None
    assert b.best_val_accuracy is not None
    assert metrics["best validation accuracy"] == [
        f"{a.best_val_accuracy:.1%}",
        f"{b.best_val_accuracy:.1%}",
        f"{(b.best_val_accuracy - a.best_val_accuracy) * 100:+.1f} pp",
    ]
    assert metrics["epochs"] == ["2", "2", "+0"]
    final_a = read_metrics(runs_dir / "digits_small-a")[-1]["train_loss"]
    assert metrics["final training loss"][0] == f"{final_a:.4f}"
    assert metrics["duration"][2].endswith(" s")

    click_run(window, "digits_small-b", Modifier.ControlModifier)  # one left: vs the canvas
    assert "open graph" in window.runs.compare_button.toolTip()
