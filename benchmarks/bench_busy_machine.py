"""Training speed on a busy machine: OpenMP's wait policy, with and without other load.

torch's CPU kernels run on an OpenMP thread team as wide as the machine. By default
(GNU libgomp, ``OMP_WAIT_POLICY`` unset) a thread that finishes its share spins,
waiting for the others; when another program holds a core, the thread the team waits
for is not running and every step waits a scheduler slice. Convas sets
``OMP_WAIT_POLICY=PASSIVE`` (``app/__init__.py``), so waiting threads sleep.

This script trains ``examples/digits_cnn.yaml`` for a few epochs with the real
``convas train`` command, each policy in its own process (the policy is read when
torch loads), first on the machine as it is, then with one busy-looping process per
core beside it, as a browser or a compile would be. Runs alternate; it prints
samples per second (median of the runs) and the ratio PASSIVE / default.

    python benchmarks/bench_busy_machine.py [--runs 3] [--epochs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT / "examples" / "digits_cnn.yaml"
POLICIES = {"default (spin)": None, "PASSIVE (Convas)": "PASSIVE"}


def _spin(stop: float) -> None:
    while time.monotonic() < stop:
        pass


@contextmanager
def busy_cores(count: int, seconds: float) -> Iterator[None]:
    """``count`` processes that keep one core each busy for up to ``seconds``."""
    stop = time.monotonic() + seconds
    workers = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(count)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()


def samples_per_second(policy: str | None, epochs: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["CONVAS_KEEP_OMP_WAIT_POLICY"] = "1"  # measure exactly the policy given here
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "app.cli", "train", str(GRAPH)]
        result = subprocess.run(
            [*command, "--epochs", str(epochs), "--out", str(Path(out) / "run")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"done: .* ([\d,]+) samples/s", result.stdout + result.stderr)
    if found is None:
        raise SystemExit(f"no throughput in the output:\n{result.stdout}\n{result.stderr}")
    return float(found.group(1).replace(",", ""))


def measure(runs: int, epochs: int) -> dict[str, float]:
    rates: dict[str, list[float]] = {name: [] for name in POLICIES}
    for _ in range(runs):
        for name, policy in POLICIES.items():
            rates[name].append(samples_per_second(policy, epochs))
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(
        f"{cores} cores, load average {os.getloadavg()[0]:.1f} at the start; "
        f"digits_cnn, {args.epochs} epochs, median of {args.runs} runs"
    )
    for label, load in (("as it is", 0), (f"+ {cores} busy processes", cores)):
        if load:
            with busy_cores(load, seconds=3600):
                result = measure(args.runs, args.epochs)
        else:
            result = measure(args.runs, args.epochs)
        spin, passive = result["default (spin)"], result["PASSIVE (Convas)"]
        print(
            f"{label:>24}: default {spin:8,.0f} samples/s · PASSIVE {passive:8,.0f} "
            f"samples/s · ratio {passive / spin:.2f}"
        )


if __name__ == "__main__":
    main()
