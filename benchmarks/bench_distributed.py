"""2-process vs 1-process data-parallel training throughput on this machine.

Both runs go through ``convas train`` (the second with ``--nproc 2`` on gloo). On a
2-core machine the two processes share the cores a single process already uses
(torch runs 2 threads alone, 1 thread per process under torchrun), so expect a ratio
near or below 1: the benchmark shows the overhead, a cluster shows the gain.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digits_cnn.yaml"


def samples_per_s(extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "train",
            str(EXAMPLE),
            "--epochs",
            "3",
            "--device",
            "cpu",
            "--quiet",
            "--out",
            tmp,
            *extra,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"([\d,]+) samples/s", done.stdout)
    if match is None:
        raise SystemExit(f"no throughput in output:\n{done.stdout}\n{done.stderr}")
    return float(match.group(1).replace(",", ""))


def main() -> None:
    one = samples_per_s([])
    two = samples_per_s(["--nproc", "2"])
    print(
        f"1 process: {one:,.0f} samples/s; 2 processes (gloo): {two:,.0f} samples/s; "
        f"ratio {two / one:.2f}"
    )


if __name__ == "__main__":
    main()
