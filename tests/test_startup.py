"""The editor starts without torch, pyqtgraph or scikit-learn, and still uses them.

Importing torch alone takes 1.5–2 s, more than the whole start-up budget; the window
must be drawn first and the heavy libraries arrive in the background or on first use.
Each check runs in a fresh interpreter, since the test process has torch loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pyqtgraph", "sklearn")


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no recent files, no recovery
            "XDG_DATA_HOME": str(tmp_path / "data"),
            **env,
        },
    )


def test_importing_the_window_module_imports_no_heavy_library(tmp_path: Path) -> None:
    result = run_python(
        f"""
        import sys
        import app.gui.main_window
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_convas_opens_a_file_drawn_and_idle_before_any_heavy_library(tmp_path: Path) -> None:
    """The real entry point, as the start-up benchmark runs it: the probe reports once
    the canvas has painted and the event loop is idle, then quits. The background
    warm-up, which imports torch and scikit-learn on purpose 2 s after the window is
    built, is put off here: on a loaded machine start-up may take that long, and the
    question is what start-up itself imports."""
    entry = (
        "import sys, app.gui.main_window as window; window.WARM_UP_DELAY_MS = 600_000; "
        "from app.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", entry, str(ROOT / "examples" / "lenet5.yaml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "CONVAS_READY_PROBE": "quit",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "convas-ready heavy-modules=none" in result.stdout.splitlines()
    # Nothing on the user's terminal: no library's deprecation warning either (the
    # offscreen platform plugin's own notices are the test set-up's, not the user's).
    ours = [line for line in result.stderr.splitlines() if "does not support" not in line]
    assert ours == []


def test_the_kernel_view_loads_torch_in_the_background_then_shows_kernels(
    tmp_path: Path,
) -> None:
    """Selecting a Conv2D with the kernel view open before torch is there: the view
    says it is loading (the window stays responsive), then shows the 6 kernels."""
    result = run_python(
        """
        import sys, time
        from PySide6 import QtWidgets
        from app.gui.main_window import MainWindow

        app = QtWidgets.QApplication([])
        window = MainWindow()
        window.open_file("examples/lenet5.yaml", ask=False)
        window.show()
        window.kernels_dock.raise_()
        window.select("c1")
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            app.processEvents()
        print("torch before:", "torch" in sys.modules, window.conv_view.title.text())
        deadline = time.monotonic() + 120
        while "filters" not in window.conv_view.title.text() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        print("after:", window.conv_view.title.text(), window.conv_view.kernels.count())
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.splitlines()[-2:]
    assert before.endswith("Loading PyTorch…")
    assert after.startswith("after: Conv2D 'c1': 6 filters")
    assert after.endswith(" 6")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "PASSIVE"),
        ({"OMP_WAIT_POLICY": "ACTIVE"}, "ACTIVE"),
        ({"CONVAS_KEEP_OMP_WAIT_POLICY": "1"}, "unset"),
    ],
)
def test_openmp_threads_sleep_while_waiting_unless_the_user_chose(
    tmp_path: Path, given: dict[str, str], expected: str
) -> None:
    """Spinning OpenMP threads made training 8-10x slower on a busy machine
    (benchmarks/bench_busy_machine.py): the policy is in place before torch loads,
    in this process and the workers it starts, and a user's own choice wins."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_WAIT_POLICY", "CONVAS_KEEP_OMP_WAIT_POLICY")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys, app.cli; assert 'torch' not in sys.modules; "
            "print(os.environ.get('OMP_WAIT_POLICY', 'unset'))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, **given},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
