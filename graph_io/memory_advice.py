"""What to change when training does not fit: the message the memory guard shows.

A refusal is only useful if it says what to do, in numbers: the batch size that
fits, or — when not even one sample fits — the largest Input, or the fewest
filters of the layer that costs most, that would. Each number is found by asking
``graph_io.train_memory.estimate`` again (bisection on a copy of the graph), so
the advice and the guard can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import nodes as registry
from graph_io.model import Graph, Node
from graph_io.shapes import BYTES_PER_VALUE, Report, infer
from graph_io.train_memory import MemoryEstimate, bytes_text, estimate

LABEL_BYTES = 8
"""Each training image's int64 label."""


@dataclass(frozen=True)
class Budget:
    """The memory a run may use and what else must fit in it.

    ``images`` is how many training images are held in RAM beside the step (0 when
    they are not, e.g. on a GPU, or when their number is unknown).
    """

    available: int
    where: str = "memory"
    images: int = 0

    def data(self, graph: Graph) -> int:
        """Bytes the images take at ``graph``'s Input shape."""
        node = _input(graph)
        if node is None or not self.images:
            return 0
        values = math.prod(int(str(node.params[k])) for k in ("channels", "height", "width"))
        return self.images * (values * BYTES_PER_VALUE + LABEL_BYTES)

    def fits(self, graph: Graph, step: int) -> bool:
        """Whether a step of ``step`` bytes fits beside the data; loading the data
        needs about twice its size (the images and their converted copy)."""
        data = self.data(graph)
        return step + data <= self.available and 2 * data <= self.available


def advice(
    memory: MemoryEstimate, budget: Budget, graph: Graph, report: Report | None = None
) -> str:
    """Why a run does not fit and what to change: the largest parts of the estimate
    by node, and a batch size, Input size, layer width or image count that fits."""
    report = report or infer(graph)
    data = budget.data(graph)
    need = (
        f"training needs about {bytes_text(memory.total)} at batch size {memory.batch_size}"
        + (f" plus {bytes_text(data)} for the data set" if data else "")
        + f", but only {bytes_text(budget.available)} of {budget.where} is available"
    )
    largest = "Largest parts: " + "; ".join(_parts(memory, graph, budget, data)) + "."
    if memory.state > budget.available:
        return f"{need}. {largest} {_state_fix(memory)}"
    fits = largest_batch(graph, memory, budget, report)
    if fits >= 1:
        return f"{need}. {largest} Lower the batch size to {fits} or less."
    one = _at(graph, report, memory, 1)
    ideas = [
        idea
        for idea in (
            _smaller_input(graph, one, budget),
            _narrower_layer(graph, one, budget),
            _fewer_images(graph, one, budget),
        )
        if idea
    ]
    ideas.append("add a stride or pooling earlier")
    return (
        f"{need}. {largest} Even batch size 1 ({bytes_text(one.total)}) does not fit"
        + (" beside the data set" if data else "")
        + ": "
        + ", ".join(ideas[:-1])
        + (", or " if len(ideas) > 1 else "")
        + ideas[-1]
        + "."
    )


def largest_batch(graph: Graph, memory: MemoryEstimate, budget: Budget, report: Report) -> int:
    """The largest batch size below ``memory.batch_size`` that fits (0: not even one)."""
    return _largest(
        1,
        memory.batch_size - 1,
        lambda size: budget.fits(graph, _at(graph, report, memory, size).total),
    )


