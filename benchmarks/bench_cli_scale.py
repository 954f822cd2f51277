"""How `convas summary` and `convas validate` scale with the number of nodes.

Writes chains of 5k, 20k and 100k nodes (Input, then Conv2D/ReLU-style blocks) to a
temporary folder and times the real `convas` command on each in a child process, so
start-up, parsing, validation, inference and printing are all counted. A linear
command takes ~20× the 5k time on 100k nodes; the ratio column shows how far from
linear each size is (1.0 = linear). A size that runs past the time limit is reported
as such instead of blocking the benchmark.

Run: .venv/bin/python benchmarks/bench_cli_scale.py [--sizes 5000,20000,100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 300.0


def chain_text(count: int) -> str:
    """A valid graph of ``count`` nodes: an Input, then Conv2D and Dropout in turn."""
    lines = [
        "convas: 1",
        f"name: chain_{count}",
        "nodes:",
        "  - {id: n0, type: Input, params: {channels: 1, height: 8, width: 8}}",
    ]
    for i in range(1, count):
        if i % 2:
            body = "type: Conv2D, params: {filters: 2, kernel: 3, padding: Same}"
        else:
            body = "type: Dropout, params: {rate: 0.1}"
        lines.append(f"  - {{id: n{i}, {body}, inputs: [n{i - 1}]}}")
    return "\n".join(lines) + "\n"


def time_command(args: list[str]) -> tuple[float | None, int | None]:
    """Wall seconds and exit code of one `convas` run; (None, None) past the limit."""
    command = [sys.executable, "-m", "app.cli", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=LIMIT_S, check=False)
    except subprocess.TimeoutExpired:
        return None, None
    return time.perf_counter() - started, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, limit {LIMIT_S:.0f} s")
    print(f"{'command':<10}{'nodes':>8}{'MB':>7}{'seconds':>10}{'exit':>6}{'vs linear':>11}")
    with tempfile.TemporaryDirectory() as folder:
        for command in ("summary", "validate"):
            first: tuple[int, float] | None = None
            for size in sizes:
                path = Path(folder) / f"chain_{size}.yaml"
                if not path.exists():
                    path.write_text(chain_text(size), encoding="utf-8")
                megabytes = path.stat().st_size / 1e6
                seconds, code = time_command([command, str(path)])
                if seconds is None:
                    print(f"{command:<10}{size:>8}{megabytes:>7.1f}{'> limit':>10}{'-':>6}")
                    continue
                if first is None:
                    first = (size, seconds)
                ratio = (seconds / first[1]) / (size / first[0])
                print(
                    f"{command:<10}{size:>8}{megabytes:>7.1f}{seconds:>10.2f}{code:>6}"
                    f"{ratio:>11.2f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
