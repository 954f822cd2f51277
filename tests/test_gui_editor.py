"""The editor as a user drives it: real clicks, drags, drops and key presses on
realistic graphs, checking what the user sees and what gets saved."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from NodeGraphQt.qgraphics.pipe import PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.main_window import MainWindow
from app.gui.param_editors import FloatEditor, IntEditor, PaddingEditor, PairEditor
from graph_io.editing import Move, SetParam
from graph_io.yaml_io import dumps_graph, load_graph
from tests.conftest import (
    click,
    drag,
    drop_from_palette,
    editor_window,
    focus_canvas,
    hover_text,
    node_centre,
    port_centre,
    press,
)

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"
RESNET = ROOT / "examples" / "resnet_mini.yaml"
pytestmark = pytest.mark.gui


def _show_node(window: MainWindow, node_id: str) -> None:
    window.canvas.show_node(node_id)
    QtWidgets.QApplication.processEvents()


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MainWindow:
    win: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    return win


def settle() -> None:
    """Let the window run its deferred table update (faces update synchronously)."""
    QtWidgets.QApplication.processEvents()


def set_param(win: MainWindow, node: str, name: str, value: Any) -> None:
    win.document.execute(SetParam(node, name, value))


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
    from graph_io.editing import Rename

    previous = None
    for index, (nid, layer, params) in enumerate(specs):
        new = c.add_layer(layer, (0.0, index * 132.0))  # the layered layout's places
        assert new is not None
        win.document.execute(Rename(new, nid))
        for key, value in params.items():
            set_param(win, nid, key, value)
        if previous is not None:
            assert c.connect_nodes(previous, nid)
        previous = nid


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
    assert "61.7k params" in window.status_label.text()
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
    press(window, "Ctrl+Z")  # the panel follows undo and redo
    assert editor.spin.value() == 6
    press(window, "Ctrl+Shift+Z")
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
    assert _error_pixels(window, "c3") > 10  # drawn red, with its badge
    assert window.canvas.face_text("f5") == "?"
    settle()
    assert window.problems.item(0).text() == tip
    press(window, "Ctrl+Z")
    assert window.canvas.face_text("c3") == "16×10×10  ·  2.4k params"
    assert window.canvas.face_text("f5") == "120  ·  48.1k params"
    assert kernel.value() == 5
    assert _error_pixels(window, "c3") == 0


def _error_pixels(window: MainWindow, node_id: str) -> int:
    """How many pixels of the node, as painted on screen, have the theme's error red."""
    _show_node(window, node_id)
    window.viewer.viewport().repaint()
    image = window.viewer.viewport().grab().toImage()
    scale = image.devicePixelRatio()
    box = window.viewer.mapFromScene(
        window.canvas.node(node_id).view.sceneBoundingRect().adjusted(-12, -12, 12, 12)
    ).boundingRect()
    red = QtGui.QColor(window.themes.theme.error)
    count = 0
    for x in range(max(0, box.left()), min(image.width(), box.right()), 2):
        for y in range(max(0, box.top()), min(image.height(), box.bottom()), 2):
            pixel = image.pixelColor(int(x * scale), int(y * scale))
            close = abs(pixel.red() - red.red()) + abs(pixel.green() - red.green())
            if close + abs(pixel.blue() - red.blue()) < 40:
                count += 1
    return count


