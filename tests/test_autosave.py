"""Autosave (app/gui/autosave.py) and recovery (app/gui/recovery.py) in this process,
with a real Document, real windows and real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtWidgets
from pytestqt.qtbot import QtBot

from app.gui.autosave import Autosave, autosave_folder, file_state
from app.gui.recovery import Recovery, find_recoveries, offer_recovery, question
from graph_io.editing.document import Document
from graph_io.yaml_io import dumps_graph, load_graph
from tests.conftest import editor_window

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def saver_for(document: Document, folder: Path) -> Autosave:
    return Autosave(
        text=lambda: dumps_graph(document.graph),
        dirty=lambda: document.dirty,
        source=lambda: document.path,
        folder=folder,
    )


def crashed_session(folder: Path, text: str, source: Path | None, name: str) -> Path:
    """What a killed editor leaves: the graph, its sidecar and a lock nobody holds."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    meta = {"source": str(source) if source else None, "saved_at": 1.0e9, "pid": os.getpid()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    path.with_suffix(".lock").touch()
    return path


@pytest.fixture
def window(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return editor_window(qtbot, monkeypatch, tmp_path / "config")


def test_unsaved_work_is_written_and_removed_once_saved(qtbot: QtBot, tmp_path: Path) -> None:
    document = Document(load_graph(LENET), LENET)
    saver = saver_for(document, tmp_path)
    assert not saver.save_now()  # nothing unsaved yet
    assert not saver.path.exists()
    document.replace(load_graph(LENET), LENET, dirty=True)
    assert saver.save_now()
    assert saver.path.read_text() == dumps_graph(document.graph)
    meta = json.loads(saver.path.with_suffix(".json").read_text())
    assert meta["source"] == str(LENET)
    assert meta["base"] == {"path": str(LENET), **(file_state(LENET) or {})}  # as opened
    document.mark_saved()
    saver.edited(structural=False)
    assert not saver.path.exists()
    assert not saver.path.with_suffix(".json").exists()
    saver.stop()
    assert list(tmp_path.iterdir()) == []  # its lock goes too


def test_the_timer_autosaves(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVAS_AUTOSAVE_INTERVAL_MS", "50")
    document = Document(load_graph(LENET))
    document.replace(load_graph(LENET), None, dirty=True)
    saver = saver_for(document, tmp_path)
    assert saver.timer.interval() == 50
    qtbot.waitUntil(saver.path.exists, timeout=5000)
    saver.stop()
    assert not saver.path.exists()


def test_only_sessions_that_ended_are_offered(qtbot: QtBot, tmp_path: Path) -> None:
    mine = Document(load_graph(LENET))
    mine.replace(load_graph(LENET), None, dirty=True)
    running = saver_for(mine, tmp_path)
    running.save_now()  # this session runs and holds its lock: not a crash
    crashed = crashed_session(tmp_path, LENET.read_text(), Path("/work/net.yaml"), "1-dead")
    legacy = tmp_path / f"{dead_pid()}.yaml"  # an older version's autosave: no lock
    legacy.write_text(LENET.read_text())
    found = find_recoveries(tmp_path)
    assert sorted(r.text_path for r in found) == sorted([crashed, legacy])
    (recovery,) = [r for r in found if r.text_path == crashed]
    assert recovery.source == Path("/work/net.yaml")
    assert recovery.describe().startswith("/work/net.yaml, autosaved 2001-09-0")
    # While one editor offers them, another starting at the same time sees none.
    assert find_recoveries(tmp_path) == []
    for r in found:
        r.release()
    assert len(find_recoveries(tmp_path)) == 2


def test_a_new_session_with_the_dead_ones_process_id_keeps_its_work(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Process ids come round again (in a container the editor often gets the same
    one every time): the new session must neither hide nor delete the old work."""
    crashed = crashed_session(tmp_path, LENET.read_text(), LENET, f"{os.getpid()}-0ld5e55")
    document = Document(load_graph(LENET), LENET)
    saver = saver_for(document, tmp_path)  # same pid, nothing unsaved
    saver.save_now()
    saver.edited(structural=True)
    assert crashed.exists()
    (recovery,) = find_recoveries(tmp_path)
    assert recovery.text_path == crashed
    recovery.release()
    saver.stop()


def test_the_question_says_what_when_and_what_changed(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(LENET.read_text())
    edited = load_graph(source)
    edited.nodes["c1"].params["filters"] = 8
    edited.nodes["f6"].pos = (500.0, 500.0)
    edited.remove_node("output")
    base = {"path": str(source), **(file_state(source) or {})}
    recovery = Recovery(tmp_path / "x.yaml", source, saved_at=1.0e9, base=base)
    headline, details, _ = question(recovery, edited, "in this window", 0, 2)
    assert headline == "Convas closed without saving your changes to net.yaml (1 of 2)."
    assert f"File: {source}" in details
    assert "Autosaved 2001-09-09" in details
    assert "3 changes to the file on disk:" in details
    assert "Conv2D 'c1': filters 6 → 8" in details
    assert "removed Dense 'output'" in details
    assert "1 layer moved" in details
    assert "s2" not in details  # only its shape changed, because of c1
    assert "changed on disk" not in details
    source.write_text(source.read_text() + "\n")  # another program touched it since
    assert "⚠ net.yaml was changed on disk" in question(recovery, edited, "", 0, 1)[1]
    source.unlink()
    assert "net.yaml no longer exists" in question(recovery, edited, "", 0, 1)[1]
    untitled = Recovery(tmp_path / "y.yaml", None, saved_at=1.0e9)
    headline, details, _ = question(untitled, edited, "in a new window", 0, 1)
    assert headline == "Convas closed without saving a new graph, 'lenet5'."
    assert "8 layers, never saved." in details


@pytest.mark.parametrize("answer", ["restore", "discard", "keep"])
def test_the_offer_restores_discards_or_keeps(
    window: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, answer: str
) -> None:
    monkeypatch.setenv("CONVAS_RECOVERY_ANSWER", answer)
    window.open_file(LENET, ask=False)
    edited = LENET.read_text().replace("units: 84", "units: 85")
    crashed = crashed_session(autosave_folder(), edited, LENET, "1-dead")
    from app.gui.autosave import attach

    saver = attach(window)
    if answer == "restore":
        assert window.graph.nodes["f6"].params["units"] == 85
        assert window.document.dirty
        assert window.windowTitle().startswith("lenet5.yaml*")
        assert not crashed.exists()
        assert saver.path.read_text() == dumps_graph(window.graph)  # safe again at once
        assert window.statusBar().currentMessage().startswith("Restored the unsaved work")
    else:
        assert window.graph.nodes["f6"].params["units"] == 84
        assert crashed.exists() == (answer == "keep")


def test_work_on_another_file_opens_in_a_new_window(
    window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVAS_RECOVERY_ANSWER", "restore")
    window.open_file(LENET, ask=False)
    other = ROOT / "examples" / "resnet_mini.yaml"
    crashed_session(autosave_folder(), other.read_text(), other, "1-dead")
    from app.gui.autosave import attach

    saver = attach(window, offer=False)
    (restored,) = offer_recovery(window, saver)
    assert restored.source == other
    assert window.document.path == LENET  # what the user opened stays
    (new,) = [w for w in QtWidgets.QApplication.topLevelWidgets() if w is not window and
              getattr(w, "document", None) is not None and w.isVisible()]  # fmt: skip
    assert new.document.path == other
    assert new.document.dirty
    new.close()  # unsaved: the fixture answers Discard
    QtWidgets.QApplication.processEvents()


def test_closing_a_window_removes_its_autosave(window: Any, qtbot: QtBot) -> None:
    from app.gui.autosave import attach

    window.open_file(LENET, ask=False)
    saver = attach(window, offer=False)
    window.document.replace(load_graph(LENET), LENET, dirty=True)
    assert saver.save_now()
    window.close()  # asks to save: answered Discard
    qtbot.waitUntil(lambda: not saver.path.exists(), timeout=3000)
    assert not saver.lock.held
