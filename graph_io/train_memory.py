"""How much memory training a graph needs, worked out before anything is allocated.

A 3×2048×2048 input into a 1,024-filter Conv2D used to end in an allocator
traceback after asking for hundreds of GB. This module predicts the peak of one
training step from the inference report alone (no torch), per node and in total,
so `convas summary --batch-size N` can show it, `convas train` and the editor can
refuse a run that cannot fit, and the message can name what to change.

The peak of a step in Convas's engine comes at the end of the forward pass: the
weights, the previous step's gradients (freed by ``zero_grad`` only after the
forward), the optimizer's state, every activation autograd keeps for the backward
pass, and the input batch. What autograd keeps follows torch's own rules, per op:

* a convolution, linear layer, normalisation, pooling window or ``Multiply`` keeps
  its *input*; ReLU, Sigmoid, Tanh, ELU and (Log)Softmax keep their *output*; GELU,
  SiLU, LeakyReLU and the hard activations keep their *input*;
* max pooling also keeps the argmax indices (int64, 8 bytes per output value) and
  dropout its mask (1 byte per value);
* a padded convolution or pooling pads into a new tensor, which it keeps;
* views (Flatten, Slice) and ops whose backward needs no values (Add, Concat,
  Upsample, ZeroPad2D, global average pooling) keep nothing.

A node's output therefore counts when its own last op or any consumer keeps it.
On top of the sum comes the busiest moment of the step: walking the nodes in
data-flow order, the backward pass at a node holds everything kept up to it plus
the gradients of its output, its fused activation and its inputs.
``benchmarks/bench_train_memory.py`` compares the estimate with the measured peak
of real training steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nodes as registry
from graph_io.model import Graph, Node
from graph_io.shapes import BYTES_PER_VALUE, Report, Status, infer
from nodes.spec import Shape

OPTIMIZER_STATES = {"SGD": 1, "Adam": 2, "AdamW": 2}
"""Tensors of optimizer state per parameter: momentum for SGD, two moments for Adam."""

KEEPS_INPUT = frozenset(
    {
        "Conv2D",
        "ConvTranspose2D",
        "Dense",
        "BatchNorm2D",
        "GroupNorm",
        "LayerNorm",
        "MaxPool2D",
        "AvgPool2D",
        "AdaptiveAvgPool2D",
        "AdaptiveMaxPool2D",
        "Multiply",
    }
)
"""Layer types whose first op saves its input tensor(s) for the backward pass."""

KEEPS_INDICES = frozenset({"MaxPool2D", "AdaptiveMaxPool2D"})
RESULT_SAVING = frozenset({"ReLU", "Sigmoid", "Tanh", "ELU", "Softmax", "LogSoftmax"})
"""Activations whose backward uses their output; the others use their input."""
VIEWS = frozenset({"Flatten", "Slice"})
"""Outputs that share their input's memory."""
PADDED = frozenset({"Conv2D", "MaxPool2D", "AvgPool2D"})
INDEX_BYTES = 8
MASK_BYTES = 1


@dataclass(frozen=True)
class NodeMemory:
    """Bytes one node adds to the peak of a training step."""

    weights: int = 0
    gradients: int = 0
    optimizer: int = 0
    activations: int = 0

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations


