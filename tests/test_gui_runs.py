"""The Runs dock and the compare marks, on real runs trained by the engine."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from app.gui.compare import GHOST_OPACITY, Mark, compare_with, mark_color
from app.gui.runs_panel import ALL_RUNS, THIS_GRAPH, RunsPanel
from app.gui.training_run import RunFinished, TrainingRun
from app.training.engine import train
from app.training.events import BatchEnd, Event
from app.training.run_folder import list_runs, plan_resume, read_metrics, read_run
from graph_io import Graph
from graph_io.training_config import TrainingConfig

pytestmark = pytest.mark.gui
CONFIG = TrainingConfig(epochs=2, batch_size=128, lr=0.01, seed=1, device="cpu")


def net(name: str, filters: int) -> Graph:
    graph = Graph(name)
    graph.add_node("Input", "x", {"channels": 1, "height": 8, "width": 8}, pos=(0, 0))
    graph.add_node("Conv2D", "c1", {"filters": filters, "padding": "Same"}, ["x"], pos=(200, 0))
    graph.add_node("MaxPool2D", "p1", {}, ["c1"], pos=(400, 0))
    graph.add_node("Flatten", "flat", {}, ["p1"], pos=(600, 0))
    graph.add_node("Dense", "out", {"units": 10}, ["flat"], pos=(800, 0))
    return graph


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A finished run of `small` and a run of `other` stopped in its second epoch."""
    root = tmp_path_factory.mktemp("runs")
    train(net("small", 4), CONFIG.model_copy(update={"epochs": 1}), out_dir=root / "small-1")
    stop = threading.Event()

    def stop_in_epoch_two(event: Event) -> None:
        if isinstance(event, BatchEnd) and event.epoch == 2:
            stop.set()

    train(net("other", 8), CONFIG, out_dir=root / "other-1", stop=stop, on_event=stop_in_epoch_two)
    return root, root / "small-1", root / "other-1"


def select(panel: RunsPanel, *names: str) -> None:
    panel.table.clearSelection()
    for index in range(panel.table.topLevelItemCount()):
        item = panel.table.topLevelItem(index)
        assert item is not None
        item.setSelected(item.text(0) in names)


def test_runs_of_the_open_graph_and_of_the_whole_folder(
    qtbot: Any, runs: tuple[Path, Path, Path]
) -> None:
    root, small, other = runs
    panel = RunsPanel(root)
    qtbot.addWidget(panel)
    assert panel.scope.currentText() == THIS_GRAPH
    assert panel.table.topLevelItemCount() == 0  # no graph open yet
    assert "No runs" in panel.empty.text()
    panel.set_graph("small")
    assert [panel.table.topLevelItem(0).text(c) for c in (0, 2, 3, 4, 7)] == [  # type: ignore[union-attr]
        "small-1", "small", "digits", "1/1", "finished",
    ]  # fmt: skip
    panel.scope.setCurrentText(ALL_RUNS)
    assert panel.table.topLevelItemCount() == 2
    assert {r.path for r in panel.runs} == {small, other}


def test_selected_runs_give_their_curves_and_one_run_can_be_reused(
    qtbot: Any, runs: tuple[Path, Path, Path]
) -> None:
    root, _, other = runs
    panel = RunsPanel(root)
    qtbot.addWidget(panel)
    panel.scope.setCurrentText(ALL_RUNS)
    emitted: list[dict[str, list[dict[str, Any]]]] = []
    panel.curves_selected.connect(emitted.append)
    select(panel, "small-1", "other-1")
    curves = emitted[-1]
    assert set(curves) == {"small-1", "other-1"}
    assert [row["epoch"] for row in curves["small-1"]] == [1]
    assert [(row["epoch"], row["complete"]) for row in curves["other-1"]] == [(1, True), (2, False)]
    assert not panel.open_button.isEnabled()  # one run at a time

    select(panel, "other-1")
    assert panel.resume_button.isEnabled()  # stopped, with a checkpoint
    with qtbot.waitSignal(panel.open_graph_requested) as opened:
        panel.open_button.click()
    assert opened.args[0] == other / "graph.yaml"
    with qtbot.waitSignal(panel.load_weights_requested) as weights:
        panel.weights_button.click()
    assert weights.args[0] == other / "best.safetensors"
    with qtbot.waitSignal(panel.resume_requested) as resumed:
        panel.resume_button.click()
    assert resumed.args[0] == other

    select(panel, "small-1")
    assert not panel.resume_button.isEnabled()  # finished: nothing to resume


def test_compare_marks_changed_added_renamed_and_ghosts_removed_nodes(
    qtbot: Any, runs: tuple[Path, Path, Path]
) -> None:
    _, small, _ = runs
    current = net("small", 6)  # the open graph: c1 widened
    current.remove_node("p1")
    current.nodes["flat"].inputs = ["c1"]
    current.add_node("Dropout", "drop", {"rate": 0.2}, ["flat"], pos=(700, 0))
    current.nodes["out"].inputs = ["drop"]
    current.rename_node("x", "image")
    result = compare_with(small, current)  # a run folder: its graph.yaml
    kinds = {node_id: m.mark for node_id, m in result.marks.items()}
    assert kinds == {
        "image": Mark.RENAMED,
        "c1": Mark.CHANGED,
        "flat": Mark.CHANGED,
        "drop": Mark.ADDED,
        "out": Mark.CHANGED,
    }
    assert "filters 4 -> 6" in result.marks["c1"].tooltip
    (ghost,) = result.ghosts
    assert (ghost.node_id, ghost.type, ghost.pos, ghost.inputs) == (
        "p1",
        "MaxPool2D",
        (400, 0),
        ("c1",),
    )
    assert ghost.opacity == GHOST_OPACITY
    assert ghost.color == mark_color(Mark.REMOVED)
    assert len({mark_color(m).name() for m in Mark}) == len(Mark)
    assert result.summary.startswith("1 added, 1 removed, 3 changed from small-1")


def test_the_editor_keeps_its_runs_in_the_runs_folder(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVAS_RUNS_DIR", str(tmp_path))
    run = TrainingRun(net("edited", 4), CONFIG.model_copy(update={"epochs": 1}), None)
    with qtbot.waitSignal(run.finished, timeout=120_000) as done:
        run.start()
    outcome = done.args[0]
    assert isinstance(outcome, RunFinished)
    assert outcome.result.out_dir is not None
    assert outcome.result.out_dir.parent == tmp_path
    assert read_run(outcome.result.out_dir).status == "finished"
    assert [r.graph for r in list_runs(tmp_path)] == ["edited"]


def test_resume_from_the_runs_dock_continues_the_run_in_the_editor(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runs: tuple[Path, Path, Path]
) -> None:
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    stopped = tmp_path / "other-1"
    shutil.copytree(runs[2], stopped)
    window = MainWindow()
    qtbot.addWidget(window)
    panel = RunsPanel(tmp_path)
    qtbot.addWidget(panel)
    panel.scope.setCurrentText(ALL_RUNS)
    select(panel, "other-1")
    panel.resume_requested.connect(lambda path: window.training.resume(plan_resume(path)))
    with qtbot.waitSignal(
        window.training.running_changed, timeout=120_000, check_params_cb=lambda on: not on
    ):
        panel.resume_button.click()
    info = read_run(stopped)
    assert (info.status, info.epochs_done) == ("finished", 2)
    assert [r["epoch"] for r in read_metrics(stopped)] == [1, 2]
    assert window.training.last is not None
    assert window.training.last.result.out_dir == stopped
