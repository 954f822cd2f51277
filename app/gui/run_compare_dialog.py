"""Two kept runs side by side: what changed in the graph, in the settings, in the results.

The numbers are ``app.training.run_compare``'s (the same as ``convas runs compare``);
this dialog only lays them out in three columns so the cause (graph, settings) and
the effect (metrics) are read together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.compare import Mark, mark_color
from app.training.run_compare import (
    METRIC_LABELS,
    RunComparison,
    compare_runs,
    delta_text,
    metric_text,
)
from graph_io.diff import ChangeKind, describe_change, totals_text
from nodes.errors import ConvasError

GRAPH_KINDS: tuple[ChangeKind, ...] = ("removed", "added", "changed", "renamed")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> QtWidgets.QTreeWidget:
    table = QtWidgets.QTreeWidget()
    table.setHeaderLabels(list(headers))
    table.setRootIsDecorated(False)
    table.setWordWrap(True)
    for row in rows:
        table.addTopLevelItem(QtWidgets.QTreeWidgetItem(list(row)))
    for column in range(len(headers)):
        table.resizeColumnToContents(column)
    return table


def _group(title: str, *widgets: QtWidgets.QWidget) -> QtWidgets.QGroupBox:
    box = QtWidgets.QGroupBox(title)
    layout = QtWidgets.QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class RunCompareDialog(QtWidgets.QDialog):
    """Graph diff | settings that differ | metrics with deltas, for runs A (older) and B."""

    def __init__(self, result: RunComparison, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = result
        a, b = result.old, result.new
        self.setWindowTitle(f"Compare runs — {a.name} · {b.name}")
        header = QtWidgets.QLabel(
            f"<b>A</b> {a.name} ({a.started[:16].replace('T', ' ')}, {a.status}) &nbsp; "
            f"<b>B</b> {b.name} ({b.started[:16].replace('T', ' ')}, {b.status})"
        )
        header.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        graph = result.graph
        self.graph_table = _table(
            ["", "What changed from A to B"],
            [(c.kind, describe_change(c)) for k in GRAPH_KINDS for c in graph.of_kind(k)],
        )
        for index in range(self.graph_table.topLevelItemCount()):
            item = self.graph_table.topLevelItem(index)
            assert item is not None
            item.setForeground(0, QtGui.QBrush(mark_color(Mark(item.text(0)))))
            item.setToolTip(1, item.text(1))
        self.graph_totals = QtWidgets.QLabel("\n".join(totals_text(graph)))
        self.graph_totals.setWordWrap(True)

        self.settings_table = _table(
            ["Setting", "A", "B"],
            [(key, str(old), str(new)) for key, (old, new) in result.settings.items()],
        )
        self.settings_note = QtWidgets.QLabel(
            "Same training settings." if not result.settings else ""
        )
        self.settings_note.setVisible(not result.settings)

        self.metrics_table = _table(
            ["Metric", "A", "B", "B − A"],
            [
                (
                    METRIC_LABELS[key],
                    metric_text(key, old),
                    metric_text(key, new),
                    delta_text(key, old, new),
                )
                for key, (old, new) in result.metrics.items()
            ],
        )

        columns = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        columns.addWidget(_group("Graph", self.graph_table, self.graph_totals))
        columns.addWidget(_group("Training settings", self.settings_table, self.settings_note))
        columns.addWidget(_group("Metrics", self.metrics_table))
        columns.setSizes([520, 260, 360])
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(columns, 1)
        layout.addWidget(buttons)
        self.resize(1150, 460)

    def rows(self, table: QtWidgets.QTreeWidget) -> list[list[str]]:
        """The text of a table, row by row (what a reader sees)."""
        found = []
        for index in range(table.topLevelItemCount()):
            item = table.topLevelItem(index)
            assert item is not None
            found.append([item.text(c) for c in range(table.columnCount())])
        return found


def show_run_comparison(parent: QtWidgets.QWidget, old: Path, new: Path) -> RunCompareDialog | None:
    """Open the comparison of two run folders (not modal: the editor stays usable);
    a run that cannot be read is named in a message box instead."""
    try:
        result = compare_runs(old, new)
    except ConvasError as exc:
        QtWidgets.QMessageBox.warning(parent, "Cannot compare runs", str(exc))
        return None
    dialog = RunCompareDialog(result, parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
