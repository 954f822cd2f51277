"""The editing document: commands, exact inverses, history and incremental inference.

A hypothesis state machine edits the example graphs with random commands — valid
and invalid — and checks after every step that the incrementally updated report is
exactly the full inference, that a refused command changed nothing, and at the end
that undoing everything gives back the opened file byte for byte and redoing
everything gives the final one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import nodes
from graph_io import Graph, Node, infer
from graph_io.editing import (
    AddNodes,
    Change,
    Command,
    Compound,
    Connect,
    Disconnect,
    Document,
    Move,
    RemoveNodes,
    Rename,
    SetParam,
    SetTraining,
    delete_and_reconnect,
    fragment_of,
    paste_nodes,
)
from graph_io.shapes import Report
from graph_io.yaml_io import dumps_graph, load_graph, loads_graph
from nodes.errors import ConvasError

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
STEPS = int(os.environ.get("CONVAS_STATEFUL_STEPS", "60"))
EXAMPLES_PER_RUN = int(os.environ.get("CONVAS_STATEFUL_EXAMPLES", "12"))
LAYER_TYPES = [spec.type for spec in nodes.all_layers()]


def same_report(a: Report, b: Report) -> bool:
    return (
        list(a.results.items()) == list(b.results.items())
        and a.problems == b.problems
        and a.order == b.order
        and a.output == b.output
    )


def lenet() -> Document:
    return Document(load_graph(Path(__file__).resolve().parents[1] / "examples/lenet5.yaml"))


# ---- plain examples ---------------------------------------------------------------------
def test_a_parameter_edit_reinfers_only_downstream_and_merges_into_one_step() -> None:
    doc = lenet()
    seen: list[Any] = []
    doc.subscribe(seen.append)
    doc.execute(SetParam("c1", "filters", 8))
    doc.execute(SetParam("c1", "filters", 10))  # a spin box stepped twice: one step
    assert doc.graph.nodes["c1"].params["filters"] == 10
    assert len(doc.history.done) == 1
    assert doc.history.undo_label == "c1 Filters = 10"
    assert seen[-1].change == Change(params=frozenset({"c1"}))
    assert "c1" in seen[-1].results
    assert "c3" in seen[-1].results
    assert same_report(doc.report, infer(doc.graph))
    doc.undo()
    assert doc.graph.nodes["c1"].params["filters"] == 6
    assert not doc.dirty


def test_sealing_keeps_separate_edits_of_one_field_apart() -> None:
    doc = lenet()
    doc.execute(SetParam("c1", "filters", 8))
    doc.seal()  # e.g. the user selected another node and came back
    doc.execute(SetParam("c1", "filters", 10))
    assert len(doc.history.done) == 2


def test_undo_back_to_the_save_point_clears_the_unsaved_mark() -> None:
    doc = lenet()
    doc.execute(SetParam("c1", "kernel", 3))
    doc.mark_saved()
    assert not doc.dirty
    doc.execute(SetParam("c1", "kernel", 7))  # not merged across the save
    assert doc.dirty
    doc.undo()
    assert not doc.dirty
    doc.undo()
    assert doc.dirty
    doc.redo()
    assert not doc.dirty


def test_a_refused_command_changes_nothing_and_is_not_recorded() -> None:
    doc = lenet()
    before = dumps_graph(doc.graph)
    with pytest.raises(ConvasError, match="cycle"):
        doc.execute(Compound("rewire", [Disconnect("input", "c1"), Connect("output", "c1")]))
    with pytest.raises(ConvasError, match="must be"):
        doc.execute(SetParam("c1", "kernel", -3))
    fix = Compound("fix", [SetParam("c1", "kernel", 3), Rename("c3", "c1")])
    with pytest.raises(ConvasError, match="already exists"):
        doc.execute(fix)
    assert dumps_graph(doc.graph) == before
    assert not doc.history.done


def test_remove_then_undo_restores_order_and_input_order() -> None:
    doc = Document()
    doc.execute(
        AddNodes(
            [
                Node("x", "Input", {}, [], (0, 0)),
                Node("a", "Conv2D", {"padding": "Same"}, ["x"], (1, 0)),
                Node("b", "Conv2D", {"padding": "Same"}, ["x"], (1, 1)),
                Node("cat", "Concat", {}, ["b", "a"], (2, 0)),
            ]
        )
    )
    before = dumps_graph(doc.graph)
    doc.execute(RemoveNodes(["b", "x"]))
    assert list(doc.graph.nodes) == ["a", "cat"]
    assert doc.graph.nodes["cat"].inputs == ["a"]
    doc.undo()
    assert dumps_graph(doc.graph) == before


def test_paste_gets_fresh_ids_inner_edges_and_an_offset() -> None:
    doc = lenet()
    text = fragment_of(doc.graph, ["c1", "s2"])
    command = paste_nodes(doc.graph, text, (40, 40))
    doc.execute(command)
    assert list(doc.graph.nodes)[-2:] == ["c1_1", "s2_1"]
    assert doc.graph.nodes["s2_1"].inputs == ["c1_1"]
    assert doc.graph.nodes["c1_1"].inputs == []  # its input was outside the selection
    x, y = doc.graph.nodes["c1"].pos or (0, 0)
    assert doc.graph.nodes["c1_1"].pos == (x + 40, y + 40)
    doc.undo()
    doc.redo()  # redo puts the copy where the paste did, not on the original
    assert doc.graph.nodes["c1_1"].pos == (x + 40, y + 40)


def test_replacing_the_document_starts_a_new_history() -> None:
    doc = lenet()
    doc.execute(SetParam("c1", "kernel", 3))
    updates: list[Any] = []
    doc.subscribe(updates.append)
    doc.replace(Graph("fresh"), None, dirty=True)
    assert updates[-1].change.replaced
    assert not doc.can_undo
    assert doc.dirty


def test_delete_and_reconnect_bridges_a_chain_and_keeps_input_slots() -> None:
    graph = loads_graph(
        """
