"""The Training dock: settings, Start / Stop, progress and live curves.

The panel owns at most one ``TrainingRun``. While it runs, the window is locked
read-only so the graph being trained is the graph on screen; when it ends, the
result goes to the result and kernel views through ``run_finished``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.training_form import TrainingForm
from app.gui.training_memory_note import MemoryNote
from app.gui.training_run import RunCrashed, RunFinished, TrainingRun
from app.gui.view_state import EditLock
from app.training.data import dataset_location, input_shape
from app.training.datasets import check_input_shape, format_shape, natural_shape
from app.training.events import BatchEnd, EpochEnd, Log
from app.training.memory_guard import MemoryGuardError, precheck
from app.training.run_folder import ResumePlan
from graph_io.editing import Compound, Document, SetParam, SetTraining, Update
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

REDRAW_MS = 100
TRAIN_COLOUR, VAL_COLOUR = "#4a9eff", "#ff9f40"
LINES = ("train_loss", "val_loss", "train_acc", "val_acc")


class Curves(QtWidgets.QWidget):
    """Loss and accuracy against epochs, per batch for training and per epoch for
    validation; points are appended, never redrawn from scratch.

    The pyqtgraph plots are made when the curves are first shown: importing pyqtgraph
    takes ~0.2 s that the editor's start-up should not pay. Until then the points are
    only collected.
    """

    def __init__(self) -> None:
        super().__init__()
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.lines: dict[str, Any] = {}  # name -> pyqtgraph PlotDataItem, once made
        self._plots: list[Any] = []
        self._epochs: int | None = None
        self.clear()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.make_plots()

    def make_plots(self) -> None:
        """Create the two plots (once) and draw what was collected so far."""
        if self._plots:
            return
        import pyqtgraph as pg

        train_pen = pg.mkPen(TRAIN_COLOUR, width=1.5)
        val_pen = pg.mkPen(VAL_COLOUR, width=2)
        loss = pg.PlotWidget(title="Loss")
        accuracy = pg.PlotWidget(title="Accuracy")
        accuracy.setYRange(0, 1)
        for plot in (loss, accuracy):
            plot.addLegend(offset=(-10, 10))
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMinimumHeight(80)
            self._layout.addWidget(plot)
        self._plots = [loss, accuracy]
        self._style_plots()
        validation = {"symbol": "o", "symbolSize": 5, "name": "validation"}
        self.lines = {
            "train_loss": loss.plot(pen=train_pen, name="train"),
            "val_loss": loss.plot(pen=val_pen, **validation),
            "train_acc": accuracy.plot(pen=train_pen, name="train"),
            "val_acc": accuracy.plot(pen=val_pen, **validation),
        }
        self._set_x_range()
        self.redraw()

    def _style_plots(self) -> None:
        """Draw the plots in the window's theme (pyqtgraph's own is black on any theme)."""
        palette = self.palette()
        background = palette.color(QtGui.QPalette.ColorRole.Base)
        text = palette.color(QtGui.QPalette.ColorRole.Text)
        for plot, title in zip(self._plots, ("Loss", "Accuracy"), strict=False):
            plot.setBackground(background)
            plot.setTitle(title, color=text.name())
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(text)
                axis.setTextPen(text)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.PaletteChange and self._plots:
            self._style_plots()

    @property
    def plots(self) -> tuple[Any, Any]:
        """The (loss, accuracy) pyqtgraph plots, made now if not yet."""
        self.make_plots()
        return self._plots[0], self._plots[1]

    def _set_x_range(self) -> None:
        if self._epochs is not None:
            for plot in self._plots:
                plot.setXRange(0, self._epochs, padding=0.02)

    def clear(self, epochs: int | None = None) -> None:
        """Forget the last run; with ``epochs``, fix the x axis to the whole run so the
        curves grow into a steady frame instead of rescaling at every point."""
        if epochs is not None:
            self._epochs = epochs
            self._set_x_range()
        self._turn = 0
        self._drawn: dict[str, int] = {}
        self.data: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in LINES}
        for line in self.lines.values():
            line.setData([], [])

    def add(self, name: str, x: float, y: float) -> None:
        xs, ys = self.data[name]
        xs.append(x)
        ys.append(y)

    def redraw(self) -> None:
        for name, line in self.lines.items():
            line.setData(*self.data[name])

    def redraw_next(self) -> None:
        """Update one of the two plots, alternating: painting a plot costs ~15 ms on
        a busy CPU, so one per frame keeps the window's frames short while training."""
        if not self.lines:
            return
        names = ("train_loss", "val_loss") if self._turn == 0 else ("train_acc", "val_acc")
        self._turn = 1 - self._turn
        for name in names:
            xs, ys = self.data[name]
            if len(xs) != self._drawn.get(name, -1):
                self._drawn[name] = len(xs)
                self.lines[name].setData(xs, ys)

    def points(self, name: str) -> int:
        return len(self.data[name][0])


