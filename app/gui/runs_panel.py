"""The Runs dock: the kept runs of the open graph (or all of them), to compare and reuse.

It lists what ``convas runs`` lists (``app.training.run_folder`` reads the folders;
this widget only shows them). Selecting several runs emits their metrics so the
training plots can overlay their curves; the buttons ask the window to open a run's
graph, load its weights into the result and kernel views, resume it, or compare one
run with the open graph or two runs with each other. The widget
never opens files or trains itself: the window decides what those requests mean.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from app.training.run_folder import (
    BEST_WEIGHTS,
    CHECKPOINT_FILE,
    FINAL_WEIGHTS,
    GRAPH_FILE,
    RunError,
    RunInfo,
    list_runs,
    read_metrics,
    runs_root,
)

COLUMNS = ("Run", "Date", "Graph", "Dataset", "Epochs", "Best val", "Duration", "Status")
THIS_GRAPH, ALL_RUNS = "This graph", "All runs"


def _accuracy(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


class RunsPanel(QtWidgets.QWidget):
    """A table of runs with Open Graph, Load Weights, Resume, Compare and Refresh."""

    # {run name: [metric rows of metrics.jsonl]} for the runs selected, in table order
    curves_selected = QtCore.Signal(object)
    open_graph_requested = QtCore.Signal(object)  # Path of the run's graph.yaml
    load_weights_requested = QtCore.Signal(object)  # Path of the run's weights file
    resume_requested = QtCore.Signal(object)  # Path of the run folder
    # [one run folder]: compare it with the open graph; [older, newer]: the two runs
    compare_requested = QtCore.Signal(object)

    def __init__(self, root: Path | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._root = root
        self._graph: str | None = None
        self.runs: list[RunInfo] = []

        self.scope = QtWidgets.QComboBox()
        self.scope.addItems([THIS_GRAPH, ALL_RUNS])
        self.scope.setToolTip("The runs of the open graph, or every run in the runs folder")
        self.scope.currentTextChanged.connect(lambda _text: self.refresh())
        self.table = QtWidgets.QTreeWidget()
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setSortingEnabled(False)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _item, _col: self.open_graph())
        self.empty = QtWidgets.QLabel()
        self.empty.setWordWrap(True)

        self.open_button = QtWidgets.QPushButton("Open Graph")
        self.open_button.setToolTip("Open the graph exactly as this run trained it")
        self.open_button.clicked.connect(self.open_graph)
        self.weights_button = QtWidgets.QPushButton("Load Weights")
        self.weights_button.setToolTip(
            "Show this run's weights in the result and kernel views (the best epoch's if kept)"
        )
        self.weights_button.clicked.connect(self.load_weights)
        self.resume_button = QtWidgets.QPushButton("Resume")
        self.resume_button.setToolTip("Continue this run from its last finished epoch")
        self.resume_button.clicked.connect(self.resume)
        self.compare_button = QtWidgets.QPushButton("Compare")
        self.compare_button.clicked.connect(self.compare)
        refresh = QtWidgets.QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Show"))
        top.addWidget(self.scope)
        top.addStretch(1)
        top.addWidget(refresh)
        buttons = QtWidgets.QHBoxLayout()
        for button in (
            self.open_button,
            self.weights_button,
            self.resume_button,
            self.compare_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.refresh()

    # ---- what is shown -------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self._root or runs_root()

    def set_root(self, root: Path | None) -> None:
        self._root = root
        self.refresh()

    def set_graph(self, name: str | None) -> None:
        """The open graph's name (None: no graph), for the *This graph* view."""
        self._graph = name
        self.refresh()

    def refresh(self) -> None:
        """Read the runs folder again, keeping the selection where the runs still exist."""
        selected = {run.path for run in self.selected_runs()}
        every = self.scope.currentText() == ALL_RUNS
        only = None if every else self._graph
        self.runs = list_runs(self.root, only) if every or only is not None else []
        self.table.blockSignals(True)
        self.table.clear()
        for run in self.runs:
            item = QtWidgets.QTreeWidgetItem(
                [
                    run.name,
                    run.started[:16].replace("T", " "),
                    run.graph,
                    run.dataset,
                    f"{run.epochs_done}/{run.epochs}",
                    _accuracy(run.best_val_accuracy),
                    _duration(run.duration_s),
                    run.status,
                ]
            )
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, str(run.path))
            if run.error:
                item.setToolTip(7, run.error)
            self.table.addTopLevelItem(item)
            item.setSelected(run.path in selected)
        for column in range(len(COLUMNS)):
            self.table.resizeColumnToContents(column)
        self.table.blockSignals(False)
        self.empty.setVisible(not self.runs)
        where = f"of {self._graph!r} " if only else ""
        self.empty.setText(f"No runs {where}in {self.root} yet — every training run is kept there.")
        self._selection_changed()

    def selected_runs(self) -> list[RunInfo]:
        paths = {
            item.data(0, QtCore.Qt.ItemDataRole.UserRole) for item in self.table.selectedItems()
        }
        return [run for run in self.runs if str(run.path) in paths]

    # ---- requests ------------------------------------------------------------------
    def _selection_changed(self) -> None:
        runs = self.selected_runs()
        one = len(runs) == 1
        self.open_button.setEnabled(one and (runs[0].path / GRAPH_FILE).is_file())
        self.weights_button.setEnabled(one and self._weights(runs[0]) is not None)
        self.resume_button.setEnabled(
            one
            and runs[0].status in ("stopped", "crashed")
            and (runs[0].path / CHECKPOINT_FILE).is_file()
        )
        with_graph = [run for run in runs if (run.path / GRAPH_FILE).is_file()]
        self.compare_button.setEnabled(len(runs) in (1, 2) and len(with_graph) == len(runs))
        self.compare_button.setToolTip(
            "Mark on the canvas how the open graph differs from this run's graph"
            if len(runs) == 1
            else "The two runs side by side: graph diff, settings and metrics"
            if len(runs) == 2
            else "Select one run to compare with the open graph, or two to compare them"
        )
        curves: dict[str, list[dict[str, object]]] = {}
        for run in runs:
            try:
                curves[run.name] = read_metrics(run.path)
            except RunError:
                curves[run.name] = []
        self.curves_selected.emit(curves)

    @staticmethod
    def _weights(run: RunInfo) -> Path | None:
        for name in (BEST_WEIGHTS, FINAL_WEIGHTS):
            if (run.path / name).is_file():
                return run.path / name
        return None

    def _single(self) -> RunInfo | None:
        runs = self.selected_runs()
        return runs[0] if len(runs) == 1 else None

    def open_graph(self) -> None:
        run = self._single()
        if run is not None and (run.path / GRAPH_FILE).is_file():
            self.open_graph_requested.emit(run.path / GRAPH_FILE)

    def load_weights(self) -> None:
        run = self._single()
        weights = self._weights(run) if run is not None else None
        if weights is not None:
            self.load_weights_requested.emit(weights)

    def compare(self) -> None:
        """One run: against the open graph; two: the older one first."""
        runs = self.selected_runs()
        if self.compare_button.isEnabled() and len(runs) in (1, 2):
            ordered = sorted(runs, key=lambda run: (run.started, run.name))
            self.compare_requested.emit([run.path for run in ordered])

    def resume(self) -> None:
        run = self._single()
        if run is not None and self.resume_button.isEnabled():
            self.resume_requested.emit(run.path)
