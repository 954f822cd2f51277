"""The training-memory estimate against the measured peak of real training steps.

For each example graph (and batch sizes large enough that training, not the
interpreter, dominates), a child process builds the model, runs three training
steps exactly as the engine does (forward, loss, zero_grad, backward, step) and
reports its peak resident memory above what it held before building the model.
`graph_io.train_memory.estimate` predicts the same peak analytically; the ratio
column is estimate / measured (target 0.75-1.25).

Run: .venv/bin/python benchmarks/bench_train_memory.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("lenet5", 512, "Adam"),
    ("lenet5", 2048, "SGD"),
    ("digits_cnn", 2048, "Adam"),
    ("mnist_cnn", 512, "Adam"),
    ("small_vgg", 128, "Adam"),
    ("resnet_mini", 256, "AdamW"),
    ("resnet_mini", 64, "SGD"),
]

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
"""glibc otherwise raises its mmap threshold to 32 MB after the first large free and
keeps freed tensors in the heap, so resident memory would measure the allocator's
fragmentation rather than what training holds; fixed thresholds return large blocks
to the system when torch frees them, as a long run's steady state does."""

CHILD = """
import json, os, resource, sys
import torch
from torch.nn import functional as F
from graph_io.compiler import compile_graph
from graph_io.shapes import infer
from graph_io.yaml_io import load_graph

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

path, batch, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
graph = load_graph(path)
report = infer(graph)
shape = report.results[report.order[0]].shape
classes = report.output_shape[0]
torch.manual_seed(0)
make = {"SGD": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "Adam": lambda p: torch.optim.Adam(p, lr=1e-3),
        "AdamW": lambda p: torch.optim.AdamW(p, lr=1e-3)}[name]

def steps(model, opt, x, y, count):
    for _ in range(count):
        out = model(x)
        loss = F.cross_entropy(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

# The same steps on a batch of 2 first: loads every kernel, library and Python
# module training touches (the optimizers import a lot on first use), so what is
# measured below is memory, not code.
warm = compile_graph(graph)
steps(warm, make(warm.parameters()), torch.rand(2, *shape), torch.zeros(2, dtype=torch.long), 2)
del warm
before = rss()
model = compile_graph(graph)
opt = make(model.parameters())
x = torch.rand(batch, *shape)
y = torch.randint(0, classes, (batch,))
steps(model, opt, x, y, 3)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"measured": peak - before}))
"""


def measure(example: str, batch: int, optimizer: str) -> int:
    path = ROOT / "examples" / f"{example}.yaml"
    env = {**os.environ, **MALLOC_ENV}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(batch), optimizer],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1])["measured"])


def main() -> int:
    from graph_io.train_memory import bytes_text, estimate
    from graph_io.yaml_io import load_graph

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    header = f"{'graph':<13}{'batch':>6}{'opt':>7}{'estimate':>12}{'measured':>12}{'ratio':>7}"
    print(header)
    ratios = []
    for example, batch, optimizer in CASES:
        graph = load_graph(ROOT / "examples" / f"{example}.yaml")
        predicted = estimate(graph, batch, optimizer).total
        measured = measure(example, batch, optimizer)
        ratio = predicted / measured
        ratios.append(ratio)
        print(
            f"{example:<13}{batch:>6}{optimizer:>7}{bytes_text(predicted):>12}"
            f"{bytes_text(measured):>12}{ratio:>7.2f}"
        )
    inside = sum(0.75 <= r <= 1.25 for r in ratios)
    print(f"within ±25 %: {inside} of {len(ratios)}; ratios {min(ratios):.2f}-{max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
