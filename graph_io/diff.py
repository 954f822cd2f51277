"""What changed between two graphs: added, removed, changed and renamed nodes.

Model viewers can show one graph; people who try variants want to see what differs
between two. Nodes are matched in two steps:

1. **by id** — the same id on both sides is the same node (its type, params or
   wiring may have changed);
2. **by structure** — among the rest, a node of one graph is the renamed twin of a
   node of the other when both have the same type and params and their neighbours
   (inputs by position, consumers) are already matched to each other. Matching
   grows outward from anchors whose type+params are unique on both sides, and a
   pair is only taken when each is the other's single best candidate, so the result
   does not depend on which graph comes first: ``diff(a, b)`` is the mirror of
   ``diff(b, a)``. A renamed node whose params also changed is still found when all
   of its wiring agrees.

Shapes, parameter and MAC counts come from ``graph_io.shapes.infer``, so the deltas
are the ones the editor and ``convas summary`` show. Positions on the canvas and the
graph's name are not part of the model and are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from graph_io.model import Graph, Node
from graph_io.shapes import Report, infer
from graph_io.summary import shape_text
from nodes.spec import ParamValue, Shape

ChangeKind = Literal["added", "removed", "changed", "renamed"]


@dataclass(frozen=True)
class NodeChange:
    """One node that differs; ``old_id`` is None when added, ``new_id`` when removed.

    ``inputs`` holds the wiring of both sides in the *new* graph's ids (a renamed
    input is not a wiring change), or is None when the wiring is the same.
    """

    kind: ChangeKind
    old_id: str | None
    new_id: str | None
    type: str
    old_type: str | None = None
    params: dict[str, tuple[ParamValue, ParamValue]] = field(default_factory=dict)
    inputs: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    old_shape: Shape | None = None
    new_shape: Shape | None = None
    old_params: int = 0
    new_params: int = 0
    old_macs: int = 0
    new_macs: int = 0

    @property
    def renamed(self) -> bool:
        return self.old_id is not None and self.new_id is not None and self.old_id != self.new_id

    @property
    def id(self) -> str:
        """The id a person looks for: the new one, or the old one of a removed node."""
        return self.new_id if self.new_id is not None else str(self.old_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "old_id": self.old_id,
            "new_id": self.new_id,
            "type": self.type,
            "old_type": self.old_type,
            "params": {k: {"old": a, "new": b} for k, (a, b) in self.params.items()},
            "inputs": (
                None
                if self.inputs is None
                else {"old": list(self.inputs[0]), "new": list(self.inputs[1])}
            ),
            "old_shape": list(self.old_shape) if self.old_shape is not None else None,
            "new_shape": list(self.new_shape) if self.new_shape is not None else None,
            "params_delta": self.new_params - self.old_params,
            "macs_delta": self.new_macs - self.old_macs,
        }


@dataclass(frozen=True)
class GraphDiff:
    """The differences, with totals; ``same`` ignores renames (the model is unchanged)."""

    changes: list[NodeChange]
    matches: dict[str, str]  # old id -> new id, for every matched node
    old_params: int
    new_params: int
    old_macs: int
    new_macs: int
    training: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return all(c.kind == "renamed" for c in self.changes)

    def of_kind(self, kind: ChangeKind) -> list[NodeChange]:
        return [c for c in self.changes if c.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "added": [c.to_dict() for c in self.of_kind("added")],
            "removed": [c.to_dict() for c in self.of_kind("removed")],
            "changed": [c.to_dict() for c in self.of_kind("changed")],
            "renamed": [{"old_id": c.old_id, "new_id": c.new_id} for c in self.renames()],
            "totals": {
                "old_params": self.old_params,
                "new_params": self.new_params,
                "params_delta": self.new_params - self.old_params,
                "old_macs": self.old_macs,
                "new_macs": self.new_macs,
                "macs_delta": self.new_macs - self.old_macs,
            },
            "training": {k: {"old": a, "new": b} for k, (a, b) in self.training.items()},
        }

    def renames(self) -> list[NodeChange]:
        """Every matched node whose id changed (including renamed *and* changed ones)."""
        return [c for c in self.changes if c.renamed]


# ---- matching -------------------------------------------------------------------


def _signature(node: Node) -> str:
    return json.dumps([node.type, node.params], sort_keys=True, default=str)


class _Matcher:
    """Pairs the nodes of ``old`` and ``new``; symmetric in its two graphs."""

    def __init__(self, old: Graph, new: Graph) -> None:
        self.old, self.new = old, new
        self.old_consumers, self.new_consumers = old.consumers(), new.consumers()
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def run(self) -> dict[str, str]:
        for node_id in self.old.nodes:
            if node_id in self.new.nodes:
                self._pair(node_id, node_id)
        self._unique_signatures()
        self._grow(same_params=True)
        self._grow(same_params=False)
        self._pair_leftover_twins()
        return self.forward

    def _pair(self, old_id: str, new_id: str) -> None:
        self.forward[old_id] = new_id
        self.backward[new_id] = old_id

    def _free(self) -> tuple[list[Node], list[Node]]:
        return (
            [n for n in self.old.nodes.values() if n.id not in self.forward],
            [n for n in self.new.nodes.values() if n.id not in self.backward],
        )

    def _unique_signatures(self) -> None:
        """Anchors: a type+params that occurs once among the free nodes of each side."""
        free_old, free_new = self._free()
        by_sig_old = _group(free_old)
        by_sig_new = _group(free_new)
        for sig, olds in by_sig_old.items():
            news = by_sig_new.get(sig, [])
            if len(olds) == 1 and len(news) == 1:
                self._pair(olds[0].id, news[0].id)

    def _agreement(self, a: Node, b: Node) -> tuple[int, int]:
        """(neighbours that agree, neighbours in all) of a candidate pair."""
        agree = 0
        total = max(len(a.inputs), len(b.inputs))
        for i, source in enumerate(a.inputs):
            if i < len(b.inputs) and self.forward.get(source) == b.inputs[i]:
                agree += 1
        mapped = {self.forward.get(c) for c in self.old_consumers.get(a.id, [])}
        theirs = self.new_consumers.get(b.id, [])
        agree += sum(1 for c in theirs if c in mapped)
        total += max(len(self.old_consumers.get(a.id, [])), len(theirs))
        return agree, total

    def _grow(self, *, same_params: bool) -> None:
        """Take mutual single-best candidates until nothing more can be matched.

        With ``same_params`` False the candidates only need the same type, and the
        pair must agree on *every* neighbour: a renamed node whose params changed.
        """
        order = {node_id: index for index, node_id in enumerate(self.new.nodes)}
        while True:
            free_old, _ = self._free()
            scores: dict[tuple[str, str], int] = {}
            for a in free_old:
                for b_id in sorted(self._candidates(a), key=order.__getitem__):
                    b = self.new.nodes[b_id]
                    if a.type != b.type or (same_params and _signature(a) != _signature(b)):
                        continue
                    agree, total = self._agreement(a, b)
                    if agree == 0 or (not same_params and agree < total):
                        continue
                    scores[(a.id, b.id)] = agree
            taken = _mutual_bests(scores)
            if not taken:
                return
            for old_id, new_id in taken:
                self._pair(old_id, new_id)

    def _candidates(self, a: Node) -> set[str]:
        """The free nodes of ``new`` that share a matched neighbour with ``a``: exactly
        those with an agreement above zero, found from the neighbours instead of by
        trying every free pair (which made many renames quadratic)."""
        found: set[str] = set()
        for i, source in enumerate(a.inputs):
            mapped = self.forward.get(source)
            if mapped is None:
                continue
            for consumer in self.new_consumers.get(mapped, []):
                inputs = self.new.nodes[consumer].inputs
                if i < len(inputs) and inputs[i] == mapped:
                    found.add(consumer)
        for consumer in self.old_consumers.get(a.id, []):
            mapped = self.forward.get(consumer)
            if mapped is not None:
                found.update(i for i in self.new.nodes[mapped].inputs if i in self.new.nodes)
        return {node_id for node_id in found if node_id not in self.backward}

    def _pair_leftover_twins(self) -> None:
        """Identical twins (parallel branches) that tie: pair them in document order."""
        while True:
            free_old, free_new = self._free()
            groups_new = _group(free_new)
            pairs = [
                (a, b)
                for sig, olds in _group(free_old).items()
                for a, b in zip(olds, groups_new.get(sig, []), strict=False)
                if self._agreement(a, b)[0] > 0
            ]
            if not pairs:
                return
            for a, b in pairs:
                self._pair(a.id, b.id)
            self._grow(same_params=True)


def _group(nodes_: Iterable[Node]) -> dict[str, list[Node]]:
    groups: dict[str, list[Node]] = {}
    for node in nodes_:
        groups.setdefault(_signature(node), []).append(node)
    return groups


def _mutual_bests(scores: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    """The pairs whose score beats every other score of both their nodes, in order."""
    best_old: dict[str, list[int]] = {}
    best_new: dict[str, list[int]] = {}
    for (old_id, new_id), score in scores.items():
        best_old.setdefault(old_id, []).append(score)
        best_new.setdefault(new_id, []).append(score)

    def alone_at_top(score: int, row: list[int]) -> bool:
        return score == max(row) and row.count(score) == 1

    return [
        (old_id, new_id)
        for (old_id, new_id), score in scores.items()
        if alone_at_top(score, best_old[old_id]) and alone_at_top(score, best_new[new_id])
    ]


# ---- the diff -------------------------------------------------------------------


def diff_graphs(old: Graph, new: Graph, reports: tuple[Report, Report] | None = None) -> GraphDiff:
    """Everything that differs between ``old`` and ``new`` (see the module docstring).

    ``reports`` are their inference reports when the caller has them already (the
    editor's document keeps one): inference is most of a diff's time.
    """
    matches = _Matcher(old, new).run()
    old_report, new_report = reports if reports is not None else (infer(old), infer(new))
    changes: list[NodeChange] = []
    for node in old.nodes.values():
        if node.id in matches:
            change = _compare(node, new.nodes[matches[node.id]], matches, old_report, new_report)
            if change is not None:
                changes.append(change)
        else:
            changes.append(_one_sided("removed", node, old_report, matches))
    matched_new = set(matches.values())
    for node in new.nodes.values():
        if node.id not in matched_new:
            changes.append(_one_sided("added", node, new_report, {}))
    return GraphDiff(
        changes,
        matches,
        old_report.total_params,
        new_report.total_params,
        old_report.total_macs,
        new_report.total_macs,
        _training_changes(old.training or {}, new.training or {}),
    )


def _counts(report: Report, node_id: str) -> tuple[Shape | None, int, int]:
    result = report.results.get(node_id)
    if result is None:
        return None, 0, 0
    return result.shape, result.params, result.macs


def _compare(
    a: Node, b: Node, matches: dict[str, str], old_report: Report, new_report: Report
) -> NodeChange | None:
    params = {
        name: (a.params.get(name), b.params.get(name))
        for name in sorted(set(a.params) | set(b.params))
        if a.params.get(name) != b.params.get(name)
    }
    old_inputs = tuple(matches.get(i, i) for i in a.inputs)
    inputs = None if old_inputs == tuple(b.inputs) else (old_inputs, tuple(b.inputs))
    old_shape, old_params, old_macs = _counts(old_report, a.id)
    new_shape, new_params, new_macs = _counts(new_report, b.id)
    differs = bool(params) or inputs is not None or a.type != b.type
    differs = differs or (old_shape, old_params, old_macs) != (new_shape, new_params, new_macs)
    if not differs and a.id == b.id:
        return None
    return NodeChange(
        "changed" if differs else "renamed",
        a.id,
        b.id,
        b.type,
        a.type if a.type != b.type else None,
        params,
        inputs,
        old_shape,
        new_shape,
        old_params,
        new_params,
        old_macs,
        new_macs,
    )


def _one_sided(
    kind: Literal["added", "removed"], node: Node, report: Report, matches: dict[str, str]
) -> NodeChange:
    shape, params, macs = _counts(report, node.id)
    if kind == "added":
        return NodeChange(
            kind,
            None,
            node.id,
            node.type,
            inputs=((), tuple(node.inputs)),
            new_shape=shape,
            new_params=params,
            new_macs=macs,
        )
    wiring = tuple(matches.get(i, i) for i in node.inputs)
    return NodeChange(
        kind,
        node.id,
        None,
        node.type,
        inputs=(wiring, ()),
        old_shape=shape,
        old_params=params,
        old_macs=macs,
    )


def _training_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        key: (old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


# ---- text -----------------------------------------------------------------------


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _value(value: ParamValue) -> str:
    return json.dumps(value) if isinstance(value, str | list) or value is None else str(value)


def describe_change(change: NodeChange) -> str:
    """One line per node, as ``convas diff`` prints it."""
    mark = {"added": "+", "removed": "-", "changed": "~", "renamed": "="}[change.kind]
    name = change.id
    if change.renamed:
        name = f"{change.old_id} -> {change.new_id}"
    parts = [f"{mark} {change.type} '{name}'"]
    if change.kind == "added" and change.inputs is not None:
        parts.append("after " + (", ".join(change.inputs[1]) or "nothing"))
    if change.kind == "removed" and change.inputs is not None:
        parts.append("was after " + (", ".join(change.inputs[0]) or "nothing"))
    if change.old_type is not None:
        parts.append(f"type {change.old_type} -> {change.type}")
    parts += [f"{k} {_value(a)} -> {_value(b)}" for k, (a, b) in change.params.items()]
    if change.kind == "changed" and change.inputs is not None:
        old, new = (", ".join(side) or "nothing" for side in change.inputs)
        parts.append(f"inputs {old} -> {new}")
    if change.kind in ("added", "removed"):
        shape = change.new_shape if change.kind == "added" else change.old_shape
        parts.append(f"shape {shape_text(shape, 'x')}")
    elif change.old_shape != change.new_shape:
        parts.append(
            f"shape {shape_text(change.old_shape, 'x')} -> {shape_text(change.new_shape, 'x')}"
        )
    params_delta = change.new_params - change.old_params
    macs_delta = change.new_macs - change.old_macs
    if params_delta:
        parts.append(f"params {_signed(params_delta)}")
    if macs_delta:
        parts.append(f"MACs {_signed(macs_delta)}")
    return parts[0] + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "")


def format_diff(result: GraphDiff, old_name: str, new_name: str) -> str:
    """The text of ``convas diff``: changes in order, renames, then totals."""
    lines = [f"--- {old_name}", f"+++ {new_name}"]
    if result.same and not result.changes:
        lines.append("same model: no node added, removed or changed")
    for kind in ("removed", "added", "changed"):
        lines += [describe_change(c) for c in result.of_kind(kind)]
    only_renamed = result.of_kind("renamed")
    if only_renamed:
        lines.append(
            "renamed (same layer): " + ", ".join(f"{c.old_id} -> {c.new_id}" for c in only_renamed)
        )
    for key, (a, b) in result.training.items():
        lines.append(f"training {key}: {_value(a)} -> {_value(b)}")
    lines += totals_text(result)
    return "\n".join(lines)


def totals_text(result: GraphDiff) -> list[str]:
    """The two closing lines of a diff: parameter and MAC totals, and the counts."""
    params_delta = result.new_params - result.old_params
    macs_delta = result.new_macs - result.old_macs
    counts = ", ".join(
        f"{len(result.of_kind(k))} {k}" for k in ("added", "removed", "changed", "renamed")
    )
    return [
        f"params {result.old_params:,} -> {result.new_params:,} ({_signed(params_delta)}); "
        f"MACs {result.old_macs:,} -> {result.new_macs:,} ({_signed(macs_delta)})",
        ("same model" if result.same else "models differ") + f": {counts}",
    ]
