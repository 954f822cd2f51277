"""The editor killed with SIGKILL offers to restore its unsaved work on the next start.

Runs the real editor (``python -m app.launch FILE``, offscreen, with its own data and
config folders), forces an autosave every 300 ms through the test hooks of
app/gui/autosave.py, kills it with SIGKILL, starts it again and checks that the
work is offered, restored, and kept safe again by the new session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.1)


def start(home: Path, graph: Path, **extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "CONVAS_AUTOSAVE_INTERVAL_MS": "300",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.launch", str(graph)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def autosave_of(home: Path, pid: int) -> Path | None:
    found = list((home / "data").rglob(f"autosave/{pid}.yaml"))
    return found[0] if found else None


def test_sigkill_then_restart_offers_and_restores_the_work(tmp_path: Path) -> None:
    graph = tmp_path / "net.yaml"
    graph.write_text(LENET.read_text().replace("units: 84", "units: 85"))
    first = start(tmp_path, graph, CONVAS_AUTOSAVE_FORCE="1")
    try:
        wait_for(lambda: autosave_of(tmp_path, first.pid) is not None)
        saved = autosave_of(tmp_path, first.pid)
        assert saved is not None
        wait_for(lambda: saved.with_suffix(".json").exists())
        text = saved.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    assert "units: 85" in text

    second = start(tmp_path, LENET, CONVAS_RECOVERY_ANSWER="restore")
    try:
        # The restored work is unsaved, so the new session autosaves it under its pid.
        wait_for(lambda: autosave_of(tmp_path, second.pid) is not None)
        again = autosave_of(tmp_path, second.pid)
        assert again is not None
        assert again.read_text() == text
        assert not saved.exists()  # the crashed session's copy was taken over
    finally:
        second.terminate()
        _, err = second.communicate(timeout=30)
    assert f"offering to restore unsaved work: {graph}, autosaved" in err
    assert "Traceback" not in err
