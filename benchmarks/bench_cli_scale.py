"""How `convas summary` and `convas validate` scale with the number of nodes, and how
fast files over the limits are refused.

Writes chains (Input, then Conv2D and Dropout in turn) and residual graphs (blocks
of Conv2D, ReLU, Conv2D and an Add joining the block's input) of 5k, 20k and 100k
nodes to a temporary folder and times the real `convas` command on each in a child
process, so start-up, parsing, validation, inference and printing are all counted.
A linear command takes ~20x the 5k time on 100k nodes; the "vs linear" column shows
how far from linear each size is (1.0 = linear).

Then the files a hostile or careless user might hand over: just under the 10 MB
limit (a 99,000-node graph padded with comments, once plain and once with a ``*`` in
a comment, which used to send the whole file to the pure-Python YAML parser), just
over it (11 MB), one whose only fault is its last node (a repeated id: found only
after parsing everything) and one with more than 100,000 node ids. The reference for every
row is `convas validate` on the 5k chain in the same run (start-up dominates it).

Run: .venv/bin/python benchmarks/bench_cli_scale.py [--sizes 5000,20000,100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 300.0
HEADER = ["convas: 1", "nodes:"]


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


def residual_text(count: int) -> str:
    """About ``count`` nodes: an Input, then residual blocks (conv, ReLU, conv, Add)."""
    conv = "type: Conv2D, params: {filters: 4, kernel: 3, padding: Same}"
    lines = [
        "convas: 1",
        f"name: residual_{count}",
        "nodes:",
        "  - {id: n0, type: Input, params: {channels: 4, height: 8, width: 8}}",
    ]
    last, i = "n0", 1
    while i + 3 < count:
        lines += [
            f"  - {{id: n{i}, {conv}, inputs: [{last}]}}",
            f"  - {{id: n{i + 1}, type: Activation, params: {{function: ReLU}}, inputs: [n{i}]}}",
            f"  - {{id: n{i + 2}, {conv}, inputs: [n{i + 1}]}}",
            f"  - {{id: n{i + 3}, type: Add, inputs: [n{i + 2}, {last}]}}",
        ]
        last, i = f"n{i + 3}", i + 4
    return "\n".join(lines) + "\n"


def padded(text: str, size: int, marker: str = "") -> str:
    """``text`` plus comment lines up to ``size`` bytes (with ``marker`` first)."""
    line = "# " + "x" * 97 + "\n"
    out = [text, marker]
    total = len(text) + len(marker)
    while total + len(line) < size:
        out.append(line)
        total += len(line)
    return "".join(out)


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
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        reference = folder / "reference.yaml"
        reference.write_text(chain_text(5000), encoding="utf-8")
        ref_s, _ = time_command(["validate", str(reference)])
        assert ref_s is not None
        print(f"reference: validate on the 5k chain {ref_s:.2f} s")
        print(f"{'command':<10}{'graph':<10}{'nodes':>8}{'MB':>7}{'seconds':>10}{'exit':>6}"
              f"{'vs linear':>11}")  # fmt: skip
        kinds: dict[str, Callable[[int], str]] = {"chain": chain_text, "residual": residual_text}
        for command in ("summary", "validate"):
            for kind, make in kinds.items():
                first: tuple[int, float] | None = None
                for size in sizes:
                    path = folder / f"{kind}_{size}.yaml"
                    if not path.exists():
                        path.write_text(make(size), encoding="utf-8")
                    megabytes = path.stat().st_size / 1e6
                    seconds, code = time_command([command, str(path)])
                    row = f"{command:<10}{kind:<10}{size:>8}{megabytes:>7.1f}"
                    if seconds is None:
                        print(f"{row}{'> limit':>10}{'-':>6}")
                        continue
                    first = first or (size, seconds)
                    ratio = (seconds / first[1]) / (size / first[0])
                    print(f"{row}{seconds:>10.2f}{code:>6}{ratio:>11.2f}")
        hostile = {
            "9.9 MB, 99k nodes": padded(chain_text(99_000), 9_900_000),
            "9.9 MB, 99k nodes, a * in a comment": padded(
                chain_text(99_000), 9_900_000, "# 3 * 4\n"
            ),
            "9.9 MB, 99k nodes, last id repeated": padded(
                chain_text(99_000) + "  - {id: n5, type: Dropout, inputs: [n98998]}\n", 9_900_000
            ),
            "9.9 MB, 118k node ids": chain_text(118_000)[:9_900_000],
            "11 MB": padded(chain_text(1000), 11_000_000),
        }
        print(f"{'file':<38}{'seconds':>9}{'exit':>6}{'x reference':>13}")
        for name, text in hostile.items():
            path = folder / "hostile.yaml"
            path.write_text(text, encoding="utf-8")
            seconds, code = time_command(["validate", str(path)])
            if seconds is None:
                print(f"{name:<38}{'> limit':>9}")
                continue
            print(f"{name:<38}{seconds:>9.2f}{code:>6}{seconds / ref_s:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
