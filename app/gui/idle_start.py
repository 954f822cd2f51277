"""Run a costly one-off job when the user pauses, not in the middle of a gesture.

The editor imports torch in the background after start-up; the import holds Python's
lock for 0.2–0.6 s at a time, which freezes the window if it lands while the user is
dragging a node or typing a value. This starts the job once the window has been
without input for a moment (and at the latest after a ceiling, so it is never
skipped); anything that needs the job sooner simply starts it itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

_INPUT = {
    QtCore.QEvent.Type.MouseButtonPress,
    QtCore.QEvent.Type.MouseButtonRelease,
    QtCore.QEvent.Type.MouseMove,
    QtCore.QEvent.Type.KeyPress,
    QtCore.QEvent.Type.Wheel,
    QtCore.QEvent.Type.DragMove,
}


class IdleStart(QtCore.QObject):
    """Call ``job`` once: ``after_ms`` after creation, as soon as the application has
    had no input for ``quiet_ms``, and no later than ``ceiling_ms``."""

    def __init__(
        self,
        job: Callable[[], None],
        *,
        after_ms: int,
        quiet_ms: int = 1000,
        ceiling_ms: int = 30_000,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._job = job
        self._quiet = quiet_ms / 1000
        self._deadline = time.monotonic() + max(ceiling_ms, after_ms) / 1000
        self._last_input = time.monotonic()
        self._done = False
        self._poll = QtCore.QTimer(self)
        self._poll.setInterval(max(50, quiet_ms // 4))
        self._poll.timeout.connect(self._check)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        QtCore.QTimer.singleShot(after_ms, self._poll.start)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT:
            self._last_input = time.monotonic()
        return False

    def _check(self) -> None:
        now = time.monotonic()
        if self._done or (now - self._last_input < self._quiet and now < self._deadline):
            return
        self._done = True
        self._poll.stop()
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._job()
