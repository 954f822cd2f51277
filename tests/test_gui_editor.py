"""The editor as a user drives it: live shapes, errors, undo, cycles, files, help."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtWidgets

from app.gui.main_window import MainWindow
from app.gui.param_editors import FloatEditor, IntEditor, PaddingEditor, PairEditor
from graph_io.yaml_io import dumps_graph, load_graph

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    win = MainWindow()
    qtbot.addWidget(win)
    monkeypatch.setattr(
        QtWidgets.QMessageBox,
        "question",
        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Discard,
    )
    return win


def settle() -> None:
    """Let the window run its deferred table update (labels update synchronously)."""
    QtWidgets.QApplication.processEvents()


def build_lenet(win: MainWindow) -> None:
    c = win.canvas
    specs = [
        ("input", "Input", {"channels": 1, "height": 32, "width": 32}),
        ("c1", "Conv2D", {"filters": 6, "kernel": 5, "activation": "Tanh"}),
        ("s2", "AvgPool2D", {}),
        ("c3", "Conv2D", {"filters": 16, "kernel": 5, "activation": "Tanh"}),
        ("s4", "AvgPool2D", {}),
        ("flatten", "Flatten", {}),
        ("f5", "Dense", {"units": 120, "activation": "Tanh"}),
        ("f6", "Dense", {"units": 84, "activation": "Tanh"}),
        ("output", "Dense", {"units": 10}),
    ]
    previous = None
    for index, (nid, layer, params) in enumerate(specs):
        node = c.add_layer(layer, (index * 200, 0), node_id=nid, params=params)
        if previous is not None:
            assert c.connect_nodes(previous, node)
        previous = node


def test_building_lenet_on_the_canvas_shows_every_shape(window: MainWindow) -> None:
    build_lenet(window)
    faces = {n: window.canvas.face_text(n) for n in window.graph.nodes}
    assert faces == {
        "input": "1×32×32",
        "c1": "6×28×28  ·  156 params",
        "s2": "6×14×14",
        "c3": "16×10×10  ·  2.4k params",
        "s4": "16×5×5",
        "flatten": "400",
        "f5": "120  ·  48.1k params",
        "f6": "84  ·  10.2k params",
        "output": "10  ·  850 params",
    }
    assert "61.7k params" in window.statusBar().currentMessage()
    settle()
    assert window.summary.item(9, 3).text() == "61,706"


def test_editing_filters_in_the_panel_updates_downstream(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    editor = window.params.editors["filters"]
    assert isinstance(editor, IntEditor)
    assert (editor.spin.minimum(), editor.spin.maximum()) == (1, 65536)  # the registry's
    editor.spin.setValue(8)
    assert window.canvas.face_text("c1") == "8×28×28  ·  208 params"
    assert window.canvas.face_text("c3") == "16×10×10  ·  3.2k params"
    assert window.graph.nodes["c1"].params["filters"] == 8
    assert window.windowTitle().startswith("lenet5.yaml*")
    window.canvas.graph.undo_stack().undo()  # the panel follows undo and redo
    assert editor.spin.value() == 6
    window.canvas.graph.undo_stack().redo()
    assert editor.spin.value() == 8


def test_shape_error_turns_node_red_and_undo_restores(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c3")
    kernel = window.params.editors["kernel"]
    assert isinstance(kernel, PairEditor)
    assert kernel.square.isChecked()
    kernel.height_spin.setValue(20)
    tip = window.canvas.face_tooltip("c3")
    assert tip == (
        "Conv2D 'c3': kernel 20x20 is larger than its input 14x14 — reduce Kernel "
        "or use Padding Same"
    )
    assert window.canvas.node("c3").color()[0] > 150  # red
    assert window.canvas.face_text("f5") == "?"
    settle()
    assert window.problems.item(0).text() == tip
    window.canvas.graph.undo_stack().undo()
    assert window.canvas.face_text("c3") == "16×10×10  ·  2.4k params"
    assert window.canvas.face_text("f5") == "120  ·  48.1k params"
    assert kernel.value() == 5


def test_invalid_value_is_shown_red_and_not_applied(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.canvas.add_layer("Dropout", (0, 300), node_id="drop")
    window.select("drop")
    rate = window.params.editors["rate"]
    assert isinstance(rate, FloatEditor)
    rate.spin.setValue(1.5)
    error = window.params.errors["rate"]
    assert not error.isHidden()
    assert error.text().startswith("Rate must be")
    assert "0.999" in error.text()
    assert "#ffd0d0" in rate.styleSheet()
    assert window.graph.nodes["drop"].params["rate"] == 0.5
    rate.spin.setValue(0.25)  # a valid value clears the mark and applies
    assert error.isHidden()
    assert window.graph.nodes["drop"].params["rate"] == 0.25


def test_padding_is_chosen_from_none_same_or_explicit(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    padding = window.params.editors["padding"]
    assert isinstance(padding, PaddingEditor)
    assert [padding.combo.itemText(i) for i in range(padding.combo.count())] == [
        "None",
        "Same",
        "Explicit",
    ]
    assert not padding.spin.isEnabled()
    padding.combo.setCurrentText("Same")
    assert window.canvas.face_text("c1") == "6×32×32  ·  156 params"
    padding.combo.setCurrentText("Explicit")
    assert padding.spin.isEnabled()
    padding.spin.setValue(1)
    assert window.graph.nodes["c1"].params["padding"] == 1
    assert window.canvas.face_text("c1") == "6×30×30  ·  156 params"


def test_cycle_is_refused(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    c = window.canvas
    assert not c.connect_nodes(c.node("f6"), c.node("c3"))
    assert "would create a cycle" in window.statusBar().currentMessage()
    assert c.report.ok
    assert [p.node().name() for p in c.node("c3").get_input("in").connected_ports()] == ["s2"]


def test_add_takes_several_inputs_in_order(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    c = window.canvas
    add = c.add_layer("Concat", (0, 300), node_id="cat")
    c.connect_nodes(c.node("s4"), add)
    c.connect_nodes(c.node("c3"), add)
    assert window.graph.nodes["cat"].inputs == ["s4", "c3"]
    assert "spatial size" in c.face_tooltip("cat")
    act = c.add_layer("Activation", (0, 500), node_id="act")
    c.connect_nodes(c.node("s2"), act)
    add = c.add_layer("Add", (200, 500), node_id="sum")
    c.connect_nodes(c.node("s2"), add)
    c.connect_nodes(act, add)
    assert c.node("sum").get_input("in").view.toolTip() == ("2 tensors, in order: 6×14×14, 6×14×14")


def test_save_writes_the_expected_yaml(window: MainWindow, tmp_path: Path) -> None:
    window.open_file(LENET, ask=False)
    out = tmp_path / "saved.yaml"
    assert window.save_to(out)
    assert out.read_text() == LENET.read_text()
    assert not window.dirty
    build = MainWindow()
    build_lenet(build)
    build.canvas.name = "lenet5"
    build.canvas.training = load_graph(LENET).training
    assert dumps_graph(build.canvas.to_graph()) == LENET.read_text()
    build.deleteLater()


def test_malformed_file_shows_dialog_and_keeps_graph(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(LENET, ask=False)
    before = dumps_graph(window.canvas.to_graph())
    shown: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "critical", lambda _parent, _title, text: shown.append(text)
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("convas: 1\nnodes:\n  - id: c1\n    type: Conv2D\n    params: {filters: -4}\n")
    assert not window.open_file(bad, ask=False)
    assert shown == [
        f"{bad}:5: nodes[0].params.filters: must be an integer between 1 and 65536, got -4"
    ]
    assert dumps_graph(window.canvas.to_graph()) == before


def test_unsaved_changes_prompt_on_close(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(LENET, ask=False)
    window.canvas.set_param("c1", "filters", 7)
    asked: list[str] = []

    def answer(*args: Any, **kwargs: Any) -> QtWidgets.QMessageBox.StandardButton:
        asked.append(args[1])
        return QtWidgets.QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", answer)
    assert not window.close()
    assert asked == ["Unsaved changes"]


def test_palette_search_and_add(window: MainWindow) -> None:
    window.layers.search.setText("pool")
    assert window.layers.visible_types() == ["AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"]
    window.add_at_centre("Dropout")
    assert "dropout_1" in window.graph.nodes


def test_help_follows_selection_and_problem_click_selects(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    text = window.help.toPlainText()
    assert "Conv2D" in text
    assert "Filters" in text
    assert "kernel" in text.lower()
    window.canvas.set_param("c3", "kernel", 20)
    settle()
    window.problems.itemClicked.emit(window.problems.item(0))
    assert [n.name() for n in window.canvas.graph.selected_nodes()] == ["c3"]
    assert window.params.node_id == "c3"


def test_pasted_and_tab_created_nodes_get_valid_ids(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    g = window.canvas.graph
    g.create_node("convas.Conv2D", name="my conv", pos=[0, 400])  # as tab search names them
    g.duplicate_nodes([window.canvas.node("c1")])
    ids = list(window.graph.nodes)
    assert all(i.isidentifier() for i in ids)
    assert len(ids) == 11
    assert "conv2d_1" in ids


def test_read_only_lock_blocks_panel_edits(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    window.canvas.set_param("c1", "filters", 7)
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() != "&Undo"  # says what it will undo
    window.set_read_only(True)
    window.params._apply("filters", 9)
    assert window.graph.nodes["c1"].params["filters"] == 7
    # menus and shortcuts are locked too: nothing may change the graph being trained
    assert not window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert window.graph.nodes["c1"].params["filters"] == 7
    names = {a.text().replace("&", "") for a in window.editing_actions}
    assert {"Delete", "Paste", "Duplicate", "Auto Layout", "New", "Open…"} <= names
    assert not any(a.isEnabled() for a in window.editing_actions)
    window.set_read_only(False)
    assert window.undo_action.isEnabled()
    assert all(a.isEnabled() for a in window.editing_actions)
    window.undo_action.trigger()
    assert window.graph.nodes["c1"].params["filters"] == 6


def test_dragging_a_layer_from_the_palette_creates_it_where_dropped(window: MainWindow) -> None:
    from PySide6 import QtCore, QtGui

    window.show()
    tree = window.layers.tree
    item = next(
        tree.topLevelItem(g).child(c)
        for g in range(tree.topLevelItemCount())
        for c in range(tree.topLevelItem(g).childCount())
        if tree.topLevelItem(g).child(c).text(0) == "MaxPool2D"
    )
    mime = tree.mimeData([item])
    viewport = window.viewer.viewport()
    target = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    for kind in (QtCore.QEvent.Type.DragEnter, QtCore.QEvent.Type.Drop):
        cls = QtGui.QDragEnterEvent if kind is QtCore.QEvent.Type.DragEnter else QtGui.QDropEvent
        event = cls(
            target.toPoint() if cls is QtGui.QDragEnterEvent else target,
            QtCore.Qt.DropAction.CopyAction,
            mime,
            QtCore.Qt.MouseButton.LeftButton,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
    settle()
    assert "maxpool2d_1" in window.graph.nodes
    x, y = window.graph.nodes["maxpool2d_1"].pos or (0.0, 0.0)
    dropped = window.viewer.mapToScene(target.toPoint())
    assert abs(x - dropped.x()) < 200
    assert abs(y - dropped.y()) < 200
    window.set_read_only(True)
    assert not window.viewer.acceptDrops()


def test_double_click_on_empty_canvas_searches_and_creates_there(
    window: MainWindow, qtbot: Any
) -> None:
    from PySide6 import QtCore

    window.show()
    viewport = window.viewer.viewport()
    spot = QtCore.QPoint(40, 40)
    qtbot.mouseDClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=spot)
    popup = window.search
    assert popup.isVisible()
    qtbot.keyClicks(popup.field, "batch")
    assert popup.visible_types() == ["BatchNorm2D"]
    qtbot.keyClick(popup.field, QtCore.Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert "batchnorm2d_1" in window.graph.nodes
    assert window.params.node_id == "batchnorm2d_1"  # selected, ready to edit
    x, y = window.graph.nodes["batchnorm2d_1"].pos or (0.0, 0.0)
    expected = window.viewer.mapToScene(spot)
    assert (round(x), round(y)) == (round(expected.x()), round(expected.y()))


def test_tab_opens_the_search_and_escape_closes_it(window: MainWindow, qtbot: Any) -> None:
    from PySide6 import QtCore

    window.show()
    window.open_search()
    assert window.search.isVisible()
    qtbot.keyClick(window.search.field, QtCore.Qt.Key.Key_Escape)
    assert not window.search.isVisible()
    window.set_read_only(True)
    window.open_search()
    assert not window.search.isVisible()


def test_edges_tell_the_tensor_shape_they_carry(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    assert window.canvas.edge_tooltip("c1", "s2") == "c1 → s2: tensor 6×28×28"
    assert window.canvas.edge_tooltip("flatten", "f5") == "flatten → f5: tensor 400"
    window.canvas.set_param("c1", "filters", 8)
    assert window.canvas.edge_tooltip("c1", "s2") == "c1 → s2: tensor 8×28×28"
    window.canvas.set_param("c3", "kernel", 20)
    assert "unknown" in window.canvas.edge_tooltip("c3", "s4")
    port = window.canvas.node("s2").get_input("in").view
    assert port.toolTip() == "tensor 8×28×28"


def test_auto_layout_puts_branches_in_lanes_and_undoes_in_one_step(window: MainWindow) -> None:
    window.open_file(ROOT / "examples" / "resnet_mini.yaml", ask=False)
    for node_id in window.graph.nodes:  # scramble
        window.canvas.node(node_id).set_pos(0, 0)
    window.auto_layout()
    settle()
    positions = {n: node.pos for n, node in window.graph.nodes.items()}
    assert len(set(positions.values())) == len(positions)  # nobody on top of anybody
    for node in window.graph.nodes.values():  # data flows left to right
        for source in node.inputs:
            assert positions[source][0] < positions[node.id][0]  # type: ignore[index]
    window.canvas.graph.undo_stack().undo()
    settle()
    assert all(node.pos == (0.0, 0.0) for node in window.graph.nodes.values())


def test_importing_a_torch_model_opens_it_as_a_new_graph_with_its_weights(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "models.py"
    source.write_text(
        "import torch\n"
        "from torch import nn\n\n\n"
        "class TinyNet(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(1, 4, 3, padding=1)\n"
        "        self.head = nn.Linear(4 * 4 * 4, 3)\n\n"
        "    def forward(self, x):\n"
        "        x = torch.max_pool2d(torch.relu(self.conv(x)), 2)\n"
        "        return self.head(torch.flatten(x, 1))\n",
        encoding="utf-8",
    )
    window.open_file(LENET, ask=False)
    assert window.import_torch(source, "TinyNet", "1x8x8")
    assert [n.type for n in window.graph.nodes.values()] == [
        "Input",
        "Conv2D",
        "MaxPool2D",
        "Flatten",
        "Dense",
    ]
    assert window.canvas.face_text("head") == "3  ·  195 params"
    assert window.path is None
    assert window.dirty
    assert window.windowTitle().startswith("tiny_net (unsaved)*")
    window.kernels_dock.show()
    window.kernels_dock.raise_()
    window.select("conv")
    settle()
    QtWidgets.QApplication.processEvents()
    assert window.conv_view.title.text().endswith("weights imported from TinyNet")
    errors: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "critical", lambda _parent, _title, text: errors.append(text)
    )
    before = dumps_graph(window.graph)
    assert not window.import_torch(source, "TinyNet", "3x8x8")  # wrong channel count
    assert "expected input[2, 3, 8, 8] to have 1 channels" in errors[-1]
    assert not window.import_torch(source, "Missing", "1x8x8")
    assert "has no attribute 'Missing'" in errors[-1]
    assert "(it defines: TinyNet)" in errors[-1]
    assert dumps_graph(window.graph) == before  # a failed import changes nothing


def test_a_cycle_drawn_on_the_canvas_is_taken_back_for_good(window: MainWindow, qtbot: Any) -> None:
    window.open_file(LENET, ask=False)
    c = window.canvas
    stack = c.graph.undo_stack()
    depth = stack.count()
    out_view = c.node("f6").get_output("out").view
    in_view = c.node("s2").get_input("in").view
    # what the viewer reports when a wire is dragged (here past its own cycle check)
    c.graph._on_connection_changed([], [[in_view, out_view]])
    qtbot.waitUntil(lambda: stack.count() == depth, timeout=2000)
    assert c.report.ok
    assert [p.node().name() for p in c.node("s2").get_input("in").connected_ports()] == ["c1"]
    assert not stack.canRedo()  # Redo cannot bring the cycle back


def test_port_tooltips_follow_upstream_changes_the_face_does_not_show(window: MainWindow) -> None:
    window.open_file(ROOT / "examples" / "resnet_mini.yaml", ask=False)
    c = window.canvas
    gap = next(n for n in window.graph.nodes.values() if n.type == "GlobalAvgPool2D")
    port = c.node(gap.id).get_input("in").view
    assert port.toolTip() == "tensor 32×14×14"
    face = c.face_text(gap.id)
    first_input = next(n for n in window.graph.nodes.values() if n.type == "Input")
    c.set_param(first_input.id, "height", 56)  # spatial size changes, channels do not
    c.set_param(first_input.id, "width", 56)
    assert c.face_text(gap.id) == face == "32"
    assert port.toolTip() == "tensor 32×28×28"
