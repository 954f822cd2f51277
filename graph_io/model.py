"""The graph document: nodes with their parameters, wiring and canvas positions.

This is the single source of truth. The editor mirrors every canvas change into it
and reads shapes back from ``graph_io.shapes.infer``; the YAML loader builds one and
the compiler reads one. Edits validate here, where data enters, so a ``Graph`` only
ever holds known layer types and valid parameter values (the wiring can still be
incomplete while the user is building it — inference reports that).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nodes as registry
from graph_io.errors import GraphError
from graph_io.ids import id_problem, unique_id
from nodes.errors import ParamError
from nodes.spec import ParamValue

if TYPE_CHECKING:
    from graph_io.yaml_comments import Comments


@dataclass
class Node:
    """One layer instance. ``params`` always holds every parameter (defaults filled)."""

    id: str
    type: str
    params: dict[str, ParamValue]
    inputs: list[str] = field(default_factory=list)
    pos: tuple[float, float] | None = None
    # The file's comments about this node (graph_io.yaml_comments): notes, not model
    # content, so two nodes that differ only in comments are equal.
    comments: Comments | None = field(default=None, compare=False, repr=False)


@dataclass
class Graph:
    """An ordered collection of nodes; edges are each node's ``inputs`` list."""

    name: str = "untitled"
    nodes: dict[str, Node] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    # Comments about the file's top-level keys and its end (graph_io.yaml_comments).
    comments: dict[str, Comments] = field(default_factory=dict, compare=False, repr=False)

    # ---- building -------------------------------------------------------------
    def add_node(
        self,
        type_name: str,
        node_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        inputs: Iterable[str] = (),
        pos: tuple[float, float] | None = None,
    ) -> Node:
        """Add a layer; parameters are checked and completed with defaults.

        ``inputs`` may name nodes that do not exist yet (files list nodes in any
        order); inference reports any that never appear.
        """
        spec = registry.get(type_name)
        if node_id is None:
            node_id = unique_id(self.nodes, type_name)
        problem = id_problem(node_id)
        if problem:
            raise GraphError(problem, node=node_id)
        if node_id in self.nodes:
            raise GraphError(f"a node with id {node_id!r} already exists", node=node_id)
        try:
            resolved = spec.resolve(params or {})
        except ParamError as exc:
            raise GraphError(
                f"{type_name} '{node_id}': {exc.param}: {exc.message}",
                node=node_id,
                param=exc.param,
            ) from None
        node = Node(node_id, type_name, resolved, list(inputs), pos)
        self.nodes[node_id] = node
        return node

    def remove_node(self, node_id: str) -> None:
        """Delete a node and every edge touching it."""
        self._node(node_id)
        del self.nodes[node_id]
        for node in self.nodes.values():
            if node_id in node.inputs:
                node.inputs = [i for i in node.inputs if i != node_id]

    def rename_node(self, old: str, new: str) -> None:
        if old == new:
            return
        problem = id_problem(new)
        if problem:
            raise GraphError(problem, node=old)
        if new in self.nodes:
            raise GraphError(f"a node with id {new!r} already exists", node=old)
        node = self._node(old)
        node.id = new
        self.nodes = {(new if k == old else k): v for k, v in self.nodes.items()}
        for other in self.nodes.values():
            other.inputs = [new if i == old else i for i in other.inputs]

    def set_param(self, node_id: str, name: str, value: Any) -> ParamValue:
        """Check and store one parameter; raises ``ParamError`` naming it when invalid."""
        node = self._node(node_id)
        spec = registry.get(node.type)
        if not spec.has_param(name):
            from nodes.spec import unknown_param_message

            raise ParamError(name, unknown_param_message(spec, name))
        coerced = spec.param(name).coerce(value)
        node.params[name] = coerced
        return coerced

    def set_pos(self, node_id: str, pos: tuple[float, float] | None) -> None:
        self._node(node_id).pos = pos

    # ---- wiring ---------------------------------------------------------------
    def connect(self, source: str, target: str, index: int | None = None) -> None:
        """Feed ``source``'s output into ``target``; refuses cycles and full ports."""
        self._node(source)
        node = self._node(target)
        spec = registry.get(node.type)
        if spec.max_inputs == 0:
            raise GraphError(f"{node.type} '{target}' takes no inputs", node=target)
        if spec.max_inputs is not None and len(node.inputs) >= spec.max_inputs:
            raise GraphError(
                f"{node.type} '{target}' takes {spec.max_inputs} input(s) and is already "
                f"connected to '{node.inputs[0]}' — disconnect it first or use Add/Concat",
                node=target,
            )
        if source in node.inputs:
            raise GraphError(f"'{source}' already feeds '{target}'", node=target)
        if self.would_create_cycle(source, target):
            raise GraphError(
                f"connecting '{source}' to '{target}' would create a cycle — "
                "data must flow one way from Input to the output",
                node=target,
            )
        if index is None or index >= len(node.inputs):
            node.inputs.append(source)
        else:
            node.inputs.insert(index, source)

    def disconnect(self, source: str, target: str) -> None:
        node = self._node(target)
        if source not in node.inputs:
            raise GraphError(f"'{source}' does not feed '{target}'", node=target)
        node.inputs.remove(source)

    def would_create_cycle(self, source: str, target: str) -> bool:
        """True when ``target`` already reaches ``source`` (or they are the same node)."""
        if source == target:
            return True
        consumers = self.consumers()
        stack, seen = [target], {target}
        while stack:
            current = stack.pop()
            for nxt in consumers.get(current, ()):
                if nxt == source:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def consumers(self) -> dict[str, list[str]]:
        """For each node id, the ids of the nodes it feeds, in document order."""
        result: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for node in self.nodes.values():
            for source in node.inputs:
                if source in result:
                    result[source].append(node.id)
        return result

    def edges(self) -> list[tuple[str, str]]:
        return [(source, node.id) for node in self.nodes.values() for source in node.inputs]

    # ---- misc -------------------------------------------------------------------
    def copy(self) -> Graph:
        return copy.deepcopy(self)

    def _node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}", node=node_id) from None