def test_invalid_value_is_shown_red_and_not_applied(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    drop = window.canvas.add_layer("Dropout", (0, 300))
    assert drop == "dropout_1"
    window.select(drop)
    rate = window.params.editors["rate"]
    assert isinstance(rate, FloatEditor)
    rate.spin.setValue(1.5)
    error = window.params.errors["rate"]
    assert not error.isHidden()
    assert error.text().startswith("Rate must be")
    assert "0.999" in error.text()
    assert "#ffd0d0" in rate.styleSheet()
    assert window.graph.nodes["dropout_1"].params["rate"] == 0.5
    rate.spin.setValue(0.25)  # a valid value clears the mark and applies
    assert error.isHidden()
    assert window.graph.nodes["dropout_1"].params["rate"] == 0.25


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


def test_a_cycle_dragged_on_the_canvas_is_refused_and_explained(window: MainWindow) -> None:
    """Dragging a wire from the model's end back into an Add says why nothing happened."""
    window.open_file(RESNET, ask=False)
    add = next(n for n in window.graph.nodes.values() if n.type == "Add")
    last = next(iter(reversed(window.graph.nodes)))
    before = dumps_graph(window.graph)
    viewport = window.viewer.viewport()
    drag(viewport, port_centre(window, last, "out"), port_centre(window, add.id, "in"))
    settle()
    assert dumps_graph(window.graph) == before
    assert "would create a cycle" in window.statusBar().currentMessage()
    assert "would create a cycle" in window.problems.item(0).text()
    assert window.problems_dock.isVisible()
    assert window.canvas.scene_state()[add.id][1] == sorted(add.inputs)
    assert not window.document.can_undo  # nothing to undo, nothing to redo back
    press(window, "Ctrl+Shift+Z")
    assert dumps_graph(window.graph) == before


def test_a_wire_dragged_between_ports_connects_and_undoes_in_one_step(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    viewport = window.viewer.viewport()
    beside_f5 = node_centre(window, "f5") + QtCore.QPointF(230, 40)
    drop_from_palette(window, "Dropout", beside_f5)
    assert window.graph.nodes["dropout_1"].inputs == []
    for _ in range(2):  # pan until both ends are in view, as a user would
        end = port_centre(window, "dropout_1", "in")
        start = port_centre(window, "f5", "out")
    drag(viewport, start, end)
    assert window.graph.nodes["dropout_1"].inputs == ["f5"]
    assert window.canvas.edge_tooltip("f5", "dropout_1") == "f5 → dropout_1: tensor 120"
    press(window, "Ctrl+Z")
    assert window.graph.nodes["dropout_1"].inputs == []
    assert window.canvas.scene_state()["dropout_1"][1] == []


def test_add_takes_several_inputs_in_order(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    c = window.canvas
    cat = c.add_layer("Concat", (0, 300))
    assert cat is not None
    c.connect_nodes("s4", cat)
    c.connect_nodes("c3", cat)
    assert window.graph.nodes[cat].inputs == ["s4", "c3"]
    assert "spatial size" in c.face_tooltip(cat)
    act = c.add_layer("Activation", (0, 500))
    add = c.add_layer("Add", (200, 500))
    assert act is not None
    assert add is not None
    c.connect_nodes("s2", act)
    c.connect_nodes("s2", add)
    c.connect_nodes(act, add)
    c.lay_out()
    c.frame(readable=True)
    _show_node(window, add)
    tip = hover_text(window, port_centre(window, add, "in"))
    assert tip == "2 tensors, in order: 6×14×14, 6×14×14"


def test_save_writes_the_expected_yaml(window: MainWindow, tmp_path: Path) -> None:
    window.open_file(LENET, ask=False)
    out = tmp_path / "saved.yaml"
    assert window.save_to(out)
    assert out.read_text() == LENET.read_text()
    assert not window.dirty
    build = MainWindow()
    build_lenet(build)
    built = build.graph
    built.name = "lenet5"
    built.training = load_graph(LENET).training
    assert dumps_graph(built) == LENET.read_text()
    build.deleteLater()


def test_malformed_file_shows_dialog_and_keeps_graph(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(LENET, ask=False)
    before = dumps_graph(window.graph)
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
    assert dumps_graph(window.graph) == before


def test_unsaved_changes_prompt_on_close(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(LENET, ask=False)
    set_param(window, "c1", "filters", 7)
    asked: list[str] = []

    def answer(*args: Any, **kwargs: Any) -> QtWidgets.QMessageBox.StandardButton:
        asked.append(args[1])
        return QtWidgets.QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", answer)
    assert not window.close()
    assert asked == ["Unsaved changes"]


def test_palette_search_and_add(window: MainWindow) -> None:
    window.layers.search.setText("pool")
    shown = window.layers.visible_types()
    assert {"AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"} <= set(shown)
    assert all("pool" in t.lower() for t in shown)
    window.add_at_centre("Dropout")
    assert "dropout_1" in window.graph.nodes


def test_help_follows_selection_and_problem_click_selects(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    text = window.help.toPlainText()
    assert "Conv2D" in text
    assert "Filters" in text
    assert "kernel" in text.lower()
    set_param(window, "c3", "kernel", 20)
    settle()
    window.problems.itemClicked.emit(window.problems.item(0))
    assert window.selection.ids == ("c3",)
    assert window.params.node_id == "c3"


def test_copy_paste_with_keys_gives_fresh_ids_beside_the_original(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    viewport = window.viewer.viewport()
    click(viewport, node_centre(window, "c1"))
    assert window.selection.ids == ("c1",)
    press(window, "Ctrl+C")
    press(window, "Ctrl+V")
    assert list(window.graph.nodes)[-1] == "c1_1"
    assert window.selection.ids == ("c1_1",)
    x, y = window.graph.nodes["c1"].pos or (0.0, 0.0)
    assert window.graph.nodes["c1_1"].pos == (x + 40, y + 40)
    press(window, "Ctrl+Z")
    assert "c1_1" not in window.graph.nodes
    press(window, "Ctrl+Shift+Z")  # redo puts the copy where the paste did
    assert window.graph.nodes["c1_1"].pos == (x + 40, y + 40)
    view = window.canvas.node("c1_1").view
    assert tuple(view.xy_pos) == (x + 40, y + 40)
    assert all(i.isidentifier() for i in window.graph.nodes)


def test_read_only_lock_blocks_panel_edits(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    set_param(window, "c1", "filters", 7)
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == "&Undo c1 Filters = 7"  # says what it will undo
    window.lock.set(True, "a training run has the graph locked")
    window.params._apply("filters", 9)
    assert window.graph.nodes["c1"].params["filters"] == 7
    # menus and shortcuts are locked too: nothing may change the graph being trained
    assert not window.undo_action.isEnabled()
    press(window, "Ctrl+Z")
    assert window.graph.nodes["c1"].params["filters"] == 7
    names = {a.text().replace("&", "") for a in window.editing_actions}
    assert {"Delete", "Paste", "Duplicate", "Auto Layout", "New", "Open…"} <= names
    assert not any(a.isEnabled() for a in window.editing_actions)
    window.lock.set(False)
    assert window.undo_action.isEnabled()
    assert all(a.isEnabled() for a in window.editing_actions)
    press(window, "Ctrl+Z")
    assert window.graph.nodes["c1"].params["filters"] == 6


def test_dropping_a_layer_on_an_open_graph_renames_nothing(
    window: MainWindow, tmp_path: Path
) -> None:
    window.open_file(LENET, ask=False)
    ids = list(window.graph.nodes)
    viewport = window.viewer.viewport()
    target = QtCore.QPointF(viewport.width() / 2, viewport.height() - 60)
    drop_from_palette(window, "MaxPool2D", target)
    assert list(window.graph.nodes) == [*ids, "maxpool2d_1"]
    assert {k: v[2] for k, v in window.canvas.scene_state().items()} == {
        i: i for i in [*ids, "maxpool2d_1"]
    }
    x, y = window.graph.nodes["maxpool2d_1"].pos or (0.0, 0.0)
    dropped = window.viewer.mapToScene(target.toPoint())
    assert abs(x - dropped.x()) < 2  # where the mouse let go (within a pixel)
    assert abs(y - dropped.y()) < 2
    assert window.windowTitle().startswith("lenet5.yaml*")
    press(window, "Ctrl+Z")
    assert list(window.graph.nodes) == ids
    assert window.windowTitle().startswith("lenet5.yaml —")  # back at the saved state
    out = tmp_path / "after_drop.yaml"
    press(window, "Ctrl+Shift+Z")
    assert window.save_to(out)
    assert list(load_graph(out).nodes) == [*ids, "maxpool2d_1"]
    window.lock.set(True, "locked")
    assert not window.viewer.acceptDrops()


def test_a_layer_dropped_on_a_wire_goes_into_it_as_one_step(
    window: MainWindow, tmp_path: Path
) -> None:
    """Dropping Dropout from the palette onto the c1 → s2 wire: c1 → dropout → s2, the
    shapes follow, and one Ctrl+Z takes the whole insert back."""
    window.open_file(LENET, ask=False)
    before = {i: list(n.inputs) for i, n in window.graph.nodes.items()}
    positions_before = {
        i: window.canvas.node(i).view.sceneBoundingRect().topLeft() for i in window.graph.nodes
    }
    out_port = port_centre(window, "c1", "out")
    in_port = port_centre(window, "s2", "in")
    on_wire = (out_port + in_port) / 2
    drop_from_palette(window, "Dropout", on_wire)
    assert window.graph.nodes["dropout_1"].inputs == ["c1"]
    assert window.graph.nodes["s2"].inputs == ["dropout_1"]
    assert window.params.node_id == "dropout_1"  # selected, ready to edit
    assert "6×28×28" in window.canvas.face_text("dropout_1")  # its shape is on its face
    # It takes s2's place and the chain below moves down one layer: nothing overlaps.
    rects = {i: window.canvas.node(i).view.sceneBoundingRect() for i in window.graph.nodes}
    assert rects["dropout_1"].topLeft() == positions_before["s2"]
    assert not any(rects[a].intersects(rects[b]) for a in rects for b in rects if a < b)
    assert window.undo_action.text() == "&Undo insert dropout_1 between c1 and s2"
    press(window, "Ctrl+Z")
    assert {i: list(n.inputs) for i, n in window.graph.nodes.items()} == before
    assert {
        i: window.canvas.node(i).view.sceneBoundingRect().topLeft() for i in window.graph.nodes
    } == positions_before
    press(window, "Ctrl+Shift+Z")
    out = tmp_path / "inserted.yaml"
    assert window.save_to(out)
    assert load_graph(out).nodes["s2"].inputs == ["dropout_1"]
    # An Input cannot go into a wire (it has no input): it is added beside, nothing rewired.
    wire = (port_centre(window, "c3", "out") + port_centre(window, "s4", "in")) / 2
    drop_from_palette(window, "Input", wire)
    assert window.graph.nodes["s4"].inputs == ["c3"]
    assert "input_1" in window.graph.nodes


def test_a_layer_dropped_on_a_concat_wire_keeps_the_concat_input_order(
    window: MainWindow, tmp_path: Path
) -> None:
    net = tmp_path / "cat.yaml"
    net.write_text(
        "convas: 1\nname: cat\nnodes:\n"
        "  - {id: x, type: Input, params: {channels: 3, height: 8, width: 8}, pos: [0, 0]}\n"
        "  - {id: a, type: Conv2D, inputs: [x], pos: [-150, 132]}\n"
        "  - {id: b, type: Conv2D, params: {filters: 8}, inputs: [x], pos: [150, 132]}\n"
        "  - {id: cat, type: Concat, inputs: [a, b], pos: [0, 400]}\n"
    )
    window.open_file(net, ask=False)
    on_wire = (port_centre(window, "a", "out") + port_centre(window, "cat", "in")) / 2
    drop_from_palette(window, "Dropout", on_wire)
    assert window.graph.nodes["cat"].inputs == ["dropout_1", "b"]


def wire_path(window: MainWindow, source: str, target: str) -> QtGui.QPainterPath:
    """The drawn line of the wire source → target, in scene coordinates."""
    start, end = window.canvas.node(source).view, window.canvas.node(target).view
    for item in window.viewer.scene().items():
        if not isinstance(item, PipeItem) or not hasattr(item, "output_port"):
            continue  # the wire slicer's line is a pipe too
        ends = (getattr(item.output_port, "node", None), getattr(item.input_port, "node", None))
        if ends == (start, end):
            return item.mapToScene(item.path())
    raise AssertionError(f"no wire {source} -> {target}")


def test_a_layer_dropped_beside_a_skip_wire_goes_into_the_wire_it_touches(
    window: MainWindow,
) -> None:
    """In a residual block two wires leave stem_relu: the straight one to b1_conv1 and the
    skip curving round the block. A drop on the straight one goes there."""
    window.open_file(ROOT / "examples" / "resnet_mini.yaml", ask=False)
    skip_targets = [i for i, n in window.graph.nodes.items() if "stem_relu" in n.inputs]
    assert len(skip_targets) == 2
    on_wire = (port_centre(window, "stem_relu", "out") + port_centre(window, "b1_conv1", "in")) / 2
    drop_from_palette(window, "Dropout", on_wire)
    assert window.graph.nodes["b1_conv1"].inputs == ["dropout_1"]
    assert window.graph.nodes["dropout_1"].inputs == ["stem_relu"]
    now = {i for i, n in window.graph.nodes.items() if "stem_relu" in n.inputs}
    assert now == {"dropout_1" if i == "b1_conv1" else i for i in skip_targets}
    # The block moved down to make room; the skip wire still goes round it, not behind.
    (join,) = now - {"dropout_1"}
    skip = wire_path(window, "stem_relu", join)
    for other in window.graph.nodes:
        if other not in ("stem_relu", join):
            body = window.canvas.node(other).view.sceneBoundingRect().adjusted(2, 8, -2, -8)
            points = (skip.pointAtPercent(k / 400) for k in range(401))
            assert not any(body.contains(p) for p in points), f"skip wire behind {other}"


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
    qtbot.keyClicks(popup.field, "batchnorm")
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
    window.lock.set(True, "locked")
    window.open_search()
    assert not window.search.isVisible()


def test_edges_tell_the_tensor_shape_they_carry(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    assert window.canvas.edge_tooltip("c1", "s2") == "c1 → s2: tensor 6×28×28"
    assert window.canvas.edge_tooltip("flatten", "f5") == "flatten → f5: tensor 400"
    set_param(window, "c1", "filters", 8)
    assert window.canvas.edge_tooltip("c1", "s2") == "c1 → s2: tensor 8×28×28"
    set_param(window, "c3", "kernel", 20)
    assert "unknown" in window.canvas.edge_tooltip("c3", "s4")
    _show_node(window, "s2")
    assert hover_text(window, port_centre(window, "s2", "in")) == "tensor 8×28×28"


def test_auto_layout_puts_branches_in_lanes_and_undoes_in_one_step(window: MainWindow) -> None:
    window.open_file(ROOT / "examples" / "resnet_mini.yaml", ask=False)
    window.document.execute(Move(dict.fromkeys(window.graph.nodes, (0.0, 0.0))))  # scramble
    press(window, "Ctrl+L")
    settle()
    positions = {n: node.pos for n, node in window.graph.nodes.items()}
    assert len(set(positions.values())) == len(positions)  # nobody on top of anybody
    for node in window.graph.nodes.values():  # data flows top to bottom
        for source in node.inputs:
            assert positions[source][1] < positions[node.id][1]  # type: ignore[index]
    press(window, "Ctrl+Z")
    settle()
    assert all(node.pos == (0.0, 0.0) for node in window.graph.nodes.values())


def test_importing_a_torch_model_opens_it_as_a_new_graph_with_its_weights(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot: Any
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
    title = window.conv_view.title
    qtbot.waitUntil(
        lambda: title.text().endswith("weights imported from TinyNet"), timeout=30000
    )  # torch loads in the background first
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


def test_port_tooltips_follow_upstream_changes_the_face_does_not_show(window: MainWindow) -> None:
    window.open_file(ROOT / "examples" / "resnet_mini.yaml", ask=False)
    c = window.canvas
    gap = next(n for n in window.graph.nodes.values() if n.type == "GlobalAvgPool2D")
    _show_node(window, gap.id)
    assert hover_text(window, port_centre(window, gap.id, "in")) == "tensor 32×14×14"
    face = c.face_text(gap.id)
    first_input = next(n for n in window.graph.nodes.values() if n.type == "Input")
    set_param(window, first_input.id, "height", 56)  # spatial size changes, channels do not
    set_param(window, first_input.id, "width", 56)
    assert c.face_text(gap.id) == face == "32"
    assert hover_text(window, port_centre(window, gap.id, "in")) == "tensor 32×28×28"


def test_undo_and_redo_keys_work_with_the_focus_on_the_canvas(
    window: MainWindow, qtlog: Any
) -> None:
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "c3"))
    kernel = window.params.editors["kernel"]
    assert isinstance(kernel, PairEditor)
    kernel.height_spin.setFocus()
    kernel.height_spin.selectAll()
    QtWidgets.QApplication.processEvents()
    from PySide6.QtTest import QTest

    QTest.keyClicks(kernel.height_spin, "3")
    QTest.keyClick(kernel.height_spin, QtCore.Qt.Key.Key_Return)
    assert window.graph.nodes["c3"].params["kernel"] == 3
    assert window.undo_action.text() == "&Undo c3 Kernel = 3"
    press(window, "Ctrl+Z")  # focus on the canvas
    assert window.graph.nodes["c3"].params["kernel"] == 5
    assert kernel.value() == 5
    press(window, "Ctrl+Shift+Z")
    assert window.graph.nodes["c3"].params["kernel"] == 3
    press(window, "Ctrl+Y")
    assert not any("Ambiguous" in r.message for r in qtlog.records)


def test_dragging_selected_nodes_moves_them_in_one_undo_step(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    viewport = window.viewer.viewport()
    window.canvas.select(["c1", "s2"])  # e.g. by rubber band
    assert set(window.selection.ids) == {"c1", "s2"}
    before = {n: window.graph.nodes[n].pos for n in ("c1", "s2", "c3")}
    start = node_centre(window, "c1")
    drag(viewport, start, QtCore.QPointF(start.x() + 30, start.y() + 60))
    after = {n: window.graph.nodes[n].pos for n in ("c1", "s2", "c3")}
    assert after["c1"] != before["c1"]
    assert after["s2"] != before["s2"]
    assert after["c3"] == before["c3"]
    assert len(window.document.history.done) == 1
    press(window, "Ctrl+Z")
    assert {n: window.graph.nodes[n].pos for n in ("c1", "s2", "c3")} == before
    assert tuple(window.canvas.node("c1").view.xy_pos) == before["c1"]


def test_delete_key_removes_the_selection_and_help_forgets_it(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "s4"))
    assert "AvgPool2D" in window.help.toPlainText()
    press(window, "Delete")
    assert "s4" not in window.graph.nodes
    assert window.canvas.node("s4") is None
    assert window.selection.ids == ()
    assert window.help.toPlainText().startswith("Layer help")
    assert window.params.node_id is None
    assert "input is not connected" in window.canvas.face_tooltip("flatten")
    press(window, "Ctrl+Z")
    assert list(window.graph.nodes) == list(load_graph(LENET).nodes)
    assert window.canvas.scene_state()["flatten"][1] == ["s4"]


def test_ctrl_delete_takes_a_layer_out_of_the_chain_and_closes_the_wire(
    window: MainWindow,
) -> None:
    """Select s2, press Ctrl+Delete on the canvas: c1 now feeds c3 directly, the shapes
    downstream follow (no problem appears), and one Ctrl+Z puts s2 back in between."""
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "s2"))
    press(window, "Ctrl+Delete")
    assert "s2" not in window.graph.nodes
    assert window.graph.nodes["c3"].inputs == ["c1"]
    assert window.canvas.scene_state()["c3"][1] == ["c1"]  # the wire on the canvas too
    assert "16×24×24" in window.canvas.face_text("c3")  # from c1's 28×28, not s2's 14×14
    assert window.undo_action.text() == "&Undo delete s2 and reconnect"
    press(window, "Ctrl+Z")
    assert list(window.graph.nodes) == list(load_graph(LENET).nodes)
    assert window.graph.nodes["c3"].inputs == ["s2"]


def test_renaming_in_the_panel_is_the_only_way_ids_change(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.select("c1")
    id_edit = window.params.editors["id"]
    assert isinstance(id_edit, QtWidgets.QLineEdit)
    id_edit.setText("conv_a")
    id_edit.editingFinished.emit()
    assert "conv_a" in window.graph.nodes
    assert window.graph.nodes["s2"].inputs == ["conv_a"]
    assert window.canvas.scene_state()["conv_a"][2] == "conv_a"
    assert window.params.node_id == "conv_a"
    press(window, "Ctrl+Z")
    assert list(window.graph.nodes) == list(load_graph(LENET).nodes)
    assert id_edit.text() == "c1"


def test_selecting_a_node_brings_parameters_over_training(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    window.training_dock.raise_()
    settle()
    assert window.training.isVisible()
    click(window.viewer.viewport(), node_centre(window, "f5"))
    settle()
    assert window.params.isVisible()
    assert window.params.node_id == "f5"


def test_adam_has_no_momentum_field(window: MainWindow) -> None:
    form = window.training.form
    form.set_value("optimizer", "Adam")
    assert form.editors["momentum"].isHidden()
    form.set_value("optimizer", "SGD")
    assert not form.editors["momentum"].isHidden()


def test_save_weights_says_there_are_none_before_asking_for_a_name(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(LENET, ask=False)
    told: list[str] = []
    asked: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "information", lambda _p, title, _text: told.append(title)
    )
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: asked.append("name") or ("", "")
    )
    window.save_weights_dialog()
    assert told == ["No weights to save"]
    assert asked == []


def test_file_dialogs_open_in_the_open_files_folder(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    copy = folder / "lenet.yaml"
    copy.write_text(LENET.read_text(), encoding="utf-8")
    window.open_file(copy, ask=False)
    seen: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getSaveFileName",
        lambda _p, _t, start, _f: seen.append(start) or ("", ""),
    )
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getOpenFileName",
        lambda _p, _t, start, _f: seen.append(start) or ("", ""),
    )
    window.save_as()
    window.export("py")
    window.open_dialog()
    assert seen == [str(folder / "lenet5.yaml"), str(folder / "lenet5.py"), str(folder)]


def test_the_import_dialog_suggests_the_shape_the_model_runs_on(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "cifar.py"
    source.write_text(
        "from torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 4, 5)\n"
        "        self.head = nn.Linear(4 * 28 * 28, 10)\n\n"
        "    def forward(self, x):\n"
        "        return self.head(self.conv(x).flatten(1))\n",
        encoding="utf-8",
    )
    offered: list[str] = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(source), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("Net", True))

    def get_text(*args: Any, text: str = "", **kwargs: Any) -> tuple[str, bool]:
        offered.append(text)
        return text, True

    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", get_text)
    window.import_torch_dialog()
    assert offered == ["3x32x32"]
    assert [n.type for n in window.graph.nodes.values()][:2] == ["Input", "Conv2D"]
    errors: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "critical", lambda _parent, _title, text: errors.append(text)
    )
    assert not window.import_torch(source, "Net", "3x28x28")
    assert "--input" not in errors[-1]
    assert errors[-1].endswith("The model runs on a 3×32×32 input: try that.")


def test_tab_search_adds_at_the_cursor_with_the_focus_on_the_canvas(
    window: MainWindow, qtbot: Any
) -> None:
    window.open_file(LENET, ask=False)
    focus_canvas(window)
    press(window, "Tab")
    assert window.search.isVisible()
    qtbot.keyClicks(window.search.field, "dropout")
    qtbot.keyClick(window.search.field, QtCore.Qt.Key.Key_Return)
    assert list(window.graph.nodes)[-1] == "dropout_1"
    assert window.selection.ids == ("dropout_1",)
    # the keyboard is back on the canvas: the next Ctrl+Z (typed, not aimed) undoes it
    focused = QtWidgets.QApplication.focusWidget()
    assert focused is window.viewer
    qtbot.keyClick(focused, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert "dropout_1" not in window.graph.nodes


def test_a_preset_dropped_from_the_palette_keeps_its_settings(window: MainWindow) -> None:
    window.open_file(RESNET, ask=False)
    viewport = window.viewer.viewport()
    drop_from_palette(window, "Depthwise Conv2D", QtCore.QPointF(viewport.width() / 2, 40))
    node = window.graph.nodes[list(window.graph.nodes)[-1]]
    assert node.type == "Conv2D"
    assert node.params["depthwise"] is True
    press(window, "Ctrl+Z")
    assert node.id not in window.graph.nodes


def test_summary_and_status_bar_show_training_memory_once_edits_pause(
    window: MainWindow, qtbot: Any
) -> None:
    window.open_file(LENET, ask=False)
    table = window.summary
    column = len(table.HEADERS) - 1
    total_row = len(window.graph.nodes)
    qtbot.waitUntil(
        lambda: (
            "at batch 64" in (table.item(total_row, column) or QtWidgets.QTableWidgetItem()).text()
        ),
        timeout=3000,
    )
    assert table.item(1, column).text().endswith(("KB", "MB", "kB", "B"))
    qtbot.waitUntil(lambda: "training needs" in window.status_label.text(), timeout=3000)
    set_param(window, "c1", "kernel", 40)  # invalid: no estimate to show
    qtbot.waitUntil(lambda: table.item(total_row, column).text() == "", timeout=3000)


def test_the_status_bar_shows_the_graph_again_after_a_message(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    """Ctrl+S says "saved …" for a few seconds; then the counts are back, not an empty
    bar (they used to be a message that the next message replaced for good)."""
    net = tmp_path / "lenet.yaml"
    net.write_bytes(LENET.read_bytes())
    window.open_file(net, ask=False)
    set_param(window, "c1", "filters", 8)
    press(window, "Ctrl+S")
    assert window.statusBar().currentMessage() == f"saved {net}"
    assert not window.status_label.isVisible()  # the message covers the counts
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=8000)
    assert window.status_label.isVisible()
    assert window.status_label.text().startswith("9 nodes · 62.6k params · output 10 · valid")


def test_function_settings_show_only_for_the_function_that_reads_them(
    window: MainWindow,
) -> None:
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "c1"))
    settle()
    panel = window.params
    slope, alpha = panel.editors["negative_slope"], panel.editors["alpha"]
    assert not slope.isVisible()  # c1 uses Tanh
    assert not alpha.isVisible()
    combo = panel.editors["activation"].combo  # type: ignore[attr-defined]
    combo.setCurrentText("LeakyReLU")
    settle()
    assert window.graph.nodes["c1"].params["activation"] == "LeakyReLU"
    assert slope.isVisible()
    assert not alpha.isVisible()
    press(window, "Ctrl+Z")
    settle()
    assert combo.currentText() == "Tanh"
    assert not slope.isVisible()


def test_ctrl_x_cuts_and_ctrl_v_puts_the_layers_back_where_they_were(
    window: MainWindow,
) -> None:
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "s4"))
    where = window.graph.nodes["s4"].pos
    press(window, "Ctrl+X")
    assert "s4" not in window.graph.nodes
    assert window.undo_action.text() == "&Undo cut s4"
    press(window, "Ctrl+V")
    (pasted,) = window.selection.ids
    assert window.graph.nodes[pasted].type == "AvgPool2D"
    assert window.graph.nodes[pasted].pos == where


def test_zoom_keys_zoom_about_the_middle_of_the_canvas(window: MainWindow) -> None:
    window.open_file(LENET, ask=False)
    viewer = window.viewer
    viewer.zoom_to(1.0)
    middle = viewer.mapToScene(viewer.viewport().rect().center())
    press(window, "Ctrl+=")
    assert viewer.scale_factor() == pytest.approx(1.25, rel=1e-3)
    press(window, "Ctrl+-")
    press(window, "Ctrl+-")
    assert viewer.scale_factor() == pytest.approx(0.8, rel=1e-3)
    press(window, "Ctrl+0")
    assert viewer.scale_factor() == pytest.approx(1.0, rel=1e-3)
    after = viewer.mapToScene(viewer.viewport().rect().center())
    assert abs(after.x() - middle.x()) < 2
    assert abs(after.y() - middle.y()) < 2


def test_a_closed_panel_comes_back_from_the_view_menu_and_the_layout_is_kept(
    window: MainWindow, qtbot: Any
) -> None:
    """Closing the Help panel with its × used to lose it until the next start; now View
    → Panels lists every panel, and the next window opens with the panels as left."""
    window.help_dock.close()
    assert not window.help_dock.isVisible()
    panels = next(
        a.menu()
        for m in window.menuBar().actions()
        if m.text() == "&View"
        for a in m.menu().actions()
        if a.text() == "&Panels"
    )
    help_toggle = next(a for a in panels.actions() if a.text() == "Help")
    assert not help_toggle.isChecked()
    window.close()  # kept with Help closed
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    QtWidgets.QApplication.processEvents()
    assert not again.help_dock.isVisible()
    toggle = again.help_dock.toggleViewAction()
    toggle.trigger()
    assert again.help_dock.isVisible()


def right_click(window: MainWindow, at: QtCore.QPointF, choose: str = "") -> list[str]:
    """Right-click the canvas at ``at``; return the menu's entries, triggering the one
    whose text starts with ``choose`` (or closing the menu)."""
    entries: list[str] = []

    def answer() -> None:
        menu = QtWidgets.QApplication.activePopupWidget()
        assert isinstance(menu, QtWidgets.QMenu)
        entries.extend(a.text() for a in menu.actions() if not a.isSeparator())
        chosen = next((a for a in menu.actions() if choose and a.text().startswith(choose)), None)
        menu.close()
        if chosen is not None:
            chosen.trigger()

    QtCore.QTimer.singleShot(50, answer)
    viewport = window.viewer.viewport()
    point = at.toPoint()
    event = QtGui.QContextMenuEvent(
        QtGui.QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point)
    )
    QtWidgets.QApplication.sendEvent(viewport, event)
    QtWidgets.QApplication.processEvents()
    return entries


def test_right_click_menus_for_a_node_a_wire_and_the_canvas(window: MainWindow, qtbot: Any) -> None:
    window.open_file(LENET, ask=False)
    entries = right_click(window, node_centre(window, "s2"), choose="Delete and &Reconnect")
    assert {"Layer Help", "Cu&t", "&Copy", "&Duplicate", "De&lete"} <= set(entries)
    assert window.graph.nodes["c3"].inputs == ["c1"]  # s2 taken out, the chain closed
    # A wire: insert a layer into it through the search, or delete it.
    on_wire = (port_centre(window, "c3", "out") + port_centre(window, "s4", "in")) / 2
    entries = right_click(window, on_wire, choose="Insert Layer Here")
    assert "Delete Wire c3 → s4" in entries
    assert window.search.isVisible()
    qtbot.keyClicks(window.search.field, "batchnorm")
    qtbot.keyClick(window.search.field, QtCore.Qt.Key.Key_Return)
    assert window.graph.nodes["s4"].inputs == ["batchnorm2d_1"]
    assert window.graph.nodes["batchnorm2d_1"].inputs == ["c3"]
    on_wire = (port_centre(window, "f5", "out") + port_centre(window, "f6", "in")) / 2
    right_click(window, on_wire, choose="Delete Wire")
    assert window.graph.nodes["f6"].inputs == []
    # Empty canvas: add a layer there, paste, lay out, fit.
    corner = QtCore.QPointF(30, 30)
    entries = right_click(window, corner, choose="Add Layer")
    assert {"Add Layer…\tTab", "&Paste", "Auto &Layout", "&Fit to View"} <= set(entries)
    assert window.search.isVisible()


def test_comments_in_the_file_survive_an_edit_and_ctrl_s(
    window: MainWindow, tmp_path: Path
) -> None:
    """A hand-written note about c1 and one at the end of the file are still there
    after changing Filters in the panel and saving."""
    net = tmp_path / "noted.yaml"
    text = LENET.read_text(encoding="utf-8").replace(
        "  - id: c1\n", "  # six maps, as in the paper\n  - id: c1\n"
    )
    net.write_text(text + "# part 2: the classifier\n", encoding="utf-8")
    window.open_file(net, ask=False)
    click(window.viewer.viewport(), node_centre(window, "c1"))
    editor = window.params.editors["filters"]
    assert isinstance(editor, IntEditor)
    editor.spin.setValue(8)
    press(window, "Ctrl+S")
    saved = net.read_text(encoding="utf-8")
    assert "  # six maps, as in the paper\n  - id: c1\n" in saved
    assert "filters: 8" in saved
    assert saved.endswith("# part 2: the classifier\n")


def test_f2_renames_the_selected_node_and_enter_returns_to_the_canvas(
    window: MainWindow, qtbot: Any
) -> None:
    window.open_file(LENET, ask=False)
    click(window.viewer.viewport(), node_centre(window, "c3"))
    press(window, "F2")
    field = window.params.editors["id"]
    assert isinstance(field, QtWidgets.QLineEdit)
    assert field.hasFocus()
    assert field.selectedText() == "c3"
    qtbot.keyClicks(field, "conv2")
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)
    assert "conv2" in window.graph.nodes
    assert window.graph.nodes["s4"].inputs == ["conv2"]
    assert window.viewer.hasFocus()  # Ctrl+Z now acts on the graph
    press(window, "Ctrl+Z")
    assert "c3" in window.graph.nodes
