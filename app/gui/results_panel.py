"""After training: accuracy, a confusion matrix with per-class accuracy, and sample
predictions with the mistakes first — where a model goes wrong is what teaches."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.tile_grid import TileGrid
from app.gui.training_run import RunFinished
from app.training.conv_views import sample_image

SAMPLES_SHOWN = 64
WRONG = QtGui.QColor("#ff6b6b")


def heat(fraction: float) -> QtGui.QColor:
    """Dark blue for none of a row's samples, bright for all of them."""
    fraction = max(0.0, min(1.0, fraction))
    return QtGui.QColor.fromRgbF(
        0.12 + 0.1 * fraction, 0.16 + 0.4 * fraction, 0.22 + 0.68 * fraction
    )


class ResultsPanel(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QtWidgets.QVBoxLayout(self)
        self.headline = QtWidgets.QLabel(
            "Train the model to see how it does on the validation images."
        )
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        tabs = QtWidgets.QTabWidget()
        self.matrix = QtWidgets.QTableWidget()
        self.matrix.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setToolTip("Rows: true class · columns: predicted class")
        self.samples = TileGrid(56)
        tabs.addTab(self.matrix, "Confusion matrix")
        tabs.addTab(self.samples, "Sample predictions")
        layout.addWidget(tabs, 1)

    def forget(self) -> None:
        """A new document: the last run's results belong to the old model."""
        self.headline.setText("Train the model to see how it does on the validation images.")
        self.matrix.clear()
        self.matrix.setRowCount(0)
        self.matrix.setColumnCount(0)
        self.samples.clear()

    def show_run(self, finished: RunFinished) -> None:
        evaluation = finished.evaluation
        if evaluation is None:
            self.headline.setText(
                "No validation split: set Validation share above 0 to see a confusion matrix."
            )
            self.matrix.clear()
            self.samples.clear()
            return
        wrong = sum(1 for p in evaluation.predictions if not p.correct)
        total = len(evaluation.predictions)
        self.headline.setText(
            f"Validation accuracy {evaluation.accuracy:.1%} — {wrong} of {total} images "
            "misclassified (shown first under Sample predictions)."
        )
        classes = evaluation.classes
        count = len(classes)
        self.matrix.clear()
        self.matrix.setRowCount(count)
        self.matrix.setColumnCount(count + 1)
        self.matrix.setHorizontalHeaderLabels([*classes, "accuracy"])
        self.matrix.setVerticalHeaderLabels(classes)
        rows = evaluation.confusion.tolist()
        for r, (row, accuracy) in enumerate(zip(rows, evaluation.per_class_accuracy, strict=True)):
            row_total = max(1, sum(row))
            for c, value in enumerate(row):
                item = QtWidgets.QTableWidgetItem(str(value))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                item.setBackground(heat(value / row_total))
                if r != c and value:
                    item.setForeground(WRONG)
                item.setToolTip(f"true {classes[r]}, predicted {classes[c]}: {value}")
                self.matrix.setItem(r, c, item)
            cell = QtWidgets.QTableWidgetItem(f"{accuracy:.0%}")
            cell.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            self.matrix.setItem(r, count, cell)
        self.matrix.resizeColumnsToContents()
        shown = evaluation.predictions[:SAMPLES_SHOWN]
        x = finished.data.val.x
        self.samples.show_tiles(
            [sample_image(x[p.index]) for p in shown],
            [f"{classes[p.true]}→{classes[p.predicted]}" for p in shown],
            [
                f"true {classes[p.true]}, predicted {classes[p.predicted]} "
                f"({p.confidence:.0%} sure)"
                for p in shown
            ],
            [None if p.correct else WRONG for p in shown],
        )
