"""Say when the editor is drawn and idle, for start-up measurements.

``benchmarks/bench_startup.py`` starts the real ``convas FILE.yaml`` in a child
process with ``CONVAS_READY_PROBE`` set and times how long it takes until this
module prints its line: the window has been shown, the canvas has painted once and
the event loop has nothing left to do, so the user could click and type. With the
value ``quit`` the application then closes, so the child ends by itself.

The line also says which heavy libraries were imported by then (torch, pyqtgraph,
scikit-learn): start-up must not wait for them.
"""

from __future__ import annotations

import os
import sys

from PySide6 import QtCore, QtWidgets

ENV_VAR = "CONVAS_READY_PROBE"
READY = "convas-ready"
HEAVY_MODULES = ("torch", "pyqtgraph", "sklearn")


def heavy_modules_loaded() -> list[str]:
    return [name for name in HEAVY_MODULES if name in sys.modules]


class ReadyProbe(QtCore.QObject):
    """Prints ``convas-ready`` once the watched widget has painted and events are done."""

    def __init__(self, watched: QtWidgets.QWidget, quit_after: bool) -> None:
        super().__init__(watched)
        self._quit = quit_after
        self._watched = watched
        self._done = False
        watched.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if not self._done and event.type() == QtCore.QEvent.Type.Paint:
            self._done = True
            # A zero timer runs once the events queued so far (the rest of the first
            # paint, layout requests) have been handled: the window is idle then.
            QtCore.QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        self._watched.removeEventFilter(self)
        loaded = ",".join(heavy_modules_loaded()) or "none"
        print(f"{READY} heavy-modules={loaded}", flush=True)
        if self._quit:
            application = QtWidgets.QApplication.instance()
            if application is not None:
                application.quit()


def attach_if_asked(viewport: QtWidgets.QWidget) -> ReadyProbe | None:
    """Watch ``viewport`` (the canvas) when ``CONVAS_READY_PROBE`` is set."""
    value = os.environ.get(ENV_VAR, "")
    if not value:
        return None
    return ReadyProbe(viewport, quit_after=value == "quit")
