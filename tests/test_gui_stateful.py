"""A model-based test of the editor: random gesture sequences on every example graph.

Each step is something a user does with the mouse and keyboard — drop a layer from
the palette (on empty canvas or onto a wire), add one with Tab-search, drag a wire
between ports, drag a wire off an input, click a node and press Delete or
Ctrl+Delete, Ctrl+C / Ctrl+V, Ctrl+X / Ctrl+V, type a value in the
Parameters panel, rename, drag a node, Ctrl+L, Ctrl+Z, Ctrl+Shift+Z — sent as real
Qt events to a shown window. After every step the canvas must show exactly the
document (ids, wires, node text, positions) and the report must be the full
inference; at the end, undoing everything gives back the opened file byte for byte
and redoing everything gives the final graph.

``CONVAS_GUI_STEPS`` (default 120 per sequence) and ``CONVAS_GUI_EXAMPLES`` (default 3 sequences
per graph) make longer runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

import nodes
from app.gui.main_window import MainWindow
from app.gui.param_editors import IntEditor, ParamEditor
from app.training.warmup import start_background_warm_up, wait_until_warm
from graph_io import infer
from graph_io.summary import shape_text
from graph_io.yaml_io import dumps_graph
from tests.conftest import (
    click,
    drag,
    drop_from_palette,
    editor_window,
    node_centre,
    port_centre,
    press,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
STEPS = int(os.environ.get("CONVAS_GUI_STEPS", "120"))
SEQUENCES = int(os.environ.get("CONVAS_GUI_EXAMPLES", "3"))
TITLES = {spec.title: spec.type for spec in nodes.all_layers()}
pytestmark = [pytest.mark.gui, pytest.mark.slow]
GESTURES = [
    "palette_drop",
    "insert_on_wire",
    "tab_search_add",
    "connect",
    "disconnect",
    "delete",
    "delete_reconnecting",
    "copy_paste",
    "cut_paste",
    "set_param",
    "rename",
    "move",
    "auto_layout",
    "undo",
    "redo",
]


class Gestures(RuleBasedStateMachine):
    """The user's gestures as rules; the document and the scene as the model."""

    window: MainWindow
    path: Path

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.log: list[str] = []

    @initialize()
    def open(self) -> None:
        win = self.window
        assert win.open_file(self.path, ask=False)
        QtWidgets.QApplication.processEvents()
        self.opened = dumps_graph(win.graph)

    # ---- helpers ----------------------------------------------------------------------
    def _ids(self) -> list[str]:
        return list(self.window.graph.nodes)

    def _show(self, node_id: str) -> None:
        """Scroll the node into view, as a user pans to it."""
        self.window.canvas.show_node(node_id)
        QtWidgets.QApplication.processEvents()

    def _empty_spot(self) -> QtCore.QPointF | None:
        viewer = self.window.viewer
        rect = viewer.viewport().rect()
        for fx, fy in ((0.05, 0.95), (0.95, 0.05), (0.95, 0.95), (0.05, 0.05), (0.5, 0.97)):
            point = QtCore.QPoint(int(rect.width() * fx), int(rect.height() * fy))
            if not viewer.items(point):
                return QtCore.QPointF(point)
        return None

    def _select(self, node_id: str) -> str | None:
        """Click the node; the id the click selected (another node stacked on top of
        it, as for a user, or None when the click hit a wire or nothing)."""
        self._show(node_id)
        click(self.window.viewer.viewport(), node_centre(self.window, node_id))
        chosen = self.window.selection.ids
        return chosen[0] if len(chosen) == 1 else None

    # ---- gestures ----------------------------------------------------------------------
    @rule(data=st.data())
    def gesture(self, data: st.DataObject) -> None:
        """One gesture, chosen afresh each step (so every sequence mixes them all)."""
        name = data.draw(st.sampled_from(GESTURES))
        self.log.append(name)
        getattr(self, name)(data)

    def palette_drop(self, data: st.DataObject) -> None:
        title = data.draw(st.sampled_from(sorted(TITLES)))
        fx, fy = data.draw(st.floats(0.2, 0.8)), data.draw(st.floats(0.2, 0.8))
        viewport = self.window.viewer.viewport()
        before = len(self.window.graph.nodes)
        at = QtCore.QPointF(viewport.width() * fx, viewport.height() * fy)
        drop_from_palette(self.window, title, at)
        assert len(self.window.graph.nodes) == before + 1

    def insert_on_wire(self, data: st.DataObject) -> None:
        """Drop a layer from the palette halfway along a wire (into it, when the wire
        runs straight there; beside it otherwise)."""
        edges = self.window.graph.edges()
        if not edges:
            return
        source, target = data.draw(st.sampled_from(edges))
        title = data.draw(st.sampled_from(sorted(TITLES)))
        press(self.window, "F")
        middle = (
            port_centre(self.window, source, "out") + port_centre(self.window, target, "in")
        ) / 2
        before = len(self.window.graph.nodes)
        drop_from_palette(self.window, title, middle)
        assert len(self.window.graph.nodes) == before + 1

    def tab_search_add(self, data: st.DataObject) -> None:
        layer = data.draw(st.sampled_from(sorted(TITLES.values())))
        press(self.window, "Tab")
        popup = self.window.search
        assert popup.isVisible()
        QTest.keyClicks(popup.field, layer)
        if layer not in popup.visible_types():
            QTest.keyClick(popup.field, QtCore.Qt.Key.Key_Escape)
            return
        while popup.list.currentItem().data(QtCore.Qt.ItemDataRole.UserRole) != layer:
            QTest.keyClick(popup.field, QtCore.Qt.Key.Key_Down)
        QTest.keyClick(popup.field, QtCore.Qt.Key.Key_Return)
        assert self.window.graph.nodes[self._ids()[-1]].type == layer

    def connect(self, data: st.DataObject) -> None:
        if len(self.window.graph.nodes) < 2:
            return
        ids = self._ids()
        source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        item = self.window.canvas.node(target)
        if source == target or not item.input_ports():
            return
        press(self.window, "F")  # fit both in view
        drag(
            self.window.viewer.viewport(),
            port_centre(self.window, source, "out"),
            port_centre(self.window, target, "in"),
        )

    def disconnect(self, data: st.DataObject) -> None:
        """Drag a wire's end off a single-input port and let go on empty canvas."""
        graph = self.window.graph
        single = [
            (s, t)
            for s, t in graph.edges()
            if not nodes.get(graph.nodes[t].type).takes_many_inputs and s in graph.nodes
        ]
        if not single:
            return
        _source, target = data.draw(st.sampled_from(single))
        self._show(target)
        spot = self._empty_spot()
        if spot is None:
            return
        drag(self.window.viewer.viewport(), port_centre(self.window, target, "in"), spot)

    def delete(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        node_id = self._select(data.draw(st.sampled_from(self._ids())))
        if node_id is None:
            return
        press(self.window, "Delete")
        assert node_id not in self.window.graph.nodes

    def delete_reconnecting(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        node_id = self._select(data.draw(st.sampled_from(self._ids())))
        if node_id is None:
            return
        press(self.window, "Ctrl+Delete")
        assert node_id not in self.window.graph.nodes

    def cut_paste(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        node_id = self._select(data.draw(st.sampled_from(self._ids())))
        if node_id is None:
            return
        before = len(self.window.graph.nodes)
        press(self.window, "Ctrl+X")
        assert node_id not in self.window.graph.nodes
        press(self.window, "Ctrl+V")
        assert len(self.window.graph.nodes) == before

    def copy_paste(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        if self._select(data.draw(st.sampled_from(self._ids()))) is None:
            return
        before = len(self.window.graph.nodes)
        press(self.window, "Ctrl+C")
        press(self.window, "Ctrl+V")
        assert len(self.window.graph.nodes) == before + 1

    def set_param(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        node_id = self._select(data.draw(st.sampled_from(self._ids())))
        if node_id is None:
            return
        spec = nodes.get(self.window.graph.nodes[node_id].type)
        if not spec.params:
            return
        param = data.draw(st.sampled_from(spec.params))
        editor = self.window.params.editors[param.name]
        if isinstance(editor, IntEditor):
            value = data.draw(st.integers(1, 64))
            editor.spin.setFocus()
            editor.spin.selectAll()
            QTest.keyClicks(editor.spin, str(value))
            QTest.keyClick(editor.spin, QtCore.Qt.Key.Key_Return)
        elif isinstance(editor, ParamEditor) and param.choices:
            editor.set_value(data.draw(st.sampled_from(list(param.choices))))
            editor.edited.emit(editor.value())
        QtWidgets.QApplication.processEvents()

    def rename(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        new = data.draw(st.sampled_from(["stem", "block_a", "head", "for", "c1", "x y"]))
        node_id = data.draw(st.sampled_from(self._ids()))
        if self._select(node_id) is None:
            return
        field = self.window.params.editors["id"]
        assert isinstance(field, QtWidgets.QLineEdit)
        field.setFocus()
        field.selectAll()
        QTest.keyClicks(field, new)
        QTest.keyClick(field, QtCore.Qt.Key.Key_Return)
        QtWidgets.QApplication.processEvents()

    def move(self, data: st.DataObject) -> None:
        if not self.window.graph.nodes:
            return
        dx, dy = data.draw(st.integers(-120, 120)), data.draw(st.integers(-120, 120))
        node_id = data.draw(st.sampled_from(self._ids()))
        self._show(node_id)
        start = node_centre(self.window, node_id)
        drag(self.window.viewer.viewport(), start, QtCore.QPointF(start.x() + dx, start.y() + dy))

    def auto_layout(self, data: st.DataObject) -> None:
        press(self.window, "Ctrl+L")

    def undo(self, data: st.DataObject) -> None:
        press(self.window, "Ctrl+Z")

    def redo(self, data: st.DataObject) -> None:
        press(self.window, "Ctrl+Shift+Z")

    # ---- what must always hold ------------------------------------------------------
    @invariant()
    def canvas_shows_the_document(self) -> None:
        self.steps += 1
        win = self.window
        graph = win.graph
        expected = {
            n.id: (n.type, sorted(s for s in n.inputs if s in graph.nodes), n.id)
            for n in graph.nodes.values()
        }
        assert win.canvas.scene_state() == expected
        report = infer(graph)
        assert list(win.document.report.results.items()) == list(report.results.items())
        for node_id, result in report.results.items():
            text = win.canvas.face_text(node_id)
            if result.shape is not None:
                assert text.startswith(shape_text(result.shape)), (node_id, text)
            else:
                assert text in ("error", "?"), (node_id, text)
            pos = graph.nodes[node_id].pos
            if pos is not None:
                view_pos = win.canvas.node(node_id).view.xy_pos
                shown = (round(view_pos[0], 3), round(view_pos[1], 3))
                assert shown == (round(pos[0], 3), round(pos[1], 3)), (node_id, self.log[-3:])

    def teardown(self) -> None:
        win = self.window
        final = dumps_graph(win.graph)
        if os.environ.get("CONVAS_GUI_DEBUG"):
            labels = [c.label for c in win.document.history.done]
            print(self.steps, len(labels), labels[:8], sorted(set(self.log)))
        undone = 0
        while win.document.can_undo:
            press(win, "Ctrl+Z")
            undone += 1
        assert dumps_graph(win.graph) == self.opened
        assert not win.dirty
        for _ in range(undone):
            press(win, "Ctrl+Shift+Z")
        assert dumps_graph(win.graph) == final
        Gestures.total_steps[self.path.name] = Gestures.total_steps.get(self.path.name, 0) + (
            self.steps
        )

    total_steps: dict[str, int] = {}  # noqa: RUF012 - a tally across runs, read by the test


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_random_gestures_keep_canvas_and_document_in_step(
    example: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window: MainWindow = editor_window(qtbot, monkeypatch, tmp_path / "config")
    window.activateWindow()
    # The window imports torch (and numpy) on a background thread; hypothesis looks at
    # sys.modules["numpy"] directly and could catch it half-initialised: let it finish.
    start_background_warm_up()
    assert wait_until_warm(timeout=120)
    Gestures.window = window
    Gestures.path = example
    Gestures.total_steps.pop(example.name, None)
    run_state_machine_as_test(
        Gestures,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # the GUI is the state: replaying to shrink is not exact
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert Gestures.total_steps[example.name] >= 200  # gestures on this graph in all
