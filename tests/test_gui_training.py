"""Training from the editor: the dock's form, a live run, Stop, results, kernels."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from app.gui.main_window import MainWindow
from app.gui.results_panel import MIN_FONT
from graph_io.editing import SetParam
from graph_io.yaml_io import load_graph
from tests.conftest import click as click_at
from tests.conftest import drag, editor_window, node_centre, press

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits_cnn.yaml"
LENET = ROOT / "examples" / "lenet5.yaml"
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    win: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    yield win
    win.training.shutdown()


def click(button: QtWidgets.QAbstractButton) -> None:
    button.click()
    QtWidgets.QApplication.processEvents()


def start_and_wait_for_the_end(panel: Any, qtbot: Any) -> None:
    """Press Start and return once the run is over, however it ended."""
    with qtbot.waitSignal(
        panel.running_changed, timeout=60_000, check_params_cb=lambda running: not running
    ):
        click(panel.start_button)


def test_form_is_prefilled_from_the_yaml_and_edits_are_saved(
    window: MainWindow, tmp_path: Path
) -> None:
    window.open_file(DIGITS, ask=False)
    form = window.training.form
    assert form.raw_values()["epochs"] == 15
    assert form.raw_values()["lr"] == "0.002"
    assert not window.dirty
    form.set_value("epochs", 3)
    form.set_value("optimizer", "SGD")
    assert window.dirty
    assert window.windowTitle().startswith("digits_cnn.yaml*")
    form.set_value("lr", "-1")  # invalid: shown, not stored
    assert not window.training.start_button.isEnabled()
    assert "Learning rate" in form.error.text()
    form.set_value("lr", "0.05")
    assert window.save_to(tmp_path / "saved.yaml")
    training = load_graph(tmp_path / "saved.yaml").training
    assert training == {"epochs": 3, "optimizer": "SGD", "lr": 0.05}
    assert not window.dirty


def test_input_mismatch_is_explained_and_fixed_in_one_click(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)  # 1x32x32, and no training section: digits (1x8x8)
    panel = window.training
    assert not panel.advice.isHidden()
    assert "Input is 1x32x32" in panel.advice.text()
    assert "1x8x8" in panel.advice.text()
    assert panel.fix.text() == "Set Input to 1x8x8"
    click(panel.fix)
    params = window.graph.nodes["input"].params
    assert (params["channels"], params["height"], params["width"]) == (1, 8, 8)
    assert panel.advice.isHidden()
    assert panel.fix.isHidden()
    press(window, "Ctrl+Z")  # one undo step takes the whole fix back
    assert window.graph.nodes["input"].params["height"] == 32


def test_a_run_shows_progress_and_curves_and_stops_within_a_batch(
    window: MainWindow, qtbot: Any
) -> None:
    window.open_file(DIGITS, ask=False)
    panel = window.training
    panel.form.set_value("epochs", 500)
    panel.form.set_value("batch_size", 16)
    click(panel.start_button)
    assert panel.running
    assert not panel.start_button.isEnabled()
    assert window.lock.locked
    assert not window.params.isEnabled()
    qtbot.waitUntil(
        lambda: panel.progress.value() > 0 and panel.curves.points("val_acc") >= 1, timeout=60_000
    )
    assert panel.curves.points("train_loss") > 1
    assert "epoch" in panel.status.text()
    assert "loss" in panel.status.text()
    # Mid-run the graph is locked, but nodes can still be selected (to see kernels),
    # and a drag says why it does nothing.
    viewport = window.viewer.viewport()
    where = window.graph.nodes["conv1"].pos
    click_at(viewport, node_centre(window, "conv1"))
    assert window.selection.ids == ("conv1",)
    start = node_centre(window, "conv1")
    drag(viewport, start, QtCore.QPointF(start.x() + 90, start.y() + 40))
    assert window.graph.nodes["conv1"].pos == where
    assert "locked" in window.statusBar().currentMessage()
    click(panel.stop_button)
    with qtbot.waitSignal(panel.running_changed, timeout=30_000):
        pass
    assert not panel.running
    assert panel.last is not None
    assert panel.last.result.stopped
    assert len(panel.last.result.epochs) < 500
    assert panel.status.text().startswith("Stopped after")
    assert not window.lock.locked
    assert window.params.isEnabled()


def test_finished_run_shows_confusion_matrix_and_mistakes_first(
    window: MainWindow, qtbot: Any
) -> None:
    window.resize(1500, 950)  # the window's size on a desktop screen
    window.open_file(DIGITS, ask=False)
    panel = window.training
    panel.form.set_value("epochs", 1)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        click(panel.start_button)
    evaluation = panel.last.evaluation  # type: ignore[union-attr]
    assert evaluation is not None
    matrix = window.results.matrix
    assert matrix.rowCount() == 10
    assert matrix.columnCount() == 11
    total = sum(int(matrix.item(r, c).text()) for r in range(10) for c in range(10))
    assert total == len(panel.last.data.val)  # type: ignore[union-attr]
    assert f"{evaluation.accuracy:.1%}" in window.results.headline.text()
    captions = window.results.samples.captions()
    wrong = [c for c in captions if c.split("→")[0] != c.split("→")[1]]
    assert captions[: len(wrong)] == wrong  # misclassified first
    assert window.results_dock.isVisible()
    # Readable at that size: the dock makes room for every row, numbers and labels whole.
    qtbot.waitUntil(
        lambda: matrix.rowViewportPosition(9) + matrix.rowHeight(9) <= matrix.viewport().height()
    )
    assert matrix.font().pixelSize() >= MIN_FONT
    label = matrix.horizontalHeaderItem(10)
    assert label.text() == "accuracy"
    assert QtGui.QFontMetrics(label.font()).horizontalAdvance("accuracy") < matrix.columnWidth(10)


def test_kernels_and_feature_maps_before_and_after_training(window: MainWindow, qtbot: Any) -> None:
    window.open_file(DIGITS, ask=False)
    window.kernels_dock.show()
    window.kernels_dock.raise_()
    window.select("conv1")
    view = window.conv_view
    # The first time, after the background warm-up has imported torch (seconds).
    qtbot.waitUntil(lambda: view.kernels.count() == 32, timeout=60_000)
    assert "initial weights" in view.title.text()
    assert view.maps.count() == 32
    assert view.maps.item(0).toolTip().startswith("feature map 1: 8×8")
    before = view.kernels.item(0).icon().pixmap(40).toImage()
    window.training.form.set_value("epochs", 1)
    with qtbot.waitSignal(window.training.run_finished, timeout=60_000):
        click(window.training.start_button)
    assert window.results_dock.isVisible()  # the results come to the front after a run;
    window.kernels_dock.raise_()  # the kernel view catches up when its tab is chosen
    qtbot.waitUntil(lambda: "trained weights" in view.title.text(), timeout=10_000)
    assert view.kernels.item(0).icon().pixmap(40).toImage() != before
    view.sample_index.setValue(5)
    QtWidgets.QApplication.processEvents()
    assert view.sample_label.text().startswith("class ")
    window.select("pool")  # not a convolution
    qtbot.waitUntil(lambda: view.kernels.count() == 0, timeout=5_000)  # once edits pause
    assert "MaxPool2D 'pool' has no kernels" in view.title.text()


def test_a_run_that_cannot_start_explains_why(window: MainWindow, qtbot: Any) -> None:
    window.open_file(DIGITS, ask=False)
    window.document.execute(SetParam("output", "units", 7))  # digits has 10 classes
    QtWidgets.QApplication.processEvents()
    panel = window.training
    start_and_wait_for_the_end(panel, qtbot)
    assert "10 classes" in panel.status.text()
    assert "Units" in panel.status.text()
    assert not window.lock.locked
    QtCore.QCoreApplication.processEvents()


def test_trained_weights_are_saved_and_go_with_exports(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    import importlib.util

    import torch

    from app.training.checkpoint import load_weights
    from graph_io.compiler import compile_graph

    window.open_file(DIGITS, ask=False)
    window.training.form.set_value("epochs", 1)
    with qtbot.waitSignal(window.training.run_finished, timeout=60_000):
        click(window.training.start_button)
    state = window.training.last.result.state  # type: ignore[union-attr]
    assert window.save_weights_to(tmp_path / "digits.safetensors")
    saved = load_weights(window.graph, tmp_path / "digits.safetensors")
    assert all(torch.equal(saved[k], state[k]) for k in state)  # type: ignore[index]
    assert (tmp_path / "normalization.json").is_file()

    assert window.export_to("py", tmp_path / "digits_model.py")
    assert (tmp_path / "digits_model.safetensors").is_file()
    spec = importlib.util.spec_from_file_location("digits_model", tmp_path / "digits_model.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exported = module.load_model().eval()
    reference = compile_graph(window.graph)
    reference.load_state_dict(state)  # type: ignore[arg-type]
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(exported(x), reference.eval()(x), atol=1e-6)

    window.document.execute(SetParam("conv1", "filters", 8))  # the weights no longer fit
    assert window.conv_view.fitting_weights() is None
    assert window.export_to("py", tmp_path / "changed.py")
    assert not (tmp_path / "changed.safetensors").exists()


def test_a_relative_image_folder_is_checked_against_the_input(
    window: MainWindow, tmp_path: Path
) -> None:
    from PIL import Image

    from graph_io.yaml_io import save_graph

    for label in ("cat", "dog"):
        folder = tmp_path / "pets" / label
        folder.mkdir(parents=True)
        for index in range(3):
            Image.new("RGB", (6, 5), (index * 40, 10, 200)).save(folder / f"{index}.png")
    graph = load_graph(DIGITS)
    graph.training = {"dataset": "pets", "epochs": 1}
    save_graph(graph, tmp_path / "pets.yaml")
    window.open_file(tmp_path / "pets.yaml", ask=False)
    panel = window.training
    assert "dataset 'pets' has 3x5x6 images" in panel.advice.text()
    click(panel.fix)
    params = window.graph.nodes["input"].params
    assert (params["channels"], params["height"], params["width"]) == (3, 5, 6)
    assert panel.advice.isHidden()
    panel.form.set_value("dataset", "missing_folder")
    assert "missing_folder" in panel.advice.text()
    assert panel.fix.isHidden()


def test_closing_the_window_mid_run_stops_training(window: MainWindow, qtbot: Any) -> None:
    window.open_file(DIGITS, ask=False)
    panel = window.training
    panel.form.set_value("epochs", 500)
    click(panel.start_button)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)
    run = panel.run
    assert run is not None
    window.close()  # unsaved settings: the prompt is answered "Discard" by the fixture
    assert not run.alive  # stopped within a batch and joined, not abandoned


def test_a_diverging_run_stops_and_says_how_to_fix_it(window: MainWindow, qtbot: Any) -> None:
    window.open_file(DIGITS, ask=False)
    panel = window.training
    panel.form.set_value("optimizer", "SGD")
    panel.form.set_value("lr", "100")
    start_and_wait_for_the_end(panel, qtbot)
    assert "loss became NaN" in panel.status.text()
    assert "lower the learning rate (now 100)" in panel.status.text()
    assert not window.lock.locked
    assert panel.start_button.isEnabled()


def test_opening_another_file_forgets_the_last_run(window: MainWindow, qtbot: Any) -> None:
    window.open_file(DIGITS, ask=False)
    window.training.form.set_value("epochs", 1)
    start_and_wait_for_the_end(window.training, qtbot)
    assert window.training.last is not None
    assert "Validation accuracy" in window.results.headline.text()
    assert window.conv_view.weights is not None
    window.open_template("lenet5")
    assert window.training.last is None
    assert window.training.status.text() == "Not trained yet."
    assert window.training.curves.points("train_loss") == 0
    assert window.results.matrix.rowCount() == 0
    assert window.results.headline.text().startswith("Train the model")
    assert window.conv_view.weights is None


HUGE = """convas: 1
name: huge
nodes:
  - {id: input, type: Input, params: {channels: 3, height: 2048, width: 2048}}
  - {id: conv, type: Conv2D, params: {filters: 1024, kernel: 3, padding: Same, activation: ReLU},
     inputs: [input]}
  - {id: gap, type: GlobalAvgPool2D, inputs: [conv]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [gap]}
