"""Autosave and crash recovery (app/gui/autosave.py), with a real Document and Qt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.autosave import Autosave, find_recoveries, offer_recovery
from graph_io.editing.document import Document
from graph_io.yaml_io import dumps_graph, load_graph

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
    document.mark_saved()
    saver.edited(structural=False)
    assert not saver.path.exists()
    assert not saver.path.with_suffix(".json").exists()


def test_the_timer_autosaves(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVAS_AUTOSAVE_INTERVAL_MS", "50")
    document = Document(load_graph(LENET))
    document.replace(load_graph(LENET), None, dirty=True)
    saver = saver_for(document, tmp_path)
    assert saver.timer.interval() == 50
    qtbot.waitUntil(saver.path.exists, timeout=5000)
    saver.stop()
    assert not saver.path.exists()


def test_only_sessions_that_ended_are_offered(tmp_path: Path) -> None:
    mine = Document(load_graph(LENET))
    mine.replace(load_graph(LENET), None, dirty=True)
    saver_for(mine, tmp_path).save_now()  # this process runs: not a crash
    crashed = tmp_path / f"{dead_pid()}.yaml"
    crashed.write_text(LENET.read_text())
    crashed.with_suffix(".json").write_text(json.dumps({"source": "/work/net.yaml",
                                                        "saved_at": 1.0}))  # fmt: skip
    (recovery,) = find_recoveries(tmp_path)
    assert recovery.text_path == crashed
    assert recovery.source == Path("/work/net.yaml")
    assert "/work/net.yaml, autosaved" in recovery.describe()


@pytest.mark.parametrize("answer", ["restore", "discard", "keep"])
def test_the_offer_restores_discards_or_keeps(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("CONVAS_RECOVERY_ANSWER", answer)
    from app.gui.autosave import autosave_folder

    folder = autosave_folder()
    folder.mkdir(parents=True)
    edited = LENET.read_text().replace("units: 84", "units: 85")
    crashed = folder / f"{dead_pid()}.yaml"
    crashed.write_text(edited)
    document = Document(load_graph(LENET), LENET)
    restored = offer_recovery(None, document)
    if answer == "restore":
        assert restored is not None
        assert document.graph.nodes["f6"].params["units"] == 85
        assert document.dirty
        assert not crashed.exists()
    else:
        assert restored is None
        assert document.graph.nodes["f6"].params["units"] == 84
        assert crashed.exists() == (answer == "keep")
