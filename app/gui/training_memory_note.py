"""The Training dock's line on memory: what a step needs and whether it fits.

A user should learn that a graph cannot be trained here before pressing Start, not
from the refusal: after edits pause, this line says what one training step needs at
the dock's batch size (``graph_io.train_memory``), plus the data set, against the
RAM the system can give, and turns into a warning when it does not fit. Start then
refuses with the full advice (``app.training.memory_guard``). The line never runs
the advice's searches: it has to stay cheap while the user edits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from app.training.memory_guard import available_bytes, dataset_images, gpu_possible
from graph_io.editing import Document, Update
from graph_io.memory_advice import Budget
from graph_io.train_memory import bytes_text, estimate
from graph_io.training_config import TrainingConfig

SETTLE_MS = 300
WARNING_STYLE = "color: #d04040; font-weight: bold"


class MemoryNote(QtWidgets.QLabel):
    """One line under the Start button, redone when edits pause."""

    def __init__(
        self,
        document: Document,
        config: Callable[[], TrainingConfig | None],
        base_dir: Callable[[], Path | None],
    ) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.document, self._config, self._base_dir = document, config, base_dir
        self.fits = True
        self._images: dict[tuple[object, ...], int] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.refresh)
        document.subscribe(self._on_update)
        self.refresh()

    def _on_update(self, update: Update) -> None:
        if update.change.replaced or update.change.training:
            self._images.clear()  # another data set, or another graph's folder
        self.later()

    def later(self) -> None:
        self._timer.start()

    def refresh(self) -> None:
        config = self._config()
        report = self.document.report
        if config is None or not report.ok:
            self.setText("")
            self.fits = True
            return
        graph = self.document.graph
        on_gpu = config.device == "cuda" or (config.device == "auto" and gpu_possible())
        memory = estimate(
            graph,
            config.batch_size,
            config.optimizer,
            momentum=config.momentum,
            report=report,
            device="cuda" if on_gpu else "cpu",
        )
        key = (config.dataset, config.path, config.samples, self._base_dir())
        if key not in self._images:
            self._images[key] = dataset_images(graph, config, self._base_dir())
        images = self._images[key]
        need = f"Training needs ≈ {bytes_text(memory.total)} at batch size {config.batch_size}"
        available = None if on_gpu else available_bytes("cpu")
        if available is None:
            self.fits = True
            self.setText(
                need + (" of GPU memory (checked when training starts)." if on_gpu else ".")
            )
            self.setStyleSheet("")
            return
        budget = Budget(available, "RAM", images)
        data = budget.data(graph)
        if data:
            need += f", plus {bytes_text(data)} for the data set"
        self.fits = budget.fits(graph, memory.total)
        if self.fits:
            self.setText(f"{need}; {bytes_text(available)} of RAM is free.")
            self.setStyleSheet("")
        else:
            self.setText(
                f"{need}, but only {bytes_text(available)} of RAM is free: this will not "
                "fit. Start says what to change."
            )
            self.setStyleSheet(WARNING_STYLE)