training: {dataset: digits, batch_size: 32}
"""


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_graph_that_cannot_fit_says_so_and_start_allocates_nothing(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's graph: 3×2048×2048 into 1,024 filters needs 1.5 TB to train."""
    monkeypatch.setenv("CONVAS_MEMORY_LIMIT", str(16 * 2**30))
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    window.open_file(path, ask=False)
    panel = window.training
    table = window.summary
    column = len(table.HEADERS) - 1

    def total() -> QtWidgets.QTableWidgetItem:
        return table.item(len(window.graph.nodes), column) or QtWidgets.QTableWidgetItem()

    qtbot.waitUntil(lambda: total().text() == "1.5 TB at batch 32", timeout=5000)
    assert "gradients in flight 1.0 TB" in total().toolTip()
    assert "more than the 16.0 GB of RAM free" in total().toolTip()
    conv = table.item(1, column)
    assert conv.text() == "513.5 GB"
    assert "activations kept for the backward pass 513.5 GB" in conv.toolTip()
    qtbot.waitUntil(
        lambda: (
            "training needs ≈ 1.5 TB at batch 32 — more than the RAM free"
            in window.status_label.text()
        ),
        timeout=5000,
    )
    window.training_dock.raise_()  # its tab comes forward, as a click on it would
    qtbot.waitUntil(panel.start_button.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: "this will not fit" in panel.memory.text(), timeout=5000)
    assert "1.5 TB at batch size 32, plus 84.2 GB for the data set" in panel.memory.text()
    assert "only 16.0 GB of RAM is free" in panel.memory.text()

    before = resident_bytes()
    button = panel.start_button
    QTest.mouseClick(button, QtCore.Qt.MouseButton.LeftButton, pos=button.rect().center())
    QtWidgets.QApplication.processEvents()
    assert panel.status.text().startswith("Not started: training needs about 1.5 TB")
    assert "Conv2D 'conv' 513.5 GB" in panel.status.text()
    assert "make Input 'input' at most 3×" in panel.status.text()
    assert "does not fit in memory" in window.statusBar().currentMessage()
    assert panel.run is None  # no thread, no data, no model
    assert not window.lock.locked
    assert resident_bytes() - before < 100 * 2**20
    assert not any(Path(os.environ["CONVAS_RUNS_DIR"]).iterdir())  # no run folder either


def test_a_64_bit_seed_is_typed_and_kept(window: MainWindow) -> None:
    """Seeds go up to 2^63 - 1, more than a spin box counts: the field takes digits."""
    window.open_file(DIGITS, ask=False)
    form = window.training.form
    field = form.editors["seed"]
    assert isinstance(field, QtWidgets.QLineEdit)
    field.clear()
    QTest.keyClicks(field, "1099511627776x")  # the letter is refused as it is typed
    assert field.text() == "1099511627776"
    config = form.config()
    assert config is not None
    assert config.seed == 2**40
    assert window.graph.training is not None
    assert window.graph.training["seed"] == 2**40
