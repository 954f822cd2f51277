"""The training-memory estimate against the measured peak of real training.

For each graph, batch size and optimizer, a child process runs the engine's own
``train()`` — data cut into batches by index, forward, loss, ``zero_grad``,
backward, optimizer step, metrics and the validation pass after the epoch — for
three steps on random data of the graph's input shape. The dataset is made before
the measurement starts (the estimate covers one step, not the data set), and a
warm-up run at batch size 2 loads every kernel and module first. The child then
resets the kernel's high-water mark of its resident memory (``/proc/self/clear_refs``)
and reports how far ``VmHWM`` rose above what it held before the measured run.

Two columns: glibc's malloc as ``convas train`` runs it, and with malloc told to
hand freed blocks back (fixed mmap threshold), which leaves only the tensors
themselves: the first is what a user gets, the second checks the tensor rules
apart from the allocator. ``graph_io.train_memory.estimate`` predicts the first
(its ``slack`` term models the heap blocks glibc keeps); the ratio columns are
estimate / measured (target 0.75-1.25). Below about 16 MB the process's own noise
(allocator arenas, kernel caches) is as large as the model, so those rows are shown
but not counted. Linux only (``/proc``).

Run: .venv/bin/python benchmarks/bench_train_memory.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXTRA_GRAPHS = {
    "bn_dropout": """
  - {id: input, type: Input, params: {channels: 3, height: 64, width: 64}}
  - {id: c1, type: Conv2D, params: {filters: 32, kernel: 3, padding: Same, activation: ReLU},
     inputs: [input]}
  - {id: bn1, type: BatchNorm2D, inputs: [c1]}
  - {id: d1, type: Dropout, params: {rate: 0.3}, inputs: [bn1]}
  - {id: p1, type: MaxPool2D, params: {kernel: 2}, inputs: [d1]}
  - {id: c2, type: Conv2D, params: {filters: 64, kernel: 3, padding: Same}, inputs: [p1]}
  - {id: bn2, type: BatchNorm2D, inputs: [c2]}
  - {id: a2, type: Activation, params: {function: GELU}, inputs: [bn2]}
  - {id: gap, type: GlobalAvgPool2D, inputs: [a2]}
  - {id: d2, type: Dropout, params: {rate: 0.5}, inputs: [gap]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [d2]}
""",
    "concat_add": """
  - {id: input, type: Input, params: {channels: 3, height: 64, width: 64}}
  - {id: stem, type: Conv2D, params: {filters: 32, kernel: 3, padding: Same, activation: ReLU},
     inputs: [input]}
  - {id: a, type: Conv2D, params: {filters: 32, kernel: 1, activation: ReLU}, inputs: [stem]}
  - {id: b, type: Conv2D, params: {filters: 32, kernel: 3, padding: Same, activation: SiLU},
     inputs: [stem]}
  - {id: cat, type: Concat, inputs: [a, b]}
  - {id: merge, type: Conv2D, params: {filters: 32, kernel: 1}, inputs: [cat]}
  - {id: add, type: Add, inputs: [merge, stem]}
  - {id: act, type: Activation, params: {function: ReLU}, inputs: [add]}
  - {id: pool, type: AvgPool2D, params: {kernel: 2}, inputs: [act]}
  - {id: flat, type: Flatten, inputs: [pool]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [flat]}
""",
    "depthwise": """
  - {id: input, type: Input, params: {channels: 3, height: 64, width: 64}}
  - {id: stem, type: Conv2D, params: {filters: 32, kernel: 3, stride: 2, padding: Same,
     activation: ReLU}, inputs: [input]}
  - {id: dw1, type: Conv2D, params: {filters: 32, kernel: 3, padding: Same, depthwise: true},
     inputs: [stem]}
  - {id: bn1, type: BatchNorm2D, inputs: [dw1]}
  - {id: r1, type: Activation, params: {function: Hardswish}, inputs: [bn1]}
  - {id: pw1, type: Conv2D, params: {filters: 64, kernel: 1, activation: ReLU}, inputs: [r1]}
  - {id: dw2, type: Conv2D, params: {filters: 64, kernel: 3, padding: Same, depthwise: true,
     activation: Hardswish}, inputs: [pw1]}
  - {id: pw2, type: Conv2D, params: {filters: 128, kernel: 1, activation: LeakyReLU},
     inputs: [dw2]}
  - {id: gap, type: GlobalAvgPool2D, inputs: [pw2]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [gap]}
""",
    "gates_norms": """
  - {id: input, type: Input, params: {channels: 3, height: 32, width: 32}}
  - {id: c1, type: Conv2D, params: {filters: 32, kernel: 3, padding: Same}, inputs: [input]}
  - {id: gn, type: GroupNorm, params: {groups: 8}, inputs: [c1]}
  - {id: a1, type: Activation, params: {function: Sigmoid}, inputs: [gn]}
  - {id: mul, type: Multiply, inputs: [a1, c1]}
  - {id: p, type: MaxPool2D, params: {kernel: 2}, inputs: [mul]}
  - {id: up, type: Upsample, params: {scale: 2}, inputs: [p]}
  - {id: ct, type: ConvTranspose2D, params: {filters: 16, kernel: 2, stride: 2,
     activation: ELU}, inputs: [up]}
  - {id: ln, type: LayerNorm, inputs: [ct]}
  - {id: gap, type: GlobalAvgPool2D, inputs: [ln]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [gap]}
