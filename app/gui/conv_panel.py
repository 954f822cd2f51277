"""Kernels and feature maps of the selected Conv2D node.

Shown for the current weights: the last finished run's when they still fit the
graph, otherwise the initial weights the compiler would train from (same seed), so
a student can see "a kernel slides over the image and makes a feature map" before
training and compare after. All arrays come from ``app.training.conv_views``.

The editor starts without torch: until the background warm-up has imported it, the
view says it is loading and tries again, instead of freezing the window for the
import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.images import to_pixmap
from app.gui.tile_grid import TileGrid
from app.gui.view_state import Selection
from app.training.data import PreparedData, prepare_data
from app.training.warmup import start_background_warm_up, torch_ready
from graph_io.compiler import compile_graph
from graph_io.editing import Document, Update
from graph_io.model import Graph
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

if TYPE_CHECKING:
    import torch

    from app.gui.training_run import RunFinished

SETTLE_MS = 250  # how long edits must pause before the views recompute


def weights_fit(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> bool:
    own = model.state_dict()
    return own.keys() == state.keys() and all(own[k].shape == state[k].shape for k in own)


class ConvPanel(QtWidgets.QWidget):
    def __init__(self, document: Document, selection: Selection) -> None:
        super().__init__()
        self.document = document
        self.node_id: str | None = None
        # The weights to show instead of the initial ones, and what they are.
        self.weights: tuple[dict[str, torch.Tensor], str] | None = None
        self._data: tuple[object, PreparedData | None, str] | None = None
        layout = QtWidgets.QVBoxLayout(self)
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        columns = QtWidgets.QHBoxLayout()  # side by side: the dock sits in the wide bottom
        left, right = QtWidgets.QVBoxLayout(), QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("Kernels (one per filter):"))
        self.kernels = TileGrid(40)
        left.addWidget(self.kernels, 1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Feature maps of sample"))
        self.sample_index = QtWidgets.QSpinBox()
        self.sample_index.setRange(0, 0)
        self.sample_index.valueChanged.connect(lambda _v: self.update_view())
        row.addWidget(self.sample_index)
        self.sample = QtWidgets.QLabel()
        row.addWidget(self.sample)
        self.sample_label = QtWidgets.QLabel()
        row.addWidget(self.sample_label, 1)
        right.addLayout(row)
        self.maps = TileGrid(56)
        right.addWidget(self.maps, 1)
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        layout.addLayout(columns, 1)
        self._pending = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._run_pending)
        self.show_node(None)
        selection.changed.connect(lambda _ids: self.show_node(selection.single))
        document.subscribe(self._on_update)

    def _on_update(self, update: Update) -> None:
        if update.change.replaced:
            self.weights = None  # they belonged to the old model
        self.schedule()

    def show_node(self, node_id: str | None) -> None:
        """Any node may be selected; whether it convolves is read off its compiled
        module, so a future convolution-like layer shows up here with no GUI change."""
        self.node_id = node_id
        self.schedule()

    def set_trained(self, finished: RunFinished) -> None:
        state = finished.result.state
        self.set_weights(state, "trained weights")

    def set_weights(self, state: dict[str, torch.Tensor] | None, source: str) -> None:
        """Show these weights (trained, or imported with a model) while they fit."""
        self.weights = (state, source) if state is not None else None
        self.schedule()

    def fitting_weights(self) -> dict[str, torch.Tensor] | None:
        """The trained or imported weights, if they still fit the graph on screen."""
        if self.weights is None or not self.document.report.ok:
            return None
        graph = self.document.graph
        model = compile_graph(graph, seed=TrainingConfig.from_section(graph.training).seed)
        return self.weights[0] if weights_fit(model, self.weights[0]) else None

    def schedule(self) -> None:
        """Recompute once the user pauses, and only when someone can see it: it compiles
        the model and runs it on an image, which must never slow typing down."""
        self._timer.start()

    def _on_screen(self) -> bool:
        """Some of the panel can be seen. A dock tabbed behind another is "visible" to
        Qt (switching tabs sends no show or hide events) with nothing on screen, and
        gets its first paint event when its tab is raised."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def _run_pending(self) -> None:
        if not (self._on_screen() or self.window().isHidden()):
            self._pending = True  # recompute when next painted
            return
        self._pending = False
        if not torch_ready():
            start_background_warm_up()  # no-op once started
            self.title.setText("Loading PyTorch…")
            self._timer.start()  # look again shortly
            return
        self.update_view()

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        self.schedule()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._pending:  # its tab was raised: catch up with what changed meanwhile
            self._pending = False
            self.schedule()

    def _show_nothing(self, message: str) -> None:
        self.title.setText(message)
        self.kernels.clear()
        self.maps.clear()
        self.sample.clear()
        self.sample_label.clear()

    def _dataset(self, graph: Graph) -> tuple[PreparedData | None, str]:
        """The validation images the kernels are applied to, cached per setting."""
        key = (
            repr(graph.training),
            repr([n.params for n in graph.nodes.values() if n.type == "Input"]),
            self.document.path,
        )
        if self._data is None or self._data[0] != key:
            try:
                config = TrainingConfig.from_section(graph.training)
                base = self.document.path.parent if self.document.path else None
                self._data = (key, prepare_data(graph, config, base), "")
            except (ConvasError, ValueError) as exc:
                self._data = (key, None, str(exc))
        return self._data[1], self._data[2]

    def update_view(self) -> None:
        from app.training.conv_views import (
            ConvViewError,
            feature_map_images,
            feature_maps,
            kernel_tiles,
            sample_image,
        )

        graph = self.document.graph
        ok = self.document.report.ok
        if self.node_id is None or self.node_id not in graph.nodes or not ok:
            self._show_nothing(
                "Select a Conv2D node to see its kernels and feature maps."
                if ok
                else "Fix the graph's problems to see kernels and feature maps."
            )
            return
        config = TrainingConfig.from_section(graph.training)
        model = compile_graph(graph, seed=config.seed)
        if self.weights is not None and weights_fit(model, self.weights[0]):
            model.load_state_dict(self.weights[0])
            source = self.weights[1]
        else:
            source = f"initial weights (seed {config.seed}) — train to see what it learns"
        try:
            tiles = kernel_tiles(model, self.node_id)
        except ConvViewError:
            self._show_nothing(
                f"{graph.nodes[self.node_id].type} '{self.node_id}' has no "
                "kernels: select a Conv2D node to see them and its feature maps."
            )
            return
        node_type = graph.nodes[self.node_id].type
        self.title.setText(f"{node_type} '{self.node_id}': {len(tiles)} filters, {source}")
        self.kernels.show_tiles(
            [t.image for t in tiles],
            [str(i + 1) for i in range(len(tiles))],
            [t.note for t in tiles],
        )
        data, problem = self._dataset(graph)
        if data is None or len(data.val) + len(data.train) == 0:
            self.maps.clear()
            self.sample.clear()
            self.sample_label.setText(problem or "no images")
            return
        split = data.val if len(data.val) else data.train
        self.sample_index.blockSignals(True)
        self.sample_index.setRange(0, len(split) - 1)
        self.sample_index.blockSignals(False)
        index = self.sample_index.value()
        image = split.x[index]
        self.sample.setPixmap(to_pixmap(sample_image(image), 48))
        self.sample_label.setText(f"class {split.classes[int(split.y[index])]}")
        try:
            maps = feature_maps(model, self.node_id, image)
        except ConvViewError as exc:
            self.maps.clear()
            self.sample_label.setText(str(exc))
            return
        self.maps.show_tiles(
            feature_map_images(maps),
            [str(i + 1) for i in range(len(maps))],
            [
                f"feature map {i + 1}: {maps.shape[1]}×{maps.shape[2]}, "
                f"min {float(m.min()):.2f}, max {float(m.max()):.2f}"
                for i, m in enumerate(maps)
            ],
        )
