"""The background warm-up waits for a pause in the user's input (and not forever)."""

from __future__ import annotations

import time

import pytest
from PySide6 import QtCore, QtWidgets
from pytestqt.qtbot import QtBot

from app.gui.idle_start import IdleStart

pytestmark = pytest.mark.gui


def type_for(qtbot: QtBot, widget: QtWidgets.QWidget, seconds: float) -> None:
    """Key presses every 40 ms, as a user typing a value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.keyClick(widget, QtCore.Qt.Key.Key_A)
        qtbot.wait(40)


def test_the_job_waits_while_the_user_types_then_runs_once(qtbot: QtBot) -> None:
    field = QtWidgets.QLineEdit()
    qtbot.addWidget(field)
    field.show()
    calls: list[float] = []
    start = IdleStart(lambda: calls.append(time.monotonic()), after_ms=0, quiet_ms=300)
    type_for(qtbot, field, 0.8)
    assert calls == []  # never during the typing
    stopped = time.monotonic()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    assert calls[0] - stopped >= 0.25
    qtbot.wait(400)
    assert len(calls) == 1
    del start


def test_a_user_who_never_pauses_still_gets_the_job_by_the_ceiling(qtbot: QtBot) -> None:
    field = QtWidgets.QLineEdit()
    qtbot.addWidget(field)
    field.show()
    calls: list[float] = []
    began = time.monotonic()
    start = IdleStart(
        lambda: calls.append(time.monotonic()), after_ms=0, quiet_ms=300, ceiling_ms=500
    )
    type_for(qtbot, field, 1.0)
    assert len(calls) == 1
    assert calls[0] - began < 0.9
    del start
