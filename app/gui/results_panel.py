"""After training: accuracy, a confusion matrix with per-class accuracy, and sample
predictions with the mistakes first — where a model goes wrong is what teaches.

Both views scale with the dock: the matrix's cells share the space and its numbers
grow with them, the sample tiles fill the width; Ctrl+wheel zooms either.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.tile_grid import MAX_TILE, ZOOM_HINT, ZOOM_STEP, TileGrid, wheel_steps, zoom_key
from app.gui.training_run import RunFinished

SAMPLES_SHOWN = 64
WRONG = QtGui.QColor("#ff6b6b")


def heat(fraction: float, palette: QtGui.QPalette) -> QtGui.QColor:
    """The table's background for none of a row's samples, the selection colour for all
    of them: zeros fade into the table in either theme, the diagonal stands out."""
    fraction = max(0.0, min(1.0, fraction))
    low = palette.color(QtGui.QPalette.ColorRole.Base)
    high = palette.color(QtGui.QPalette.ColorRole.Highlight)
    return QtGui.QColor.fromRgbF(
        *(
            a + (b - a) * fraction
            for a, b in zip(low.getRgbF()[:3], high.getRgbF()[:3], strict=True)
        )
    )


def wrong_colour(palette: QtGui.QPalette) -> QtGui.QColor:
    """Red that reads on the table's background: darker on a light one."""
    light = palette.color(QtGui.QPalette.ColorRole.Base).lightnessF() > 0.5
    return QtGui.QColor("#c62828") if light else WRONG


MIN_CELL = 28  # px: below this a zoomed-out matrix scrolls instead of shrinking
# The height the panel asks of its dock while a run's results are on show: ten rows
# of readable cells, the headline and the tabs. The bottom dock area is shorter by
# default (the canvas comes first), which left room for one row of the matrix.
RESULTS_HEIGHT = 11 * MIN_CELL + 90
MIN_FONT, MAX_FONT = 10, 22
HEADER_FONT = 12
Resize = QtWidgets.QHeaderView.ResizeMode


