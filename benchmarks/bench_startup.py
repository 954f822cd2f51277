"""Start-up: from process start to a drawn, idle editor with a small file open.

Runs the real ``convas examples/lenet5.yaml`` in a child process (offscreen Qt, fresh
settings and data folders) with ``CONVAS_READY_PROBE=quit``: the editor prints a
line once the window is shown, the canvas has painted and the event loop is idle,
then quits. The time to that line is compared with two references measured in the
same run: a bare ``import PySide6.QtWidgets``, and the smallest Qt program that
shows a window. The child's line also says which heavy libraries (torch, pyqtgraph,
scikit-learn) were loaded by then; they must not be. Last, ``-X importtime`` shows
what importing the window module still costs, largest first.

Target: ≤ 1 s from process start to the drawn, editable window.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT / "examples" / "lenet5.yaml"
CONVAS = Path(sys.executable).with_name("convas")
REPEAT = 7
SMALLEST_WINDOW = (
    "from PySide6 import QtCore, QtWidgets\n"
    "app = QtWidgets.QApplication([])\n"
    "w = QtWidgets.QMainWindow(); w.resize(1500, 950); w.show()\n"
    "QtCore.QTimer.singleShot(0, app.quit); app.exec()\n"
)


def child_env(tmp: str) -> dict[str, str]:
    """Offscreen, and settings/autosave folders of its own (no recovery prompt)."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
        "XDG_DATA_HOME": os.path.join(tmp, "data"),
        "CONVAS_READY_PROBE": "quit",
    }


def child_cpu() -> float:
    """CPU seconds (user + system) used by finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child run."""
    cpu, start = child_cpu(), time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - start, child_cpu() - cpu


def time_to_ready(env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds until the editor's ready line, the child's CPU seconds (up to
    its exit, which follows at once), and that line."""
    cpu, start = child_cpu(), time.perf_counter()
    with subprocess.Popen(
        [str(CONVAS), str(GRAPH)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("convas-ready"):
                elapsed = time.perf_counter() - start
                child.wait(30)
                return elapsed, child_cpu() - cpu, line.strip()
        child.wait(30)
    raise RuntimeError(f"the editor ended without a ready line (exit {child.returncode})")


def import_costs(env: dict[str, str], top: int = 12) -> list[tuple[str, float]]:
    """Cumulative import time (ms) of the window module's largest imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app.gui.main_window"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 3:  # the window module and what it imports
            rows.append((match.group(3), int(match.group(1)) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = child_env(tmp)
        qt_import = [timed_run([sys.executable, "-c", "import PySide6.QtWidgets"], env)]
        window = [timed_run([sys.executable, "-c", SMALLEST_WINDOW], env)]
        editor: list[tuple[float, float]] = []
        line = ""
        for _ in range(REPEAT):  # interleaved, so load changes hit all three alike
            qt_import.append(timed_run([sys.executable, "-c", "import PySide6.QtWidgets"], env))
            window.append(timed_run([sys.executable, "-c", SMALLEST_WINDOW], env))
            wall, cpu, line = time_to_ready(env)
            editor.append((wall, cpu))
        costs = import_costs(env)

    def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    reference = medians(qt_import[1:])
    print(
        f"process start to result, median of {REPEAT} (first run discarded for references); "
        "CPU = the child's user + system time, which other load on the machine disturbs less:"
    )
    rows = [
        ("python -c 'import PySide6.QtWidgets' (reference)", reference),
        ("smallest Qt program showing a window", medians(window[1:])),
        ("convas lenet5.yaml: drawn and idle", medians(editor)),
    ]
    for name, (wall, cpu) in rows:
        print(
            f"  {name:<50} wall {wall * 1000:6.0f} ms ({wall / reference[0]:4.1f}x)"
            f"  CPU {cpu * 1000:6.0f} ms ({cpu / reference[1]:4.1f}x)"
        )
    print(f"  editor runs, wall: {', '.join(f'{r[0] * 1000:.0f}' for r in editor)} ms")
    print(f"  at ready: {line}")
    print("importing app.gui.main_window, largest imports (cumulative ms, one run):")
    for name, ms in costs:
        print(f"  {name:<40} {ms:7.1f}")


if __name__ == "__main__":
    main()
