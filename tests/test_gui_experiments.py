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

from app.gui.main_window import MainWindow
from app.training.engine import train
from app.training.run_folder import read_metrics
from graph_io import Graph
from graph_io.training_config import TrainingConfig

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
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(
        QtWidgets.QMessageBox,
        "question",
        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Discard,
    )
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
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
    live = set(curves.loss.listDataItems()) | set(curves.accuracy.listDataItems())

    click_run(window, "digits_small-a")
    click_run(window, "digits_small-b", Modifier.ControlModifier)
    assert [r.name for r in window.runs.selected_runs()] == ["digits_small-b", "digits_small-a"]
    assert window.training.pages.currentWidget() is curves
    assert curves.isVisible()  # the Training dock came forward with its curves

    assert window.run_curves.runs == ["digits_small-b", "digits_small-a"]
    for plot, train_field, val_field in (
        (curves.loss, "train_loss", "val_loss"),
        (curves.accuracy, "train_accuracy", "val_accuracy"),
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
    names = legend_names(curves.loss)
    assert "digits_small-b · train" in names
    assert not any(name.startswith("digits_small-a") for name in names)
    assert len([i for i in curves.loss.listDataItems() if i not in live]) == 2

    # A live run trains with the kept run still drawn beside it.
    window.training.form.set_value("epochs", 1)
    with qtbot.waitSignal(
        window.training.running_changed, timeout=60_000, check_params_cb=lambda on: not on
    ):
        window.training.start_button.click()
    assert window.training.curves.points("val_loss") == 1
    assert live <= set(curves.loss.listDataItems()) | set(curves.accuracy.listDataItems())
    assert len(curves.val_acc.getData()[0]) == 1  # the live run's own curve, drawn
    assert "digits_small-b · validation" in legend_names(curves.loss)
    assert window.runs.table.topLevelItemCount() == 3  # the new run is kept and listed
    assert [r.name for r in window.runs.selected_runs()] == ["digits_small-b"]

    click_run(window, "digits_small-b", Modifier.ControlModifier)  # nothing selected
    assert window.run_curves.runs == []
    assert set(curves.loss.listDataItems()) | set(curves.accuracy.listDataItems()) == live
    assert legend_names(curves.loss) == ["train", "validation"]