@dataclass(frozen=True)
class MemoryEstimate:
    """The predicted peak of one training step, in bytes.

    ``by_node`` holds each node's share (weights, gradients, optimizer state and the
    activations it keeps); ``batch`` is the input batch and ``backward`` the room
    the busiest moment of the step needs on top (gradients of activations in
    flight, a fused activation's input). ``complete`` is False when some
    nodes have no shape (an invalid graph), so their share is missing.
    """

    batch_size: int
    optimizer: str
    by_node: dict[str, NodeMemory] = field(default_factory=dict)
    batch: int = 0
    backward: int = 0
    complete: bool = True

    @property
    def weights(self) -> int:
        return sum(m.weights for m in self.by_node.values())

    @property
    def gradients(self) -> int:
        return sum(m.gradients for m in self.by_node.values())

    @property
    def optimizer_state(self) -> int:
        return sum(m.optimizer for m in self.by_node.values())

    @property
    def activations(self) -> int:
        return sum(m.activations for m in self.by_node.values())

    @property
    def total(self) -> int:
        return sum(m.total for m in self.by_node.values()) + self.batch + self.backward

    def biggest(self, count: int = 3) -> list[tuple[str, NodeMemory]]:
        """The nodes that cost the most, largest first."""
        ranked = sorted(self.by_node.items(), key=lambda item: item[1].total, reverse=True)
        return [(nid, m) for nid, m in ranked[:count] if m.total > 0]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used by `convas summary --json --batch-size N`."""
        return {
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "total_bytes": self.total,
            "weights_bytes": self.weights,
            "gradients_bytes": self.gradients,
            "optimizer_bytes": self.optimizer_state,
            "activations_bytes": self.activations,
            "input_batch_bytes": self.batch,
            "backward_bytes": self.backward,
            "complete": self.complete,
            "nodes": {
                nid: {
                    "weights_bytes": m.weights,
                    "gradients_bytes": m.gradients,
                    "optimizer_bytes": m.optimizer,
                    "activations_bytes": m.activations,
                    "total_bytes": m.total,
                }
                for nid, m in self.by_node.items()
            },
        }


def estimate(
    graph: Graph,
    batch_size: int,
    optimizer: str = "Adam",
    *,
    momentum: float = 0.9,
    report: Report | None = None,
) -> MemoryEstimate:
    """Peak memory of one training step of ``graph`` at ``batch_size`` (float32).

    ``optimizer`` is SGD, Adam or AdamW (SGD without momentum keeps no state). Pass
    the ``report`` of ``infer(graph)`` when you have it, to skip re-inferring.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if optimizer not in OPTIMIZER_STATES:
        raise ValueError(f"unknown optimizer {optimizer!r}; use SGD, Adam or AdamW")
    report = report or infer(graph)
    states = 0 if optimizer == "SGD" and momentum == 0 else OPTIMIZER_STATES[optimizer]
    consumers = graph.consumers()
    by_node: dict[str, NodeMemory] = {}
    complete = True
    batch = 0
    # Walk in data-flow order, tracking what is alive at each node's busiest moment:
    # in the forward pass the output appears while a fused activation's input still
    # exists; in the backward pass, the gradients of the node's output, of its fused
    # activation and of its inputs exist while everything kept before it is alive.
    held = 0
    busiest = 0
    ordered = set(report.order)  # once: in the generator it was rebuilt per node (O(n²))
    for nid in [*report.order, *(n for n in report.results if n not in ordered)]:
        result = report.results[nid]
        node = graph.nodes[nid]
        weights = result.params * BYTES_PER_VALUE
        if result.status is not Status.OK or result.shape is None:
            complete = False
            by_node[nid] = NodeMemory(weights, weights, weights * states, 0)
            continue
        output = batch_size * math.prod(result.shape) * BYTES_PER_VALUE
        if node.type == "Input":
            batch += output
            held += output
            by_node[nid] = NodeMemory(weights, weights, weights * states, 0)
            continue
        readers = _readers(graph, consumers, nid)
        kept = _kept(node.type, node.params, result.input_shapes, output, readers, batch_size)
        inputs = sum(batch_size * math.prod(s) for s in result.input_shapes) * BYTES_PER_VALUE
        fused = output if _fused_activation(node.type, node.params) else 0
        held += kept
        busiest = max(busiest, held + output + fused, held + output + fused + inputs)
        by_node[nid] = NodeMemory(weights, weights, weights * states, kept)
    transient = max(busiest - held, 0)
    return MemoryEstimate(batch_size, optimizer, by_node, batch, transient, complete)


def _readers(graph: Graph, consumers: Mapping[str, list[str]], nid: str) -> list[Node]:
    """The nodes that read ``nid``'s output, looking through views (Flatten, Slice).

    A view shares its input's memory, so whoever keeps the view keeps the tensor.
    """
    found: list[Node] = []
    pending = list(consumers.get(nid, ()))
    while pending:
        node = graph.nodes[pending.pop()]
        if node.type in VIEWS:
            pending.extend(consumers.get(node.id, ()))
            if not consumers.get(node.id):
                found.append(node)  # a view at the end: the loss keeps it
        else:
            found.append(node)
    return found


def _fused_activation(layer: str, params: Mapping[str, Any]) -> bool:
    """A layer that applies an activation after its main op (Conv2D + ReLU...)."""
    return layer != "Activation" and _activation(params) != "None"


def _activation(params: Mapping[str, Any]) -> str:
    value = params.get("activation", params.get("function", "None"))
    return str(value)


