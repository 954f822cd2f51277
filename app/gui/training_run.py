"""A training run on a background thread, reporting to the GUI through a queue.

Every run is kept in a run folder by the same engine code ``convas train`` uses
(``app.training.run_folder``). A thread, not a process: the data and the trained
weights stay in memory for the result views, torch releases the GIL inside its
kernels, and the engine already sends at most ~20 progress events a second. The
worker never touches Qt; it only puts events on a queue that a GUI-thread timer
drains, so a burst of events costs one redraw and the window keeps handling input
while the model trains.
"""

from __future__ import annotations

import queue
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

from app.training.data import PreparedData, prepare_data
from app.training.events import Event, TrainResult
from app.training.run_folder import Checkpoint, new_run_path
from app.training.warmup import start_background_warm_up, wait_until_warm
from graph_io.compiler import compile_graph
from graph_io.model import Graph
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

if TYPE_CHECKING:
    from app.training.evaluate import EvalResult

POLL_MS = 30
# While a run is on, the GUI thread asks for the GIL back after at most this long
# (Python's default is 5 ms): painting makes many short Python calls, and each
# would otherwise wait for the training thread's full time slice.
SWITCH_INTERVAL_S = 0.0005


@dataclass(frozen=True)
class RunFinished:
    """The worker's last word: the result, its evaluation on the validation split."""

    result: TrainResult
    evaluation: EvalResult | None
    data: PreparedData


@dataclass(frozen=True)
class RunCrashed:
    message: str


class TrainingRun(QtCore.QObject):
    """Start with ``start()``; ``stop()`` asks the loop to end after its current batch."""

    progress = QtCore.Signal(object)  # engine events (BatchEnd, EpochEnd, Log, ...)
    finished = QtCore.Signal(object)  # RunFinished or RunCrashed, exactly once

    def __init__(
        self,
        graph: Graph,
        config: TrainingConfig,
        base_dir: Path | None,
        parent: QtCore.QObject | None = None,
        *,
        out_dir: Path | None = None,
        resume: Checkpoint | None = None,
    ) -> None:
        """``out_dir`` is the run folder (default: a new one in the runs folder, as
        ``convas train`` makes); with ``resume`` it is the run being continued."""
        super().__init__(parent)
        self.graph, self.config, self.base_dir = graph.copy(), config, base_dir
        self.out_dir = out_dir or new_run_path(graph.name)
        self.resume = resume
        self._queue: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="convas-training", daemon=True)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._drain)
        self.running = False

    def start(self) -> None:
        self.running = True
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        start_background_warm_up()  # no-op once the editor has started it
        self._thread.start()
        self._timer.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        """The worker thread is still running (``running`` may lag it by one poll)."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the worker ends (for closing the window mid-run)."""
        self._stop.set()
        self._thread.join(timeout)

    def _work(self) -> None:
        try:
            wait_until_warm()
            # Imported on this thread, after the warm-up: the engine needs torch, which
            # the editor does not load at start-up.
            from app.training.device import resolve_device
            from app.training.engine import train
            from app.training.evaluate import predict
            from app.training.memory_guard import check_memory

            # Before the data is loaded: a data set too big for RAM, or a step too
            # big for the GPU, is refused here instead of taking the editor down.
            device = resolve_device(self.config.device)
            check_memory(self.graph, self.config, device, base_dir=self.base_dir)
            data = prepare_data(self.graph, self.config, self.base_dir)
            result = train(
                self.graph,
                self.config,
                on_event=self._queue.put,
                stop=self._stop,
                base_dir=self.base_dir,
                data=data,
                out_dir=self.out_dir,
                resume=self.resume,
            )
            evaluation = None
            if result.state is not None and len(data.val):
                model = compile_graph(self.graph, seed=self.config.seed)
                model.load_state_dict(result.state)
                evaluation = predict(model, data.val)
            self._queue.put(RunFinished(result, evaluation, data))
        except ConvasError as exc:
            self._queue.put(RunCrashed(str(exc)))
        except Exception as exc:
            self._queue.put(RunCrashed(f"training failed unexpectedly: {exc!r}"))

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, RunFinished | RunCrashed):
                self._timer.stop()
                self.running = False
                sys.setswitchinterval(self._interval)
                self.finished.emit(item)
                return
            self.progress.emit(item)


__all__ = ["Event", "RunCrashed", "RunFinished", "TrainingRun"]
