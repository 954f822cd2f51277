"""Kept runs drawn over the Training dock's plots, to compare their curves.

Selecting runs in the Runs dock hands their ``metrics.jsonl`` rows here; each run
gets its own colour in both plots (training dashed, validation solid with dots) and
a legend entry that names it. The live run's curves are the ``Curves`` widget's own
items and are never touched: a run can train while earlier ones are shown beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6 import QtCore, QtGui

from app.gui.training_panel import Curves

# Okabe–Ito hues that differ from the live run's blue and orange and from each other
# for colour-blind readers; more runs than these get evenly spaced hues.
RUN_COLORS = ("#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#E69F00", "#0072B2", "#999999")

# (plot: 0 loss, 1 accuracy; metric field; legend suffix; dashed)
SERIES = (
    (0, "train_loss", "train", True),
    (0, "val_loss", "validation", False),
    (1, "train_accuracy", "train", True),
    (1, "val_accuracy", "validation", False),
)


def run_color(index: int, count: int) -> QtGui.QColor:
    """The colour of the ``index``-th of ``count`` runs shown at once."""
    if count <= len(RUN_COLORS):
        return QtGui.QColor(RUN_COLORS[index])
    return QtGui.QColor.fromHsvF(index / count, 0.75, 0.85)


def series(rows: Sequence[Mapping[str, Any]], field: str) -> tuple[list[float], list[float]]:
    """(epochs, values) of one metric; epochs without it (no validation split) are left out."""
    xs: list[float] = []
    ys: list[float] = []
    for row in rows:
        value = row.get(field)
        if isinstance(value, int | float) and isinstance(row.get("epoch"), int | float):
            xs.append(float(row["epoch"]))
            ys.append(float(value))
    return xs, ys


class RunCurves:
    """The kept runs' curves in a ``Curves`` widget: ``show`` replaces the set shown."""

    def __init__(self, curves: Curves) -> None:
        self.curves = curves
        # run name -> (pyqtgraph plot, data item) drawn for it, in SERIES order
        self.items: dict[str, list[tuple[Any, Any]]] = {}

    @property
    def runs(self) -> list[str]:
        return list(self.items)

    def show(self, runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Draw exactly ``runs`` ({run name: metric rows}, in the order to colour them)."""
        self.clear()
        if not runs:
            return  # nothing to draw: the plots (and pyqtgraph) can wait
        import pyqtgraph as pg

        plots = self.curves.plots
        last_epoch = 0.0
        for index, (name, rows) in enumerate(runs.items()):
            color = run_color(index, len(runs))
            drawn = []
            for plot_index, field, label, dashed in SERIES:
                xs, ys = series(rows, field)
                if not xs:
                    continue
                last_epoch = max(last_epoch, xs[-1])
                style = QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine
                pen = pg.mkPen(color, width=1.5, style=style)
                plot = plots[plot_index]
                symbol = {} if dashed else {"symbol": "o", "symbolSize": 4, "symbolBrush": color}
                item = plot.plot(xs, ys, pen=pen, name=f"{name} · {label}", **symbol)
                item.setToolTip(f"{name}: {field.replace('_', ' ')}")
                drawn.append((plot, item))
            self.items[name] = drawn
        self._fit_epochs(plots, last_epoch)

    def clear(self) -> None:
        for drawn in self.items.values():
            for plot, item in drawn:
                plot.removeItem(item)  # and its legend entry
        self.items = {}

    @staticmethod
    def _fit_epochs(plots: Sequence[Any], last_epoch: float) -> None:
        """Widen the x axis to the longest run shown; never narrow the live run's frame."""
        for plot in plots:
            shown = plot.getViewBox().viewRange()[0][1]
            if last_epoch > shown:
                plot.setXRange(0, last_epoch, padding=0.02)
