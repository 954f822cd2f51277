"""Typed edit commands: each validates before it changes anything, and has an exact inverse.

A command is applied with ``apply(graph)`` and taken back with ``revert(graph)``;
both return the ``Change`` they made. ``apply`` raises ``GraphError`` (or
``ParamError``) *before* touching the graph when the edit breaks a rule, so a refused
edit leaves the document exactly as it was. Inverses restore the document byte for
byte: node order (the file's order) and the order of each node's inputs included.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import nodes as registry
from graph_io.editing.change import Change
from graph_io.errors import GraphError
from graph_io.ids import id_problem
from graph_io.model import Graph, Node
from nodes.errors import ParamError
from nodes.spec import ParamValue, unknown_param_message

Pos = tuple[float, float]


def _copy(node: Node) -> Node:
    return Node(
        node.id,
        node.type,
        copy.deepcopy(node.params),
        list(node.inputs),
        node.pos,
        copy.deepcopy(node.comments),
    )


def _place(graph: Graph, index: int, node: Node) -> None:
    """Insert ``node`` at position ``index`` of the document order."""
    items = list(graph.nodes.items())
    items.insert(index, (node.id, node))
    graph.nodes = dict(items)


class Command(ABC):
    """One undoable edit."""

    label: str = "edit"

    @abstractmethod
    def apply(self, graph: Graph) -> Change:
        """Check, then make the edit; raise without changing anything when refused."""

    @abstractmethod
    def revert(self, graph: Graph) -> Change:
        """Take the edit back exactly (only called right after ``apply`` or a redo)."""

    def merge_key(self) -> object | None:
        """Commands with the same non-None key, one after the other, become one step."""
        return None

    def absorb(self, newer: Command) -> None:
        """Fold ``newer`` (same merge key, already applied) into this step."""
        raise NotImplementedError

    @property
    def no_op(self) -> bool:
        """True when applying changed nothing (such a command is not kept in history)."""
        return False


class AddNodes(Command):
    """Add new nodes (a palette drop, a search pick, a paste): one step for all.

    The nodes' ``inputs`` may name existing nodes or other nodes of the batch; the
    new nodes are appended to the document in the given order.
    """

    def __init__(self, new: Sequence[Node], label: str = "") -> None:
        self.nodes = [_copy(n) for n in new]
        self.label = label or (
            f"add {self.nodes[0].id}" if len(self.nodes) == 1 else f"add {len(self.nodes)} nodes"
        )

    def apply(self, graph: Graph) -> Change:
        trial = Graph(graph.name, dict(graph.nodes))  # shallow: validation only
        batch = {n.id for n in self.nodes}
        for node in self.nodes:
            missing = [s for s in node.inputs if s not in graph.nodes and s not in batch]
            if missing:
                raise GraphError(f"'{node.id}' is fed by {missing[0]!r}, which does not exist")
            trial.add_node(node.type, node.id, node.params, [], node.pos)
        for node in self.nodes:
            for source in node.inputs:
                trial.connect(source, node.id)
        graph.nodes.update({nid: trial.nodes[nid] for nid in (n.id for n in self.nodes)})
        return Change(added=frozenset(batch))

    def revert(self, graph: Graph) -> Change:
        ids = {n.id for n in self.nodes}
        graph.nodes = {k: v for k, v in graph.nodes.items() if k not in ids}
        return Change(removed=frozenset(ids))


class RemoveNodes(Command):
    """Delete nodes and every edge touching them."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = list(dict.fromkeys(ids))
        self.label = (
            f"delete {self.ids[0]}" if len(self.ids) == 1 else f"delete {len(self.ids)} nodes"
        )
        self._saved: list[tuple[int, Node]] = []
        self._inputs: dict[str, list[str]] = {}

    def apply(self, graph: Graph) -> Change:
        for nid in self.ids:
            graph._node(nid)
        gone = set(self.ids)
        order = list(graph.nodes)
        self._saved = [(order.index(nid), graph.nodes[nid]) for nid in self.ids]
        self._saved.sort(key=lambda pair: pair[0])
        self._inputs = {
            n.id: list(n.inputs)
            for n in graph.nodes.values()
            if n.id not in gone and gone.intersection(n.inputs)
        }
        graph.nodes = {k: v for k, v in graph.nodes.items() if k not in gone}
        for nid in self._inputs:
            graph.nodes[nid].inputs = [s for s in graph.nodes[nid].inputs if s not in gone]
        return Change(removed=frozenset(gone), wiring=frozenset(self._inputs))

    def revert(self, graph: Graph) -> Change:
        items = list(graph.nodes.items())
        for index, node in self._saved:  # ascending: each lands where it was
            items.insert(index, (node.id, node))
        graph.nodes = dict(items)
        for nid, inputs in self._inputs.items():
            graph.nodes[nid].inputs = list(inputs)
        return Change(added=frozenset(self.ids), wiring=frozenset(self._inputs))


class Connect(Command):
    """Feed ``source`` into ``target`` (at ``index`` of its inputs, default last)."""

    def __init__(self, source: str, target: str, index: int | None = None) -> None:
        self.source, self.target, self.index = source, target, index
        self.label = f"connect {source} → {target}"

    def apply(self, graph: Graph) -> Change:
        graph.connect(self.source, self.target, self.index)
        return Change(wiring=frozenset({self.target}))

    def revert(self, graph: Graph) -> Change:
        graph.nodes[self.target].inputs.remove(self.source)
        return Change(wiring=frozenset({self.target}))