class ConfusionTable(QtWidgets.QTableWidget):
    """A confusion matrix that fills its dock, with numbers sized to its cells.

    Fitted (the default) every row and column shares the space; Ctrl+wheel zooms to
    fixed cell sizes (scrolling when larger than the dock), Ctrl+0 fits again.
    """

    def __init__(self) -> None:
        super().__init__()
        self.zoom: float | None = None  # None: fit the dock
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setToolTip(f"Rows: true class · columns: predicted class — {ZOOM_HINT}")
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setMinimumSectionSize(MIN_CELL)
        self._fit()

    def cell_size(self) -> float:
        """The side of a cell now: what the numbers are scaled to."""
        if self.zoom is not None:
            return MIN_CELL * 1.6 * self.zoom
        columns, rows = max(1, self.columnCount()), max(1, self.rowCount())
        viewport = self.viewport()
        return min(viewport.width() / columns, viewport.height() / rows)

    def set_zoom(self, zoom: float | None) -> None:
        if zoom is not None:
            zoom = min(max(zoom, 1 / 1.6), MAX_TILE / (MIN_CELL * 1.6))
        self.zoom = zoom
        self._fit()

    def _fit(self) -> None:
        mode = Resize.Stretch if self.zoom is None else Resize.Fixed
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(mode)
            if self.zoom is not None:
                size = round(self.cell_size())
                header.setDefaultSectionSize(size)
                for section in range(header.count()):
                    header.resizeSection(section, size)
        self._scale_font()

    def _scale_font(self) -> None:
        pixels = round(min(max(self.cell_size() * 0.36, MIN_FONT), MAX_FONT))
        font = self.font()
        if font.pixelSize() != pixels:
            font.setPixelSize(pixels)
            self.setFont(font)
        self._fit_header_labels()

    def _fit_header_labels(self) -> None:
        """Class names at one readable size, set on every label: under an application
        style sheet the table's font does not reach its headers, which then kept
        whatever size they first had. (A size that followed the cells would change
        the headers' width and so the cells' size again.) A column label wider than
        its cell ("accuracy") gets a smaller font, down to ``MIN_FONT``, rather than
        being cut to "ccurac"."""
        font = QtGui.QFont(self.font())
        font.setPixelSize(HEADER_FONT)
        for column in range(self.columnCount()):
            item = self.horizontalHeaderItem(column)
            if item is None:
                continue
            room = self.columnWidth(column) - 8
            label = QtGui.QFont(font)
            while (
                label.pixelSize() > MIN_FONT
                and QtGui.QFontMetrics(label).horizontalAdvance(item.text()) > room
            ):
                label.setPixelSize(label.pixelSize() - 1)
            item.setFont(label)
        for row in range(self.rowCount()):  # header items keep their own font otherwise
            item = self.verticalHeaderItem(row)
            if item is not None:
                item.setFont(font)

    def recolour(self) -> None:
        """Colour the counts from the palette (the theme in use): the share of the row
        each holds as the cell's heat; mistakes in red, zeros quiet, and text on a
        strong cell in the selection's text colour."""
        palette = self.palette()
        wrong = wrong_colour(palette)
        role = QtGui.QPalette.ColorRole
        for r in range(self.rowCount()):
            for c in range(self.columnCount() - 1):
                item = self.item(r, c)
                if item is None:
                    continue
                fraction = float(item.data(QtCore.Qt.ItemDataRole.UserRole) or 0.0)
                value = int(item.text())
                item.setBackground(heat(fraction, palette))
                strong = fraction > 0.55
                if strong:
                    colour = palette.color(role.HighlightedText)
                elif r != c and value:
                    colour = wrong
                elif value == 0:
                    colour = palette.color(role.PlaceholderText)
                else:
                    colour = palette.color(role.Text)
                item.setForeground(colour)
                font = item.font()
                font.setBold(r != c and value > 0)
                item.setFont(font)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.PaletteChange:
            self.recolour()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._scale_font()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802
        steps = wheel_steps(event)
        if not steps:
            super().wheelEvent(event)
            return
        current = self.cell_size() / (MIN_CELL * 1.6)
        self.set_zoom(current * ZOOM_STEP**steps)
        event.accept()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        change = zoom_key(event)
        if change is None:
            super().keyPressEvent(event)
            return
        current = self.cell_size() / (MIN_CELL * 1.6)
        self.set_zoom(None if change == 0.0 else current * change)
        event.accept()


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
        self.matrix = ConfusionTable()
        self.samples = TileGrid(56)
        tabs.addTab(self.matrix, "Confusion matrix")
        tabs.addTab(self.samples, "Sample predictions")
        layout.addWidget(tabs, 1)
        self._has_results = False

    def _ask_for_room(self) -> None:
        """While it holds a run's results the panel asks for the height to read them
        (the canvas yields; the user can still drag the dock taller, or undock it).
        It keeps asking when another tab of the dock is in front — a tabbed dock area
        is as tall as its tallest member — until a new document forgets the run."""
        self.setMinimumHeight(RESULTS_HEIGHT if self._has_results else 0)

    def forget(self) -> None:
        """A new document: the last run's results belong to the old model."""
        self._has_results = False
        self._ask_for_room()
        self.headline.setText("Train the model to see how it does on the validation images.")
        self.matrix.clear()
        self.matrix.setRowCount(0)
        self.matrix.setColumnCount(0)
        self.samples.clear()

    def show_run(self, finished: RunFinished) -> None:
        from app.training.conv_views import sample_image  # torch: loaded by the run

        self._has_results = True
        self._ask_for_room()
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
                item.setData(QtCore.Qt.ItemDataRole.UserRole, value / row_total)
                item.setToolTip(f"true {classes[r]}, predicted {classes[c]}: {value}")
                self.matrix.setItem(r, c, item)
            cell = QtWidgets.QTableWidgetItem(f"{accuracy:.0%}")
            cell.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            self.matrix.setItem(r, count, cell)
        self.matrix.recolour()
        self.matrix.set_zoom(self.matrix.zoom)  # re-fit the new rows and columns
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