""",
}
"""Graphs beside the examples: BatchNorm, Dropout, Concat, Add, depthwise
convolutions, gates, GroupNorm, LayerNorm, Upsample and a transposed convolution."""

TEMPLATES = [
    "lenet5",
    "digits_cnn",
    "mnist_cnn",
    "small_vgg",
    "resnet_mini",
    "mobilenet_v2_mini",
    "se_resnet_mini",
]
CASES = [
    *((name, batch, "Adam", 0.9) for name in TEMPLATES for batch in (1, 32, 256)),
    *((name, batch, "Adam", 0.9) for name in EXTRA_GRAPHS for batch in (32, 256)),
    ("resnet_mini", 128, "SGD", 0.0),
    ("resnet_mini", 128, "SGD", 0.9),
    ("resnet_mini", 128, "AdamW", 0.9),
    ("small_vgg", 64, "SGD", 0.9),
    ("small_vgg", 64, "AdamW", 0.9),
]
COUNTED_FROM = 16 * 2**20
"""Estimates below this are dominated by the process's own noise: shown, not counted."""

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
"""Fixed thresholds stop glibc from raising its mmap threshold after the first large
free, so freed tensors leave the process (training runs 1.6-2× slower like this,
which is why `convas train` does not)."""

CHILD = """
import gc, json, sys
import torch
from app.training.data import PreparedData
from app.training.datasets.base import Dataset, Normalization
from app.training.engine import train
from graph_io.shapes import infer
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import load_graph

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024

path, batch, optimizer, momentum = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
graph = load_graph(path)
report = infer(graph)
shape = report.results[report.order[0]].shape
classes = report.output_shape[0]

def data(count):
    torch.manual_seed(0)
    def split(n):
        x = torch.rand(n, *shape)
        y = torch.randint(0, classes, (n,))
        return Dataset(x, y, [str(i) for i in range(classes)], "random", "bench")
    train_set, val_set = split(3 * count), split(max(count, 512))
    return PreparedData(train_set, val_set, Normalization.identity(shape[0]), None)

def config(size):
    return TrainingConfig(epochs=1, batch_size=size, optimizer=optimizer, momentum=momentum,
                          device="cpu", lr=1e-3)

train(graph, config(2), data=data(2))  # loads every kernel and module training uses
measured = data(batch)
gc.collect()
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
train(graph, config(batch), data=measured)
print(json.dumps({"measured": status("VmHWM") - before}))
"""


def measure(path: Path, batch: int, optimizer: str, momentum: float, *, tuned: bool) -> int:
    env = {**os.environ, **(MALLOC_ENV if tuned else {})}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(batch), optimizer, str(momentum)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{path.name} at batch {batch} failed:\n{done.stderr[-2000:]}")
    return int(json.loads(done.stdout.strip().splitlines()[-1])["measured"])


def graph_path(name: str, folder: Path) -> Path:
    if name not in EXTRA_GRAPHS:
        return ROOT / "examples" / f"{name}.yaml"
    path = folder / f"{name}.yaml"
    path.write_text(f"convas: 1\nname: {name}\nnodes:{EXTRA_GRAPHS[name]}", encoding="utf-8")
    return path


def main() -> int:
    from graph_io.train_memory import bytes_text, estimate
    from graph_io.yaml_io import load_graph

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        f"{'graph':<18}{'batch':>6}{'opt':>10}{'estimate':>11}{'measured':>11}{'ratio':>7}"
        f"{'returned':>11}{'ratio':>7}"
    )
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, batch, optimizer, momentum in CASES:
            path = graph_path(name, Path(folder))
            memory = estimate(load_graph(path), batch, optimizer, momentum=momentum)
            plain = measure(path, batch, optimizer, momentum, tuned=False)
            tuned = measure(path, batch, optimizer, momentum, tuned=True)
            live = memory.total - memory.slack  # what the tuned allocator leaves
            ratio = memory.total / plain
            counted = memory.total >= COUNTED_FROM
            if counted:
                ratios.append(ratio)
            label = optimizer + (f" m{momentum:g}" if optimizer == "SGD" else "")
            print(
                f"{name:<18}{batch:>6}{label:>10}{bytes_text(memory.total):>11}"
                f"{bytes_text(plain):>11}{ratio:>7.2f}{bytes_text(tuned):>11}"
                f"{live / tuned:>7.2f}" + ("" if counted else "  (not counted)"),
                flush=True,
            )
    inside = sum(0.75 <= r <= 1.25 for r in ratios)
    print(
        f"within ±25 % (default malloc, estimates ≥ {bytes_text(COUNTED_FROM)}): "
        f"{inside} of {len(ratios)}; ratios {min(ratios):.2f}-{max(ratios):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
