"""Live shape inference: every node's output shape, cost and error, analytically.

Runs on every edit in the editor, so it never touches torch and never stops at the
first problem: each node gets a result — a shape, an error that names the parameter
to change, or "unknown" when something upstream is broken (so one mistake shows
once, at its source).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

import nodes as registry
from graph_io.model import Graph, Node
from nodes.errors import ShapeError
from nodes.spec import LayerSpec, Shape

BYTES_PER_VALUE = 4  # float32 activations
MAX_VALUES = 2**34
"""Values in one sample's output beyond which a graph is refused (64 GiB as float32).

No device holds one image's feature map this large; without this bound a parameter
such as ``padding: 100000000`` "validated" with quintillions of parameters."""
MAX_PARAMS = 2**36
"""Parameters one layer may have (256 GiB as float32), for the same reason."""


class Status(StrEnum):
    OK = "ok"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class NodeResult:
    """What inference knows about one node. ``memory`` is activation bytes at batch 1."""

    id: str
    type: str
    status: Status
    shape: Shape | None = None
    input_shapes: tuple[Shape, ...] = ()
    params: int = 0
    macs: int = 0
    memory: int = 0
    error: str | None = None
    param: str | None = None


@dataclass(slots=True)
class Problem:
    """One thing wrong with the graph, ready for the Problems list and the CLI."""

    message: str
    node: str | None = None
    param: str | None = None


@dataclass
class Report:
    results: dict[str, NodeResult]
    problems: list[Problem] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    output: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def output_shape(self) -> Shape | None:
        return self.results[self.output].shape if self.output else None

    # Cached: a report is built once per edit and never changed after, while the
    # status bar, the Summary's totals row and the CLI each ask for the totals.
    @cached_property
    def total_params(self) -> int:
        return sum(r.params for r in self.results.values())

    @cached_property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.results.values())

    @cached_property
    def total_memory(self) -> int:
        return sum(r.memory for r in self.results.values())

    @property
    def input(self) -> str | None:
        for result in self.results.values():
            if result.type == "Input":
                return result.id
        return None


def topological_order(graph: Graph) -> list[str]:
    """Inputs before consumers, following document order wherever the edges allow.

    One depth-first pass; nodes on a cycle, or downstream of one, are left out (the
    caller reports them). Missing input ids are ignored here and reported later.
    """
    nodes = graph.nodes
    state: dict[str, int] = {}  # 1 = on the current path, 2 = placed, 3 = blocked by a cycle
    order: list[str] = []
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(nodes[root].inputs))]
        state[root] = 1
        while stack:
            current, pending = stack[-1]
            for source in pending:
                mark = state.get(source)
                if mark is None and source in nodes:
                    state[source] = 1
                    stack.append((source, iter(nodes[source].inputs)))
                    break
                if mark == 1 or mark == 3:
                    state[current] = 3
            else:
                stack.pop()
                if state[current] == 1:
                    state[current] = 2
                    order.append(current)
                elif stack:
                    state[stack[-1][0]] = 3
    return order


def _describe(spec: LayerSpec) -> str:
    if spec.max_inputs is None:
        return f"at least {spec.min_inputs} inputs"
    if spec.min_inputs == spec.max_inputs == 1:
        return "one input"
    return f"{spec.min_inputs} inputs"


def _check_wiring(node: Node, spec: LayerSpec, nodes: dict[str, Node]) -> str | None:
    inputs = node.inputs
    count = len(inputs)
    if count == 1 and spec.max_inputs == 1 and inputs[0] in nodes:
        return None  # the common case, decided without the checks below
    for source in inputs:
        if source not in nodes:
            return f"input {source!r} does not exist — connect an existing node"
    if spec.max_inputs == 0 and count:
        return "takes no inputs — remove its incoming connections"
    if count < spec.min_inputs:
        if count == 0:
            return "input is not connected — connect the layer before it"
        return f"needs {_describe(spec)} but has {count} — connect another branch"
    if spec.max_inputs is not None and count > spec.max_inputs:
        return f"takes {_describe(spec)} but has {count} — join branches with Add or Concat first"
    if len(set(node.inputs)) != count:
        return "is connected twice to the same node"
    return None


def infer_node(node: Node, results: dict[str, NodeResult], nodes: dict[str, Node]) -> NodeResult:
    """One node's result from its inputs' results: shared by the full and the
    incremental inference, so the two can never disagree."""
    nid = node.id
    spec = registry.get(node.type)
    wiring = _check_wiring(node, spec, nodes)
    if wiring is not None:
        return NodeResult(nid, node.type, Status.ERROR, error=f"{node.type} '{nid}': {wiring}")
    in_shapes: list[Shape] = []
    for source in node.inputs:
        upstream_shape = results[source].shape
        if upstream_shape is None:
            return NodeResult(nid, node.type, Status.UNKNOWN)
        in_shapes.append(upstream_shape)
    params = node.params
    try:
        shape = spec.shape(params, in_shapes)
        if 0 in shape:
            raise ShapeError(f"would produce an empty tensor {shape}")
        values = math.prod(shape)
        if values > MAX_VALUES:
            raise too_large(values, shape, params, in_shapes)
        count = spec.count_params(params, in_shapes, shape)
        if count > MAX_PARAMS:
            raise ShapeError(
                f"would have {count:,} parameters ({count * BYTES_PER_VALUE / 1e9:,.0f} GB as "
                "float32), more than any device holds — shrink its input (pool or stride "
                "earlier) or its size"
            )
    except ShapeError as exc:
        message = f"{node.type} '{nid}': {exc.message}"
        return NodeResult(
            nid, node.type, Status.ERROR, None, tuple(in_shapes), error=message, param=exc.param
        )
    return NodeResult(
        nid,
        node.type,
        Status.OK,
        shape,
        tuple(in_shapes),
        count,
        spec.count_macs(params, in_shapes, shape),
        values * BYTES_PER_VALUE,
    )


def too_large(
    values: int, shape: Shape, params: Mapping[str, Any], inputs: list[Shape]
) -> ShapeError:
    """The error for an output too large to exist, naming the parameter that grew it."""
    size = "x".join(str(d) for d in shape)
    text = f"output {size} would hold {values:.2g} values per sample, more than any device holds"
    padding = params.get("padding")
    source = inputs[0] if inputs else None
    if isinstance(padding, int) and not isinstance(padding, bool) and source and len(source) == 3:
        return ShapeError(
            f"{text} — padding {padding} is far larger than its {source[1]}x{source[2]} input; "
            "use a padding smaller than the kernel, or Padding Same",
            param="padding",
        )
    return ShapeError(f"{text} — reduce the sizes set on this layer or before it")


def node_problems(order: list[str], results: dict[str, NodeResult]) -> list[Problem]:
    """The Problems of node errors, in inference order."""
    return [
        Problem(r.error or "", nid, r.param)
        for nid in order
        if (r := results[nid]).status is Status.ERROR
    ]


def infer(graph: Graph) -> Report:
    """Shapes, costs and problems for every node of ``graph``."""
    nodes = graph.nodes
    order = topological_order(graph)
    results: dict[str, NodeResult] = {}
    for nid in order:
        results[nid] = infer_node(nodes[nid], results, nodes)
    return assemble(graph, order, results)


def assemble(graph: Graph, order: list[str], results: dict[str, NodeResult]) -> Report:
    """The report from per-node results: cycles, problems, graph-level checks."""
    nodes = graph.nodes
    problems = node_problems(order, results)
    if len(order) < len(nodes):
        _report_cycles(graph, set(order), results, problems)
    ordered = {nid: results[nid] for nid in nodes}
    report = Report(ordered, problems, order)
    _check_graph_level(graph, report)
    return report


def _report_cycles(
    graph: Graph, done: set[str], results: dict[str, NodeResult], problems: list[Problem]
) -> None:
    """Mark nodes that sit on a cycle as errors and those after one as unknown."""
    nodes = graph.nodes
    remaining = [nid for nid in nodes if nid not in done]
    for nid in remaining:
        path = _cycle_through(graph, nid)
        if path is None:
            results[nid] = NodeResult(nid, nodes[nid].type, Status.UNKNOWN)
            continue
        loop = " -> ".join([*path, path[0]])
        message = (
            f"{nodes[nid].type} '{nid}': is part of a cycle {loop} — "
            "remove one of these connections"
        )
        results[nid] = NodeResult(nid, nodes[nid].type, Status.ERROR, error=message)
        problems.append(Problem(message, nid))


def _cycle_through(graph: Graph, start: str) -> list[str] | None:
    """A path start -> ... -> start following edges forward, if one exists."""
    consumers = graph.consumers()
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        for nxt in consumers.get(current, ()):
            if nxt == start:
                return path
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _check_graph_level(graph: Graph, report: Report) -> None:
    nodes = graph.nodes
    inputs = [nid for nid, n in nodes.items() if n.type == "Input"]
    if not inputs:
        report.problems.insert(
            0, Problem("the graph has no Input node — add one from the palette and connect it")
        )
    elif len(inputs) > 1:
        listed = ", ".join(f"'{i}'" for i in inputs)
        for nid in inputs[1:]:
            report.problems.append(
                Problem(
                    f"Input '{nid}': the graph has more than one Input ({listed}) — "
                    "Convas models take one image input; delete the extra ones",
                    nid,
                )
            )
    fed = {source for node in nodes.values() for source in node.inputs}
    sinks = [nid for nid in nodes if nid not in fed]
    if len(sinks) == 1:
        report.output = sinks[0]
    elif len(sinks) > 1:
        listed = ", ".join(f"'{s}'" for s in sinks)
        report.problems.append(
            Problem(
                f"the graph has {len(sinks)} outputs ({listed}): a model has one output — "
                "connect the dangling nodes onward or delete them"
            )
        )
        # Still name a best output so summaries stay useful while editing.
        last_ok = [s for s in sinks if report.results[s].status is Status.OK]
        report.output = last_ok[-1] if last_ok else None
