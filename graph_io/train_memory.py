"""How much memory training a graph needs, worked out before anything is allocated.

A 3×2048×2048 input into a 1,024-filter Conv2D used to end in an allocator
traceback after asking for hundreds of GB. This module predicts the peak of one
training step from the inference report alone (no torch), per node and in total,
so `convas summary --batch-size N` can show it, `convas train` and the editor can
refuse a run that cannot fit, and the message can name what to change.

The peak of a step in Convas's engine comes at the end of the forward pass or early
in the backward pass: the weights, the previous step's gradients (freed by
``zero_grad`` only after the forward), the optimizer's state, every activation
autograd keeps for the backward pass, and the input batch. What autograd keeps
follows torch's own rules, per op, and only where a gradient flows (an op whose
inputs need no gradient and that has no weights records nothing):

* a convolution, linear layer or normalisation keeps its *input* (for its weights'
  gradients, so always); a pooling window keeps its input when it needs a gradient,
  max pooling also its argmax indices (int64, 8 bytes per output value);
* ReLU, Sigmoid, Tanh and (Log)Softmax keep their *output*; ELU, GELU, SiLU,
  LeakyReLU and the hard activations keep their *input*;
* ``Multiply`` keeps each operand whose partner needs a gradient;
* dropout keeps its mask: a float32 tensor on the CPU (torch scales a noise tensor
  there), one byte per value on CUDA;
* a padded convolution or pooling pads into a new tensor and keeps *that* instead
  of the tensor it was given;
* views (Flatten, Slice) share their input's memory, so whoever keeps a view keeps
  its source; ops whose backward needs no values (Add, Concat, Upsample, ZeroPad2D,
  global or 1×1 adaptive average pooling) keep nothing.

``tests/test_train_memory.py`` checks these rules against the tensors autograd
really saves, on random graphs. On top of the kept tensors comes the busiest
moment of the step: walking the nodes in data-flow order, the backward pass at a
node holds everything kept up to it plus the gradients of its output, its fused
activation and its inputs. On the CPU, glibc's ``malloc`` serves tensors below its
32 MiB mmap threshold from a heap that it does not give back while training, and
the freed blocks it keeps add ``HEAP_SLACK`` of those tensors to the peak the
process reaches (``benchmarks/bench_train_memory.py`` measures both).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nodes as registry
from graph_io.model import Graph, Node
from graph_io.shapes import BYTES_PER_VALUE, Report, Status, infer

OPTIMIZER_STATES = {"SGD": 1, "Adam": 2, "AdamW": 2}
"""Tensors of optimizer state per parameter: momentum for SGD, two moments for Adam."""

WEIGHTED = frozenset(
    {"Conv2D", "ConvTranspose2D", "Dense", "BatchNorm2D", "GroupNorm", "LayerNorm"}
)
"""Layers whose weights need their input to get a gradient: they always keep it."""
WINDOWS = frozenset({"MaxPool2D", "AvgPool2D", "AdaptiveAvgPool2D", "AdaptiveMaxPool2D"})
"""Pooling windows: they keep their input when a gradient flows through them."""
KEEPS_INDICES = frozenset({"MaxPool2D", "AdaptiveMaxPool2D"})
RESULT_SAVING = frozenset({"ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"})
"""Activations whose backward uses their output; the others use their input."""
VIEWS = frozenset({"Flatten", "Slice"})
"""Outputs that share their input's memory."""
PADDED = frozenset({"Conv2D", "MaxPool2D", "AvgPool2D"})
INDEX_BYTES = 8
MASK_BYTES = {"cpu": BYTES_PER_VALUE, "cuda": 1}
"""Bytes per value of a dropout mask: torch multiplies by a float noise tensor on the
CPU and keeps a bool mask on CUDA."""
HEAP_MAX = 32 * 2**20
"""glibc's largest mmap threshold: smaller tensors come from the heap once training
has freed a few."""
HEAP_SLACK = 0.5
"""Freed heap blocks glibc keeps during a step, as a share of the heap-sized tensors
kept for the backward pass (0.23-0.60 measured on the examples, see
docs/benchmarks.md)."""
EVAL_BATCH = 512
"""The largest batch evaluation uses: more only costs memory."""
EVAL_COPIES = 3
"""oneDNN reorders a convolution's input and output into its own layout, so a forward
pass without gradients holds up to about three copies of its busiest tensors
(measured on lenet5 at batch 512: 1.7× the tensors themselves)."""


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
    activations it keeps); ``batch`` is the input batch, ``backward`` the room the
    busiest moment of the step needs on top (gradients of activations in flight, a
    fused activation's input) and ``slack`` the freed memory the CPU allocator keeps.
    ``inference_per_sample`` is what evaluating one more sample needs at its busiest
    node (no gradients). ``complete`` is False when some nodes have no shape (an
    invalid graph), so their share is missing.
    """

    batch_size: int
    optimizer: str
    by_node: dict[str, NodeMemory] = field(default_factory=dict)
    batch: int = 0
    backward: int = 0
    slack: int = 0
    inference_per_sample: int = 0
    complete: bool = True
    device: str = "cpu"
    busiest_node: str | None = None
    momentum: float = 0.9

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
    def state(self) -> int:
        """Weights, gradients and optimizer state: what no batch size changes."""
        return self.weights + self.gradients + self.optimizer_state

    @property
    def total(self) -> int:
        return self.state + self.activations + self.batch + self.backward + self.slack

    def biggest(self, count: int = 3) -> list[tuple[str, NodeMemory]]:
        """The nodes that cost the most, largest first."""
        ranked = sorted(self.by_node.items(), key=lambda item: item[1].total, reverse=True)
        return [(nid, m) for nid, m in ranked[:count] if m.total > 0]

    def eval_batch_size(self, cap: int = EVAL_BATCH) -> int:
        """The batch evaluation can use without needing more than a training step.

        Evaluation keeps nothing for a backward pass, so it can take more samples at
        once than training — but not 512 whatever the graph: a graph whose training
        batch barely fits failed there after a whole epoch. Never less than the
        training batch, whose step needs more than its evaluation.
        """
        per_sample = EVAL_COPIES * self.inference_per_sample
        room = self.total - self.state
        wider = room // per_sample if per_sample > 0 else cap
        return max(1, min(cap, max(self.batch_size, wider)))

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used by `convas summary --json --batch-size N`."""
        return {
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "device": self.device,
            "total_bytes": self.total,
            "weights_bytes": self.weights,
            "gradients_bytes": self.gradients,
            "optimizer_bytes": self.optimizer_state,
            "activations_bytes": self.activations,
            "input_batch_bytes": self.batch,
            "backward_bytes": self.backward,
            "allocator_slack_bytes": self.slack,
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
    device: str = "cpu",
) -> MemoryEstimate:
    """Peak memory of one training step of ``graph`` at ``batch_size`` (float32).

    ``optimizer`` is SGD, Adam or AdamW (SGD without momentum keeps no state);
    ``device`` is the kind of device (``cpu``, ``cuda``, ``mps``). Pass the
    ``report`` of ``infer(graph)`` when you have it, to skip re-inferring.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if optimizer not in OPTIMIZER_STATES:
        raise ValueError(f"unknown optimizer {optimizer!r}; use SGD, Adam or AdamW")
    report = report or infer(graph)
    walk = _Walk(graph, report, batch_size, device)
    states = 0 if optimizer == "SGD" and momentum == 0 else OPTIMIZER_STATES[optimizer]
    by_node: dict[str, NodeMemory] = {}
    complete = True
    batch = 0
    heap = 0
    # Walk in data-flow order, tracking what is alive at each node's busiest moment:
    # in the forward pass the output appears while a fused activation's input still
    # exists; in the backward pass, the gradients of the node's output, of its fused
    # activation and of its inputs exist while everything kept before it is alive.
    held = 0
    busiest = 0
    busiest_node = None
    for nid in walk.order:
        result = report.results[nid]
        node = graph.nodes[nid]
        weights = result.params * BYTES_PER_VALUE
        if result.status is not Status.OK or result.shape is None:
            complete = False
            by_node[nid] = NodeMemory(weights, weights, weights * states, 0)
            continue
        output = walk.output_bytes(nid)
        if node.type == "Input":
            batch += output
            held += output
            by_node[nid] = NodeMemory(weights, weights, weights * states, 0)
            continue
        tensors = walk.kept(node)
        kept = sum(tensors)
        heap += sum(t for t in tensors if t <= HEAP_MAX)
        inputs = sum(walk.output_bytes(source) for source in node.inputs)
        fused = output if _fused_activation(node.type, node.params) else 0
        held += kept
        if held + output + fused + inputs > busiest:
            busiest, busiest_node = held + output + fused + inputs, nid
        by_node[nid] = NodeMemory(weights, weights, weights * states, kept)
    transient = max(busiest - held, 0)
    slack = int(HEAP_SLACK * heap) if device == "cpu" else 0
    return MemoryEstimate(
        batch_size,
        optimizer,
        by_node,
        batch,
        transient,
        slack,
        walk.inference_per_sample(),
        complete,
        device,
        busiest_node,
        momentum,
    )


class _Walk:
    """What the rules need to know about the graph's tensors while walking it."""

    def __init__(self, graph: Graph, report: Report, batch_size: int, device: str) -> None:
        self.graph, self.report, self.batch_size = graph, report, batch_size
        self.mask_bytes = MASK_BYTES.get(device, BYTES_PER_VALUE)
        placed = set(report.order)  # once: a set per node was O(n²) on big graphs
        self.order = [*report.order, *(n for n in report.results if n not in placed)]
        self.consumers = graph.consumers()
        # Which outputs need a gradient: autograd records only what leads to weights.
        self.grad: dict[str, bool] = {}
        for nid in report.order:
            node = graph.nodes[nid]
            own = report.results[nid].params > 0
            self.grad[nid] = own or any(self.grad.get(s, False) for s in node.inputs)

    def output_bytes(self, nid: str, batch: int | None = None) -> int:
        shape = self.report.results[nid].shape
        if shape is None or _is_view(self.graph.nodes[nid]):
            return 0
        return (batch or self.batch_size) * math.prod(shape) * BYTES_PER_VALUE

    def kept(self, node: Node) -> list[int]:
        """Sizes of the tensors ``node`` creates that stay alive until the backward pass."""
        if _is_view(node):
            return []
        output = self.output_bytes(node.id)
        values = output // BYTES_PER_VALUE
        grad = self.grad.get(node.id, False)
        act = _activation(node.params)
        has_act = act != "None" and (
            node.type == "Activation" or registry.get(node.type).has_param("activation")
        )
        readers = self.readers(node.id)
        tensors = []
        # The node's output: kept by a reader that saves what it receives or by a
        # result-saving last op; at the end of the graph the loss keeps a copy.
        saved_by_self = has_act and act in RESULT_SAVING and grad
        saved_by_reader = any(self._saves(reader, slot) for reader, slot in readers)
        if saved_by_self or saved_by_reader:
            tensors.append(output)
        if not readers and grad:
            tensors.append(output)  # the loss's log-softmax, which its backward reads
        if has_act and act not in RESULT_SAVING and node.type != "Activation":
            tensors.append(output)  # the pre-activation tensor, saved by the activation
        if node.type in KEEPS_INDICES and grad:
            tensors.append(values * INDEX_BYTES)
        if node.type == "Dropout" and grad and float(str(node.params.get("rate", 0))) > 0:
            tensors.append(values * self.mask_bytes)
        if self._padded(node) and (node.type in WEIGHTED or self._grad_in(node)):
            tensors.append(self._padded_bytes(node))
        if node.type == "Multiply":
            tensors.extend(self._partial_products(node, output))
        return tensors

    def readers(self, nid: str) -> list[tuple[Node, int]]:
        """(node, input slot) of every op that reads ``nid``'s output, through views.

        A view shares its input's memory, so whoever keeps the view keeps the
        tensor; a view at the end of the graph is kept by the loss.
        """
        found: list[tuple[Node, int]] = []
        pending = [nid]
        while pending:
            source = pending.pop()
            for reader_id in self.consumers.get(source, ()):
                reader = self.graph.nodes[reader_id]
                if _is_view(reader):
                    if self.consumers.get(reader_id):
                        pending.append(reader_id)
                    else:
                        found.append((reader, -1))
                    continue
                found.extend((reader, slot) for slot, s in enumerate(reader.inputs) if s == source)
        return found

    def _saves(self, reader: Node, slot: int) -> bool:
        """Whether ``reader`` keeps the tensor it receives at input ``slot``."""
        if slot < 0:  # a view that ends the graph: the loss keeps it
            return self.grad.get(reader.id, False)
        if self._padded(reader):
            return False  # it keeps its padded copy instead
        if reader.type in WEIGHTED:
            return True
        if reader.type == "AdaptiveAvgPool2D" and _pair(reader.params.get("output_size")) == (
            1,
            1,
        ):
            return False  # torch takes the mean, whose backward needs no values
        if reader.type in WINDOWS:
            return self._grad_in(reader)
        if reader.type == "Activation":
            return _activation(reader.params) not in RESULT_SAVING and self._grad_in(reader)
        if reader.type == "Multiply":
            # x0 * x1 * ... keeps x0 if x1 needs a gradient, and x_i if the product
            # before it does.
            partners = reader.inputs[1:2] if slot == 0 else reader.inputs[:slot]
            return any(self.grad.get(s, False) for s in partners)
        return False

    def _partial_products(self, node: Node, output: int) -> list[int]:
        """A product of three or more inputs keeps its partial products too."""
        kept = []
        for slot in range(2, len(node.inputs)):
            if self.grad.get(node.inputs[slot], False):
                kept.append(output)
        return kept

    def _grad_in(self, node: Node) -> bool:
        return any(self.grad.get(s, False) for s in node.inputs)

    def _padded(self, node: Node) -> bool:
        """Whether ``node`` pads its input into a new tensor before its window op."""
        if node.type not in PADDED:
            return False
        shapes = self.report.results[node.id].input_shapes
        if not shapes or len(shapes[0]) != 3 or node.params.get("padding", "None") == "None":
            return False
        from nodes.geometry import padding_amounts

        return any(padding_amounts(node.params, shapes[0][1], shapes[0][2]))

    def _padded_bytes(self, node: Node, batch: int | None = None) -> int:
        from nodes.geometry import padding_amounts

        channels, height, width = self.report.results[node.id].input_shapes[0]
        left, right, top, bottom = padding_amounts(node.params, height, width)
        padded = channels * (height + top + bottom) * (width + left + right)
        return (batch or self.batch_size) * padded * BYTES_PER_VALUE

    def inference_per_sample(self) -> int:
        """Bytes per sample at the busiest node of a forward pass without gradients:
        every tensor still to be read, the node's inputs, its padded copy, its output
        and its fused activation's output."""
        index = {nid: i for i, nid in enumerate(self.report.order)}
        freed_after: dict[int, list[str]] = {}
        for nid in self.report.order:
            readers = self.readers(nid)
            if readers:  # the graph's output lives to the end
                last = max(index.get(r.id, 0) for r, _ in readers)
                freed_after.setdefault(last, []).append(nid)
        alive = 0
        peak = 0
        for i, nid in enumerate(self.report.order):
            node = self.graph.nodes[nid]
            output = self.output_bytes(nid, batch=1)
            fused = output if _fused_activation(node.type, node.params) else 0
            padded = self._padded_bytes(node, batch=1) if self._padded(node) else 0
            peak = max(peak, alive + padded + output + fused)
            alive += output
            alive -= sum(self.output_bytes(s, batch=1) for s in freed_after.get(i, ()))
        return peak


def _is_view(node: Node) -> bool:
    """An output that shares its input's memory (Dropout at rate 0 returns its input)."""
    if node.type == "Dropout":
        return float(str(node.params.get("rate", 0))) == 0
    return node.type in VIEWS


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    if isinstance(value, int):
        return value, value
    return None


def _fused_activation(layer: str, params: Mapping[str, Any]) -> bool:
    """A layer that applies an activation after its main op (Conv2D + ReLU...)."""
    return layer != "Activation" and _activation(params) != "None"


def _activation(params: Mapping[str, Any]) -> str:
    value = params.get("activation", params.get("function", "None"))
    return str(value)


def bytes_text(count: int) -> str:
    """1536 -> '1.5 KB', 3.2e9 -> '3.0 GB' (powers of 1024, as memory is sold)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def estimate_with_settings(
    graph: Graph, report: Report, device: str = "cpu"
) -> MemoryEstimate | None:
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
        graph,
        config.batch_size,
        config.optimizer,
        momentum=config.momentum,
        report=report,
        device=device,
    )