class Disconnect(Command):
    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        self.label = f"disconnect {source} → {target}"
        self._index = 0

    def apply(self, graph: Graph) -> Change:
        node = graph._node(self.target)
        if self.source not in node.inputs:
            raise GraphError(f"'{self.source}' does not feed '{self.target}'", node=self.target)
        self._index = node.inputs.index(self.source)
        del node.inputs[self._index]
        return Change(wiring=frozenset({self.target}))

    def revert(self, graph: Graph) -> Change:
        graph.nodes[self.target].inputs.insert(self._index, self.source)
        return Change(wiring=frozenset({self.target}))


class SetParam(Command):
    """Set one parameter; successive edits of the same field merge into one step."""

    def __init__(self, node_id: str, name: str, value: Any) -> None:
        self.node_id, self.name, self.value = node_id, name, value
        self._old: ParamValue | None = None
        self._new: ParamValue | None = None
        self.label = f"{node_id} {name}"

    def apply(self, graph: Graph) -> Change:
        node = graph._node(self.node_id)
        spec = registry.get(node.type)
        if not spec.has_param(self.name):
            raise ParamError(self.name, unknown_param_message(spec, self.name))
        param = spec.param(self.name)
        new = param.coerce(self.value)
        self._old, self._new = node.params[self.name], new
        self.label = f"{self.node_id} {param.label} = {new}"
        node.params[self.name] = new
        return Change(params=frozenset({self.node_id}))

    def revert(self, graph: Graph) -> Change:
        assert self._old is not None
        graph.nodes[self.node_id].params[self.name] = self._old
        return Change(params=frozenset({self.node_id}))

    def merge_key(self) -> object:
        return ("param", self.node_id, self.name)

    def absorb(self, newer: Command) -> None:
        assert isinstance(newer, SetParam)
        self._new = newer._new
        self.value = newer.value
        self.label = newer.label

    @property
    def no_op(self) -> bool:
        return self._old == self._new


class Rename(Command):
    """Change a node's id; edges and the document order follow."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.label = f"rename {old} → {new}"

    def apply(self, graph: Graph) -> Change:
        if self.old == self.new:
            raise GraphError(f"'{self.old}' already has that id", node=self.old)
        consumers = [n.id for n in graph.nodes.values() if self.old in n.inputs]
        graph.rename_node(self.old, self.new)
        return Change(renamed=((self.old, self.new),), wiring=frozenset(consumers))

    def revert(self, graph: Graph) -> Change:
        consumers = [n.id for n in graph.nodes.values() if self.new in n.inputs]
        graph.rename_node(self.new, self.old)
        return Change(renamed=((self.new, self.old),), wiring=frozenset(consumers))


class Move(Command):
    """Place nodes (a drag of several nodes, or a whole auto-layout): one step."""

    def __init__(self, positions: Mapping[str, Pos | None], label: str = "move") -> None:
        self.positions = dict(positions)
        self.label = label
        self._old: dict[str, Pos | None] = {}

    def apply(self, graph: Graph) -> Change:
        for nid in self.positions:
            graph._node(nid)
        self._old = {nid: graph.nodes[nid].pos for nid in self.positions}
        for nid, pos in self.positions.items():
            graph.nodes[nid].pos = pos
        return Change(moved=frozenset(self.positions))

    @property
    def no_op(self) -> bool:
        return self._old == self.positions

    def revert(self, graph: Graph) -> Change:
        for nid, pos in self._old.items():
            graph.nodes[nid].pos = pos
        return Change(moved=frozenset(self._old))


class SetTraining(Command):
    """Replace the ``training:`` section (the Training dock's settings)."""

    label = "training settings"

    def __init__(self, section: dict[str, Any] | None) -> None:
        self.section = copy.deepcopy(section)
        self._old: dict[str, Any] | None = None

    def apply(self, graph: Graph) -> Change:
        self._old = graph.training
        graph.training = copy.deepcopy(self.section)
        return Change(training=True)

    def revert(self, graph: Graph) -> Change:
        graph.training = self._old
        return Change(training=True)

    def merge_key(self) -> object:
        return "training"

    def absorb(self, newer: Command) -> None:
        assert isinstance(newer, SetTraining)
        self.section = newer.section


class Compound(Command):
    """Several commands as one step (a fix, an insert into a wire, a re-wiring).

    All or nothing: when one part is refused, the parts already made are taken back
    before the error goes on.
    """

    def __init__(self, label: str, parts: Sequence[Command]) -> None:
        self.label = label
        self.parts = list(parts)

    def apply(self, graph: Graph) -> Change:
        change = Change()
        done: list[Command] = []
        try:
            for part in self.parts:
                change = change.then(part.apply(graph))
                done.append(part)
        except Exception:
            for part in reversed(done):
                part.revert(graph)
            raise
        return change

    def revert(self, graph: Graph) -> Change:
        change = Change()
        for part in reversed(self.parts):
            change = change.then(part.revert(graph))
        return change


def check_id(graph: Graph, node_id: str) -> str | None:
    """Why ``node_id`` cannot be a new id in ``graph`` (None when it can)."""
    problem = id_problem(node_id)
    if problem is None and node_id in graph.nodes:
        problem = f"id {node_id!r} is already used"
    return problem
