"""The editor killed with SIGKILL offers its unsaved work at the next start.

Each editor is a separate process started as ``convas FILE`` starts it, with its own
data and config folders, driven by ``tests/autosave_driver.py`` with real mouse and
key events: click a node, retype a parameter, add a layer through the Tab search,
drag it. Once the autosave holds the edits the editor is killed with SIGKILL; the
next one is started on the same file and its recovery question answered with a
click. The tests check what the question says, that the restored graph is exactly
the edited one, where Save writes it, and what happens to the autosave files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"
DRIVER = ROOT / "tests" / "autosave_driver.py"


def environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "CONVAS_AUTOSAVE_INTERVAL_MS": "300",
    }


def reports(output: str) -> list[dict[str, Any]]:
    return [json.loads(line[7:]) for line in output.splitlines() if line.startswith("DRIVER ")]


def edit_then_kill(home: Path, graph: str) -> dict[str, Any]:
    """Edit ``graph`` ('-': a new one) in an editor, wait for the autosave, SIGKILL it."""
    editor = subprocess.Popen(
        [sys.executable, str(DRIVER), "edit", graph],
        cwd=ROOT,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert editor.stdout is not None
        line = editor.stdout.readline()  # the driver reports once the autosave holds the edits
    finally:
        editor.send_signal(signal.SIGKILL)
        _, err = editor.communicate(timeout=30)
    assert editor.returncode == -signal.SIGKILL
    assert line.startswith("DRIVER "), err
    edited: dict[str, Any] = json.loads(line[7:])
    return edited


def restart(home: Path, graph: str, answers: str, *, save: bool = False) -> list[dict[str, Any]]:
    """Start the editor on ``graph``, click ``answers`` in turn, report (and Ctrl+S)."""
    args = [sys.executable, str(DRIVER), "restore", graph, answers, *(["save"] if save else [])]
    editor = subprocess.Popen(
        args,
        cwd=ROOT,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if save:
            out, err = editor.communicate(timeout=120)
        else:
            assert editor.stdout is not None
            out = editor.stdout.readline()
            err = ""
    finally:
        if editor.poll() is None:
            editor.terminate()
            editor.communicate(timeout=30)
    found = reports(out)
    assert found, err
    assert "Traceback" not in err
    return found


def autosave_files(home: Path) -> list[str]:
    """The autosave folder's files, less a temporary file the kill may have cut short
    mid-write (by design: the next write removes it, and the finished file is whole)."""
    return sorted(
        p.name for p in (home / "data").rglob("autosave/*") if not p.name.endswith(".convas-tmp")
    )


@pytest.fixture
def net(tmp_path: Path) -> Path:
    path = tmp_path / "net.yaml"
    shutil.copy(LENET, path)
    return path


def test_sigkill_then_restart_restores_exactly_the_edited_graph(tmp_path: Path, net: Path) -> None:
    edited = edit_then_kill(tmp_path, str(net))
    assert edited["title"] == "net.yaml* — Convas"
    assert "filters: 8" in edited["graph"]
    assert "dropout" in edited["graph"]
    left = autosave_files(tmp_path)
    assert len(left) == 3  # SESSION.yaml, .json and the lock the kill released

    first, after_save = restart(tmp_path, str(net), "Restore", save=True)
    (question,) = first["dialogs"]
    assert question["text"] == "Convas closed without saving your changes to net.yaml."
    info = question["info"]
    assert f"File: {net}" in info
    assert "(just now)" in info
    assert "Conv2D 'c1': filters 6 → 8" in info
    assert "added Dropout 'dropout_1'" in info
    assert "Restore opens it in this window." in info
    assert "changed on disk" not in info
    (window,) = first["windows"]
    assert window["graph"] == edited["graph"]  # every edit, the drag included
    assert window["title"] == "net.yaml* — Convas"
    assert window["dirty"]
    assert window["path"] == str(net)
    assert window["status"].startswith("Restored the unsaved work on net.yaml")
    assert not set(left) & set(first["autosaves"])  # the crashed session's copy is gone...
    assert any(name.endswith(".yaml") for name in first["autosaves"])  # ...kept by this one

    (window,) = after_save["windows"]
    assert window["title"] == "net.yaml — Convas"
    assert net.read_text() == edited["graph"]  # Save wrote to the original file
    assert not any(name.endswith(".yaml") for name in after_save["autosaves"])
    assert autosave_files(tmp_path) == []  # a normal exit leaves nothing behind


def test_two_crashed_windows_one_of_them_untitled_come_back_as_two_windows(
    tmp_path: Path, net: Path
) -> None:
    on_file = edit_then_kill(tmp_path, str(net))
    untitled = edit_then_kill(tmp_path, "-")
    (report,) = restart(tmp_path, str(net), "Restore,Restore")
    first, second = report["dialogs"]
    assert first["text"].endswith("your changes to net.yaml (1 of 2).")  # its file first
    assert "Restore opens it in this window." in first["info"]
    assert first["text"] != second["text"]
    assert second["text"].startswith("Convas closed without saving a new graph")
    assert second["text"].endswith("(2 of 2).")
    assert "never saved" in second["info"]
    assert "Restore opens it in a new window." in second["info"]
    by_title = {w["title"]: w for w in report["windows"]}
    assert set(by_title) == {"net.yaml* — Convas", "untitled (unsaved)* — Convas"}
    assert by_title["net.yaml* — Convas"]["graph"] == on_file["graph"]
    assert by_title["untitled (unsaved)* — Convas"]["graph"] == untitled["graph"]
    assert by_title["untitled (unsaved)* — Convas"]["path"] is None
    assert sum(name.endswith(".yaml") for name in report["autosaves"]) == 2  # both safe again


def test_decide_later_keeps_the_work_and_discard_removes_it(tmp_path: Path, net: Path) -> None:
    edit_then_kill(tmp_path, str(net))
    crashed = [name for name in autosave_files(tmp_path) if name.endswith(".yaml")]
    (later,) = restart(tmp_path, str(net), "Decide Later")
    assert len(later["dialogs"]) == 1
    (window,) = later["windows"]
    assert not window["dirty"]  # the file as it is on disk
    assert "dropout" not in window["graph"]
    assert set(crashed) <= set(later["autosaves"])  # kept for the next start
    (again,) = restart(tmp_path, str(net), "Discard Changes")
    assert len(again["dialogs"]) == 1  # offered again
    assert not again["windows"][0]["dirty"]
    assert not set(crashed) & set(again["autosaves"])  # discarded: gone
    (after,) = restart(tmp_path, str(net), "Restore")
    assert after["dialogs"] == []  # and never offered again


def test_a_file_changed_on_disk_after_the_crash_is_named_in_the_offer(
    tmp_path: Path, net: Path
) -> None:
    edit_then_kill(tmp_path, str(net))
    net.write_text(net.read_text().replace("units: 84", "units: 90"))  # another program
    (report,) = restart(tmp_path, str(net), "Restore")
    info = report["dialogs"][0]["info"]
    assert "⚠ net.yaml was changed on disk today at" in info
    assert "use Save As to keep both" in info
    assert "Dense 'f6': units 90 → 84" in info  # what restoring would undo, listed too