def _parts(memory: MemoryEstimate, graph: Graph, budget: Budget, data: int) -> list[str]:
    """The largest nodes, then the step's other large parts, each worth naming."""
    whole = memory.total + data
    parts: list[str] = []
    for nid, m in memory.biggest(3):
        if m.total < whole / 20 and parts:
            break
        node = graph.nodes[nid]
        state = m.weights + m.gradients + m.optimizer
        what = (
            "activations kept for the backward pass"
            if m.activations >= state
            else "weights, gradients and optimizer state"
        )
        parts.append(f"{node.type} '{nid}' {bytes_text(m.total)} ({what})")
    if memory.backward >= whole / 20 and memory.busiest_node is not None:
        busiest = graph.nodes[memory.busiest_node]
        parts.append(
            f"gradients in flight {bytes_text(memory.backward)} (at {busiest.type} '{busiest.id}')"
        )
    if memory.slack >= whole / 20:
        parts.append(f"allocator slack {bytes_text(memory.slack)}")
    if memory.batch >= whole / 20:
        parts.append(f"input batch {bytes_text(memory.batch)}")
    source = _input(graph)
    if data >= whole / 20 and source is not None:
        shape = "×".join(str(source.params[k]) for k in ("channels", "height", "width"))
        parts.append(f"the data set {bytes_text(data)} ({budget.images:,} images of {shape})")
    return parts


def _state_fix(memory: MemoryEstimate) -> str:
    return (
        f"The weights, their gradients and the optimizer state alone need "
        f"{bytes_text(memory.state)}: use fewer filters or units"
        + ("" if memory.optimizer == "SGD" else ", or SGD (one state per weight, not two)")
        + "."
    )


def _at(graph: Graph, report: Report, memory: MemoryEstimate, batch_size: int) -> MemoryEstimate:
    """The same estimate at another batch size (or for a changed copy of the graph)."""
    return estimate(
        graph,
        batch_size,
        memory.optimizer,
        momentum=memory.momentum,
        report=report,
        device=memory.device,
    )


def _fits_at_one(graph: Graph, memory: MemoryEstimate, budget: Budget) -> bool:
    """Whether ``graph`` (a changed copy) is valid and fits at batch size 1."""
    report = infer(graph)
    return report.ok and budget.fits(graph, _at(graph, report, memory, 1).total)


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int:
    """The largest value in [low, high] for which ``fits`` holds, or 0. ``fits`` is
    monotone: a smaller value fits whenever a larger one does."""
    if high < low or not fits(low):
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _input(graph: Graph) -> Node | None:
    inputs = [n for n in graph.nodes.values() if n.type == "Input"]
    return inputs[0] if len(inputs) == 1 else None


def _smaller_input(graph: Graph, memory: MemoryEstimate, budget: Budget) -> str | None:
    """'make Input 'x' at most 3×1024×1024', keeping its aspect ratio."""
    node = _input(graph)
    if node is None:
        return None
    height, width = int(str(node.params["height"])), int(str(node.params["width"]))
    trial = graph.copy()

    def scaled(side: int) -> int:
        return max(1, round(width * side / height))

    def fits(side: int) -> bool:
        trial.nodes[node.id].params.update(height=side, width=scaled(side))
        return _fits_at_one(trial, memory, budget)

    side = _largest(1, height - 1, fits)
    if not side:
        return None
    return f"make Input '{node.id}' at most {node.params['channels']}×{side}×{scaled(side)}"


def _narrower_layer(graph: Graph, memory: MemoryEstimate, budget: Budget) -> str | None:
    """'give Conv2D 'conv' at most 300 Filters', for the largest layer with a width."""
    for nid, _ in memory.biggest(3):
        node = graph.nodes[nid]
        name = next((p for p in ("filters", "units") if p in node.params), None)
        if name is None:
            continue
        trial = graph.copy()

        def fits(value: int, nid: str = nid, name: str = name, trial: Graph = trial) -> bool:
            trial.nodes[nid].params[name] = value
            return _fits_at_one(trial, memory, budget)

        width = _largest(1, int(str(node.params[name])) - 1, fits)
        if width:
            title = registry.get(node.type).param(name).title
            return f"give {node.type} '{nid}' at most {width} {title}"
    return None


def _fewer_images(graph: Graph, memory: MemoryEstimate, budget: Budget) -> str | None:
    """'train on at most 230 images (training: samples)' when the data is what does
    not fit."""
    if not budget.images:
        return None
    count = _largest(
        1,
        budget.images - 1,
        lambda n: Budget(budget.available, budget.where, n).fits(graph, memory.total),
    )
    return f"train on at most {count:,} images (training: samples)" if count else None