convas: 1
name: g
nodes:
  - {id: x, type: Input, params: {channels: 3, height: 8, width: 8}}
  - {id: a, type: Conv2D, inputs: [x]}
  - {id: bn, type: BatchNorm2D, inputs: [a]}
  - {id: relu, type: Activation, inputs: [bn]}
  - {id: b, type: Conv2D, inputs: [x]}
  - {id: cat, type: Concat, inputs: [relu, b]}
"""
    )
    doc = Document(graph)
    before = dumps_graph(doc.graph)
    doc.execute(delete_and_reconnect(doc.graph, ["bn", "relu"]))  # a run of two layers
    assert doc.graph.nodes["cat"].inputs == ["a", "b"]  # the Concat's first slot stays first
    assert doc.history.undo_label == "delete 2 nodes and reconnect"
    doc.undo()
    assert dumps_graph(doc.graph) == before
    doc.execute(delete_and_reconnect(doc.graph, ["cat"]))  # several inputs: nothing to bridge
    assert "cat" not in doc.graph.nodes


# ---- the state machine ------------------------------------------------------------------
class Editing(RuleBasedStateMachine):
    """Random edits of an example graph, checked against a full inference each step."""

    def __init__(self) -> None:
        super().__init__()
        self.doc: Document | None = None
        self.opened = ""

    @precondition(lambda self: self.doc is None)
    @rule(path=st.sampled_from(EXAMPLES))
    def open(self, path: Path) -> None:
        self.doc = Document(load_graph(path))
        self.opened = dumps_graph(self.doc.graph)

    def _ids(self) -> list[str]:
        assert self.doc is not None
        return list(self.doc.graph.nodes)

    def _try(self, command: Command) -> None:
        assert self.doc is not None
        before = dumps_graph(self.doc.graph)
        depth = len(self.doc.history.done)
        try:
            self.doc.execute(command)
        except ConvasError:
            assert dumps_graph(self.doc.graph) == before
            assert len(self.doc.history.done) == depth

    @precondition(lambda self: self.doc is not None)
    @rule(data=st.data(), layer=st.sampled_from(LAYER_TYPES))
    def add(self, data: st.DataObject, layer: str) -> None:
        ids = self._ids()
        inputs = [data.draw(st.sampled_from(ids))] if ids and layer != "Input" else []
        new_id = data.draw(st.sampled_from([f"{layer.lower()}_9", "n_new", "c1", "bad id"]))
        self._try(AddNodes([Node(new_id, layer, {}, inputs, (10.0, 20.0))]))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=3))
        self._try(RemoveNodes(ids))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data())
    def remove_reconnecting(self, data: st.DataObject) -> None:
        assert self.doc is not None
        ids = data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=3))
        self._try(delete_and_reconnect(self.doc.graph, ids))

    @precondition(lambda self: self.doc is not None and len(self.doc.graph.nodes) > 1)
    @rule(data=st.data())
    def connect(self, data: st.DataObject) -> None:
        ids = self._ids()
        source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        index = data.draw(st.none() | st.integers(0, 2))
        self._try(Connect(source, target, index))

    @precondition(lambda self: self.doc is not None and self.doc.graph.edges())
    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        assert self.doc is not None
        source, target = data.draw(st.sampled_from(self.doc.graph.edges()))
        self._try(Disconnect(source, target))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data())
    def set_param(self, data: st.DataObject) -> None:
        assert self.doc is not None
        node = self.doc.graph.nodes[data.draw(st.sampled_from(self._ids()))]
        spec = nodes.get(node.type)
        if not spec.params:
            return
        param = data.draw(st.sampled_from(spec.params))
        value = data.draw(
            st.sampled_from(list(param.choices))
            if param.choices
            else st.sampled_from([1, 2, 3, 5, 16, 0, -1, 100])
        )
        if data.draw(st.booleans()):
            self.doc.seal()
        self._try(SetParam(node.id, param.name, value))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(self._ids()))
        new = data.draw(st.sampled_from(["renamed", "x2", "c1", "for", old + "_r"]))
        self._try(Rename(old, new))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data(), dx=st.floats(-300, 300))
    def move(self, data: st.DataObject, dx: float) -> None:
        ids = data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=5))
        assert self.doc is not None
        positions = {i: ((self.doc.graph.nodes[i].pos or (0, 0))[0] + dx, 5.0) for i in ids}
        self._try(Move(positions))

    @precondition(lambda self: self.doc is not None and self.doc.graph.nodes)
    @rule(data=st.data())
    def paste(self, data: st.DataObject) -> None:
        assert self.doc is not None
        ids = data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=4))
        self._try(paste_nodes(self.doc.graph, fragment_of(self.doc.graph, ids), (40, 40)))

    @precondition(lambda self: self.doc is not None)
    @rule(epochs=st.integers(1, 3))
    def training(self, epochs: int) -> None:
        self._try(SetTraining({"epochs": epochs}))

    @precondition(lambda self: self.doc is not None)
    @rule()
    def undo(self) -> None:
        assert self.doc is not None
        self.doc.undo()

    @precondition(lambda self: self.doc is not None)
    @rule()
    def redo(self) -> None:
        assert self.doc is not None
        self.doc.redo()

    @invariant()
    def report_is_the_full_inference(self) -> None:
        if self.doc is not None:
            assert same_report(self.doc.report, infer(self.doc.graph))

    def teardown(self) -> None:
        if self.doc is None:
            return
        final = dumps_graph(self.doc.graph)
        steps = 0
        while self.doc.undo():
            steps += 1
            assert same_report(self.doc.report, infer(self.doc.graph))
        assert dumps_graph(self.doc.graph) == self.opened
        assert not self.doc.dirty
        for _ in range(steps):  # the steps that made the final graph, not beyond
            self.doc.redo()
        assert dumps_graph(self.doc.graph) == final


Editing.TestCase.settings = settings(
    max_examples=EXAMPLES_PER_RUN,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEditing = Editing.TestCase