def _kept(
    layer: str,
    params: Mapping[str, Any],
    inputs: tuple[Shape, ...],
    output: int,
    readers: list[Node],
    batch_size: int,
) -> int:
    """Bytes of the tensors this node creates that stay alive until the backward pass."""
    if layer in VIEWS:
        return 0
    act = _activation(params)
    has_act = act != "None" and (
        layer == "Activation" or registry.get(layer).has_param("activation")
    )
    kept = 0
    # The node's output: kept by a consumer that saves its input, by a result-saving
    # last op, or by the loss when nothing consumes it.
    saved_by_reader = any(_saves_input(reader) for reader in readers)
    saved_by_self = has_act and act in RESULT_SAVING
    if saved_by_reader or saved_by_self or not readers:
        kept += output
    if has_act and act not in RESULT_SAVING and layer != "Activation":
        kept += output  # the pre-activation tensor, saved by the activation
    if layer in KEEPS_INDICES:
        kept += output // BYTES_PER_VALUE * INDEX_BYTES
    if layer == "Dropout" and float(params.get("rate", 0)) > 0:
        kept += output // BYTES_PER_VALUE * MASK_BYTES
    if layer in PADDED and inputs:
        kept += _padded_copy(params, inputs[0], batch_size)
    return kept


def _saves_input(reader: Node) -> bool:
    """Whether ``reader`` keeps the tensor it receives until the backward pass."""
    if reader.type in KEEPS_INPUT or reader.type in VIEWS:
        return True
    if reader.type == "Activation":
        return _activation(reader.params) not in RESULT_SAVING
    return False


def _padded_copy(params: Mapping[str, Any], shape: Shape, batch_size: int) -> int:
    """Bytes of the padded input a padded Conv2D/pool creates and keeps."""
    if len(shape) != 3 or params.get("padding", "None") == "None":
        return 0
    from nodes.geometry import padding_amounts

    left, right, top, bottom = padding_amounts(params, shape[1], shape[2])
    if left == right == top == bottom == 0:
        return 0
    channels, height, width = shape
    return batch_size * channels * (height + top + bottom) * (width + left + right) * 4


def bytes_text(count: int) -> str:
    """1536 -> '1.5 KB', 3.2e9 -> '3.2 GB' (powers of 1024, as memory is sold)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def advice(memory: MemoryEstimate, available: int, graph: Graph) -> str:
    """Why a run does not fit and what to change, naming the biggest contributors."""
    parts = []
    ranked = memory.biggest(3)
    for nid, m in [p for p in ranked if p[1].total >= memory.total / 20] or ranked[:1]:
        node = graph.nodes[nid]
        biggest = max(
            ("activations", m.activations),
            ("weights, gradients and optimizer state", m.weights + m.gradients + m.optimizer),
            key=lambda item: item[1],
        )
        parts.append(f"{node.type} '{nid}' {bytes_text(m.total)} (mostly {biggest[0]})")
    acts = memory.activations + memory.batch + memory.backward
    fixed = memory.total - acts
    per_sample = acts / max(memory.batch_size, 1)
    fits = int((available - fixed) // per_sample) if per_sample else memory.batch_size
    if fixed > available:
        fix = "the weights alone do not fit: use fewer filters or units in the layers above"
    elif fits < 1:
        fix = (
            f"even one sample needs {bytes_text(int(per_sample))} of activations: use a "
            "smaller input, fewer filters, or a stride/pool earlier"
        )
    else:
        fix = f"lower the batch size to {min(fits, memory.batch_size - 1)} or less"
    return (
        f"training needs about {bytes_text(memory.total)} at batch size {memory.batch_size} "
        f"but only {bytes_text(available)} is available; the largest parts: "
        + "; ".join(parts)
        + f" — {fix}"
    )


def estimate_with_settings(graph: Graph, report: Report) -> MemoryEstimate | None:
    """The estimate at the graph's own training settings (batch size, optimizer), as
    the editor shows it; None while the graph has problems."""
    from graph_io.training_config import TrainingConfig

    if not report.ok:
        return None
    try:
        config = TrainingConfig.from_section(graph.training)
    except ValueError:  # pydantic's ValidationError: the defaults, as the form shows
        config = TrainingConfig.from_section(None)
    return estimate(
        graph, config.batch_size, config.optimizer, momentum=config.momentum, report=report
    )