class TrainingPanel(QtWidgets.QWidget):
    run_finished = QtCore.Signal(object)  # RunFinished
    running_changed = QtCore.Signal(bool)
    message = QtCore.Signal(str)  # for the status bar

    def __init__(self, document: Document, lock: EditLock) -> None:
        super().__init__()
        self.document = document
        self.lock = lock
        self.run: TrainingRun | None = None
        self.last: RunFinished | None = None
        layout = QtWidgets.QVBoxLayout(self)
        self.advice = QtWidgets.QLabel()
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet("color: #e0b040")
        self.fix = QtWidgets.QPushButton()
        self.fix.clicked.connect(self.fix_input)
        layout.addWidget(self.advice)
        layout.addWidget(self.fix)
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start training")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        self.form = TrainingForm()
        self.memory = MemoryNote(document, self.form.config, self.base_dir)
        layout.addWidget(self.memory)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%p%")
        layout.addWidget(self.progress)
        self.status = QtWidgets.QLabel("Not trained yet.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        # Settings and curves share the space: nobody needs both at once, and a
        # stacked dock would hide the curves below the fold on a laptop screen.
        self.pages = QtWidgets.QTabWidget()
        self.curves = Curves()
        settings = QtWidgets.QScrollArea()  # the form scrolls; the curves keep their room
        settings.setWidgetResizable(True)
        settings.setWidget(self.form)
        self.pages.addTab(settings, "Settings")
        self.pages.addTab(self.curves, "Curves")
        layout.addWidget(self.pages, 1)
        self.form.changed.connect(self._form_changed)
        self._natural: tuple[int, int, int] | None = None
        self._shapes: dict[tuple[object, ...], tuple[int, ...] | ConvasError] = {}
        self.redraw_timer = QtCore.QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.curves.redraw_next)
        self._update_buttons()
        document.subscribe(self._on_update)
        self.load_section()

    def _on_update(self, update: Update) -> None:
        if update.change.replaced:
            self.forget_run()
            self.load_section()
        elif update.change.training and self.form.section() != self.document.graph.training:
            self.load_section()  # undo or redo of a settings change
        self.check_input()

    def forget_run(self) -> None:
        """A new document: the old model's curves, status and weights do not belong to it."""
        if self.running:
            return
        self.last = None
        self.curves.clear()
        self.progress.setValue(0)
        self.status.setText("Not trained yet.")
        self.pages.setCurrentIndex(0)

    # ---- settings and advice -------------------------------------------------------
    def load_section(self) -> None:
        """Show the open graph's ``training:`` section (after New / Open)."""
        self.form.set_section(self.document.graph.training)

    def _form_changed(self) -> None:
        self._shapes.clear()
        config = self.form.config()
        if config is not None and config != self._stored_config():
            self.document.execute(SetTraining(self.form.section()))
        self.check_input()
        self.memory.later()
        self._update_buttons()

    def _stored_config(self) -> TrainingConfig | None:
        try:
            return TrainingConfig.from_section(self.document.graph.training)
        except ValueError:  # pydantic's ValidationError: the form will replace it
            return None

    def check_input(self) -> None:
        """Advise (with a one-click fix) when the Input node and the dataset differ."""
        self._natural = None
        config = self.form.config()
        message = None
        if config is not None:
            try:
                current = input_shape(self.document.graph)
                spec, path = dataset_location(config, self.base_dir())
                natural = self._natural_shape(spec, path, current)
                message = check_input_shape(spec, natural, current)
                if message:
                    self._natural = (int(natural[0]), int(natural[1]), int(natural[2]))
            except ConvasError as exc:
                message = str(exc)
        self.advice.setText(message or "")
        self.advice.setVisible(bool(message))
        self.fix.setVisible(self._natural is not None)
        if self._natural is not None:
            self.fix.setText(f"Set Input to {format_shape(self._natural)}")

    def _natural_shape(
        self, spec: str, path: str | None, request: tuple[int, int, int]
    ) -> tuple[int, ...]:
        """The dataset's own image shape, remembered: this runs on every graph edit and
        a folder dataset would otherwise be read from disk each time. Editing the
        dataset setting forgets it."""
        key = (spec, path, request)
        if key not in self._shapes:
            try:
                self._shapes[key] = tuple(natural_shape(spec, path, request=request))
            except ConvasError as exc:
                self._shapes[key] = exc
        found = self._shapes[key]
        if isinstance(found, ConvasError):
            raise found
        return found

    def base_dir(self) -> Path | None:
        """Relative dataset paths are relative to the open file, as on the CLI."""
        path = self.document.path
        return path.parent if path is not None else None

    def fix_input(self) -> None:
        if self._natural is None or self.lock.locked:
            return
        node = next((n for n in self.document.graph.nodes.values() if n.type == "Input"), None)
        if node is None:
            return
        names = ("channels", "height", "width")
        parts = [SetParam(node.id, k, v) for k, v in zip(names, self._natural, strict=True)]
        self.document.execute(Compound(f"set Input to {format_shape(self._natural)}", parts))

    # ---- running ------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run is not None and self.run.running

    def _update_buttons(self) -> None:
        self.start_button.setEnabled(not self.running and self.form.config() is not None)
        self.stop_button.setEnabled(self.running)
        self.form.setEnabled(not self.running)
        self.fix.setEnabled(not self.running)

    def start(self) -> None:
        config = self.form.config()
        if config is None or self.running:
            return
        report = self.document.report
        if not report.ok:
            self.status.setText("Fix the graph first: " + report.problems[0].message)
            return
        try:  # before a thread, torch or the data: a run that cannot fit allocates nothing
            precheck(self.document.graph, config, self.base_dir())
        except MemoryGuardError as exc:
            self.status.setText(f"Not started: {exc}")
            self.message.emit("Training not started: it does not fit in memory (see Training)")
            return
        self._launch(TrainingRun(self.document.graph, config, self.base_dir(), self), config)

    def resume(self, plan: ResumePlan) -> None:
        """Continue a kept run (Runs dock → Resume) in its own folder, from its checkpoint."""
        if self.running:
            return
        run = TrainingRun(
            plan.graph, plan.config, plan.base_dir, self, out_dir=plan.path, resume=plan.checkpoint
        )
        self._launch(run, plan.config)

    def _launch(self, run: TrainingRun, config: TrainingConfig) -> None:
        self.curves.clear(config.epochs)
        self.progress.setValue(0)
        self.status.setText("Loading data…")
        self.run = run
        self.run.progress.connect(self._on_event)
        self.run.finished.connect(self._on_finished)
        self.lock.set(True, "a training run has the graph locked — Stop (Ctrl+.) to edit it")
        self.pages.setCurrentWidget(self.curves)
        self.run.start()
        self.redraw_timer.start()
        self._update_buttons()
        self.running_changed.emit(True)

    def stop(self) -> None:
        if self.run is not None and self.running:
            self.run.stop()
            self.status.setText("Stopping after this batch…")

    def shutdown(self) -> None:
        """Stop and wait for a run (the window is closing)."""
        if self.run is not None and self.running:
            self.run.wait(30)

    def _on_event(self, event: object) -> None:
        if isinstance(event, BatchEnd):
            total = event.epochs * event.batches
            self.progress.setMaximum(total)
            self.progress.setValue((event.epoch - 1) * event.batches + event.batch)
            x = event.epoch - 1 + event.batch / event.batches
            self.curves.add("train_loss", x, event.loss)
            self.curves.add("train_acc", x, event.accuracy)
            self.status.setText(
                f"epoch {event.epoch}/{event.epochs} · batch {event.batch}/{event.batches} · "
                f"loss {event.loss:.3f} · accuracy {event.accuracy:.1%} · "
                f"{event.samples_per_s:,.0f} samples/s · ETA {event.eta_s:.0f} s"
            )
        elif isinstance(event, EpochEnd):
            if event.val_loss is not None and event.val_accuracy is not None:
                self.curves.add("val_loss", event.epoch, event.val_loss)
                self.curves.add("val_acc", event.epoch, event.val_accuracy)
        elif isinstance(event, Log):
            self.message.emit(event.message)

    def _on_finished(self, outcome: object) -> None:
        self.redraw_timer.stop()
        self.curves.redraw()
        self.lock.set(False)
        if isinstance(outcome, RunCrashed):
            self.status.setText("Training stopped: " + outcome.message)
        elif isinstance(outcome, RunFinished):
            self.last = outcome
            result = outcome.result
            val = result.final_val_accuracy
            self.status.setText(
                f"{'Stopped' if result.stopped else 'Finished'} after {len(result.epochs)} "
                f"epoch(s) in {result.wall_s:.1f} s · "
                + (f"validation accuracy {val:.1%}" if val is not None else "no validation split")
                + f" · {result.samples_per_s:,.0f} samples/s"
            )
            if not result.stopped:
                self.progress.setValue(self.progress.maximum())
            self.run_finished.emit(outcome)
        self._update_buttons()
        self.running_changed.emit(False)
