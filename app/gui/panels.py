"""Read-only views of the core's results: palette, summary, problems and help.

The summary, problems and help views subscribe to the document (and help to the
selection): they follow every edit, undo and new file without the window telling them.
"""

from __future__ import annotations

import html
import json
from typing import Any

from NodeGraphQt.constants import MIME_TYPE, URN_SCHEME
from PySide6 import QtCore, QtGui, QtWidgets

import nodes
from app.gui.node_classes import node_type_key
from app.gui.view_state import Selection
from graph_io.editing import Document, Update
from graph_io.shapes import NodeResult, Report
from graph_io.summary import count_text, shape_text
from graph_io.train_memory import bytes_text


def matches(spec: nodes.LayerSpec, needle: str) -> bool:
    """Every word of the search text appears in the layer's type, title, category or
    summary, so "pool avg" and "downsample" both find AvgPool2D."""
    words = needle.strip().lower().split()
    haystack = " ".join((spec.type, spec.title, spec.category, spec.summary)).lower()
    return all(word in haystack for word in words)


PRESET_MIME = "application/x-convas-params"  # a preset's parameters, beside the node URN
PARAMS_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


class _LayerTree(QtWidgets.QTreeWidget):
    """Drags carry NodeGraphQt's node URN, so a drop on the canvas creates the layer,
    and a preset's parameters (e.g. Depthwise Conv2D) as JSON beside it."""

    def mimeData(self, items: Any) -> QtCore.QMimeData:  # noqa: N802 - Qt override
        mime = QtCore.QMimeData()
        chosen = [i for i in items if i.data(0, QtCore.Qt.ItemDataRole.UserRole)]
        types = [i.data(0, QtCore.Qt.ItemDataRole.UserRole) for i in chosen]
        urn = ";".join(f"node:{node_type_key(t)}" for t in types)
        mime.setData(MIME_TYPE, QtCore.QByteArray(f"{URN_SCHEME}{urn}".encode()))
        params = [i.data(0, PARAMS_ROLE) or {} for i in chosen]
        mime.setData(PRESET_MIME, QtCore.QByteArray(json.dumps(params).encode()))
        return mime


class Palette(QtWidgets.QWidget):
    """Layers grouped by category; type to filter, drag onto the canvas or double-click."""

    activated = QtCore.Signal(str, object)  # layer type, preset params (a dict)

    def __init__(self) -> None:
        super().__init__()
        layout = QtWidgets.QVBoxLayout(self)
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.tree = _LayerTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.groups: list[tuple[QtWidgets.QTreeWidgetItem, list[QtWidgets.QTreeWidgetItem]]] = []
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        groups: dict[str, QtWidgets.QTreeWidgetItem] = {}
        members: dict[str, list[QtWidgets.QTreeWidgetItem]] = {}
        for entry in nodes.registry.palette_entries():  # layers and their presets
            group = groups.get(entry.category)
            if group is None:
                group = QtWidgets.QTreeWidgetItem(self.tree, [entry.category])
                group.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
                groups[entry.category] = group
                members[entry.category] = []
                self.groups.append((group, members[entry.category]))
            item = QtWidgets.QTreeWidgetItem(group, [entry.title])
            members[entry.category].append(item)
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, entry.type)
            item.setData(0, PARAMS_ROLE, dict(entry.params))
            item.setToolTip(0, entry.summary)
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def filter(self, text: str) -> None:
        for group, children in self.groups:
            visible = 0
            for child in children:
                spec = nodes.get(str(child.data(0, QtCore.Qt.ItemDataRole.UserRole)))
                match = matches(spec, text)
                child.setHidden(not match)
                visible += match
            group.setHidden(visible == 0)

    def visible_types(self) -> list[str]:
        return [
            str(child.data(0, QtCore.Qt.ItemDataRole.UserRole))
            for group, children in self.groups
            for child in children
            if not child.isHidden() and not group.isHidden()
        ]

    def _double_clicked(self, item: QtWidgets.QTreeWidgetItem) -> None:
        layer = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if layer:
            self.activated.emit(layer, item.data(0, PARAMS_ROLE) or {})


class _Deferred:
    """Redraw a view once per burst of document updates (typing stays within a frame)."""

    def __init__(self, document: Document, redraw: Any) -> None:
        self.document = document
        self.redraw = redraw
        self.pending = False
        document.subscribe(self._on_update)

    def _on_update(self, update: Update) -> None:
        if update.results or update.change.structural:
            self.later()

    def later(self) -> None:
        if not self.pending:
            self.pending = True
            QtCore.QTimer.singleShot(0, self._run)

    def _run(self) -> None:
        self.pending = False
        try:
            self.redraw(self.document.report)
        except RuntimeError:  # the widget is being deleted with the window
            return


class SummaryTable(QtWidgets.QTableWidget):
    """The torchinfo-like table, plus each node's share of a training step's memory
    at the Training dock's batch size (filled in once edits pause)."""

    HEADERS = ("Node", "Type", "Output shape", "Params", "MACs", "Training memory")
    MEMORY_SETTLE_MS = 300

    def __init__(self, document: Document) -> None:
        super().__init__(0, len(self.HEADERS))
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)
        self._shown: dict[int, tuple[str, ...]] = {}  # row -> the texts it shows
        self.document = document
        self._rows: list[str] = []
        self._memory_timer = QtCore.QTimer(self)
        self._memory_timer.setSingleShot(True)
        self._memory_timer.setInterval(self.MEMORY_SETTLE_MS)
        self._memory_timer.timeout.connect(self.show_memory)
        self._changed: set[str] | None = None  # rows to redo; None: every row
        self.show_report(document.report)
        document.subscribe(self._collect)
        self._follow = _Deferred(document, self.show_report)

    def _collect(self, update: Update) -> None:
        """Note which rows an edit touched; a change of the graph's structure (which
        can reorder rows) redoes them all."""
        if update.change.structural or update.change.replaced:
            self._changed = None
        elif self._changed is not None:
            self._changed |= set(update.results)

    def show_report(self, report: Report) -> None:
        """Rewrite only the rows an edit changed, and in them only the cells whose text
        changed: a 2,000-row table stays cheap to keep current while the user types."""
        changed, self._changed = self._changed, set()
        if changed is not None and len(self._rows) == len(report.results):
            self._show_rows(report, changed)
            return
        placed = set(report.order)
        order = report.order + [n for n in report.results if n not in placed]
        self._row_of = {n: i for i, n in enumerate(order)}
        rows = [report.results[n] for n in order]
        resize = self.rowCount() != len(rows) + 1
        self.setRowCount(len(rows) + 1)
        for row, result in enumerate(rows):
            self._show_row(row, _cells(result), result.error)
        self._show_row(len(rows), _totals(report), None, bold=True)
        for row in [r for r in self._shown if r > len(rows)]:
            del self._shown[row]
        self._rows = order
        if resize:  # all but the last column, which keeps stretching to the edge
            for column in range(self.columnCount() - 1):
                self.resizeColumnToContents(column)
        self._memory_timer.start()

    def _show_rows(self, report: Report, ids: set[str]) -> None:
        for node_id in ids:
            row = self._row_of.get(node_id)
            result = report.results.get(node_id)
            if row is not None and result is not None:
                self._show_row(row, _cells(result), result.error)
        self._show_row(len(self._rows), _totals(report), None, bold=True)
        self._memory_timer.start()

    def _show_row(
        self, row: int, cells: tuple[str, ...], error: str | None, *, bold: bool = False
    ) -> None:
        if self._shown.get(row) == cells:
            return
        self._shown[row] = cells
        for col, text in enumerate(cells):
            item = self.item(row, col)
            if item is None:
                item = QtWidgets.QTableWidgetItem()
                self.setItem(row, col, item)
            item.setText(text)
            item.setToolTip(error or "")
            if item.font().bold() != bold:
                font = item.font()
                font.setBold(bold)
                item.setFont(font)

    def show_memory(self) -> None:
        """Each node's training memory (weights, gradients, optimizer state, kept
        activations) from ``graph_io.train_memory``; blank while the graph is invalid.
        The total turns red when it exceeds the RAM the system can give."""
        from app.training.memory_guard import available_bytes
        from graph_io.train_memory import bytes_text, estimate_with_settings

        memory = estimate_with_settings(self.document.graph, self.document.report)
        cells: list[tuple[str, str]] = [("", "")] * (len(self._rows) + 1)
        red = False
        if memory is not None:
            cells = [_memory_cell(memory.by_node.get(n)) for n in self._rows]
            available = available_bytes("cpu")
            red = available is not None and memory.total > available
            tip = (
                f"weights {bytes_text(memory.weights)}, gradients "
                f"{bytes_text(memory.gradients)}, {memory.optimizer} state "
                f"{bytes_text(memory.optimizer_state)}, activations kept "
                f"{bytes_text(memory.activations)}, input batch {bytes_text(memory.batch)}, "
                f"gradients in flight {bytes_text(memory.backward)}, allocator slack "
                f"{bytes_text(memory.slack)}"
                + (f" — more than the {bytes_text(available or 0)} of RAM free" if red else "")
            )
            cells.append((f"{bytes_text(memory.total)} at batch {memory.batch_size}", tip))
        column = len(self.HEADERS) - 1
        for row, (text, tip) in enumerate(cells):
            item = self.item(row, column)
            if item is None:
                item = QtWidgets.QTableWidgetItem()
                self.setItem(row, column, item)
            if item.text() != text:
                item.setText(text)
            item.setToolTip(tip)
        total = self.item(len(cells) - 1, column)
        if total is not None:
            total.setForeground(QtGui.QColor("#d04040") if red else self.palette().text().color())


def _memory_cell(part: Any) -> tuple[str, str]:
    """A node's training-memory cell and its tooltip (what the bytes are)."""
    from graph_io.train_memory import bytes_text

    if part is None:
        return "", ""
    state = part.weights + part.gradients + part.optimizer
    return (
        bytes_text(part.total),
        f"weights, gradients and optimizer state {bytes_text(state)}; activations kept "
        f"for the backward pass {bytes_text(part.activations)}",
    )


def _cells(result: NodeResult) -> tuple[str, ...]:
    """A node's row of the Summary."""
    return (
        result.id,
        result.type,
        shape_text(result.shape) if result.error is None else "error",
        f"{result.params:,}",
        f"{result.macs:,}",
    )


def _totals(report: Report) -> tuple[str, ...]:
    """The Summary's last row."""
    return (
        "Total",
        f"{bytes_text(report.total_memory)} activations (batch 1)",
        shape_text(report.output_shape),
        f"{report.total_params:,}",
        f"{report.total_macs:,}",
    )


class ProblemsList(QtWidgets.QListWidget):
    """Every problem of the graph; activating one asks the window to focus its node."""

    focus_node = QtCore.Signal(str)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.refusal: str | None = None  # the last refused gesture, until the next edit
        self.itemClicked.connect(self._clicked)
        self.show_report(document.report)
        self._follow = _Deferred(document, self.show_report)
        document.subscribe(self._forget_refusal)

    def _forget_refusal(self, update: Update) -> None:
        if self.refusal is not None and not update.change.empty:
            self.refusal = None
            self._follow.later()

    def show_refusal(self, text: str) -> None:
        """A refused gesture, shown on top until the next edit."""
        self.refusal = text
        self.show_report(self.document.report)
        self.setCurrentRow(0)

    def show_report(self, report: Report) -> None:
        self.clear()
        if self.refusal is not None:
            item = QtWidgets.QListWidgetItem(self.refusal)
            item.setForeground(QtGui.QColor("#c04040"))
            self.addItem(item)
        if not report.problems:
            self.addItem("No problems.")
            return
        for problem in report.problems:
            item = QtWidgets.QListWidgetItem(problem.message)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, problem.node)
            self.addItem(item)

    def _clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        node = item.data(QtCore.Qt.ItemDataRole.UserRole)
        if node:
            self.focus_node.emit(node)


def _block(text: str) -> str:
    """A doc paragraph as HTML; lines starting with '- ' become a bullet list."""
    if not text.lstrip().startswith("- "):
        return f"<p>{html.escape(text).replace(chr(10), ' ')}</p>"
    items = [" ".join(i.split()) for i in text.strip()[2:].split("\n- ")]
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def help_html(layer: str | None) -> str:
    """The help page of a layer, built from its declaration in ``nodes/``."""
    if layer is None:
        return (
            "<h3>Layer help</h3><p>Select a node (or press F1 on it) to read what the "
            "layer does and what each parameter means.</p>"
        )
    spec = nodes.get(layer)
    paragraphs = "".join(_block(p) for p in spec.doc.strip().split("\n\n"))
    rows = "".join(
        f"<tr><td><b>{html.escape(p.label)}</b></td><td>{html.escape(str(p.default))}</td>"
        f"<td>{html.escape(p.describe_allowed())}</td><td>{html.escape(p.help)}</td></tr>"
        for p in spec.params
    )
    table = (
        f"<table border='1' cellpadding='3' cellspacing='0'><tr><th>Parameter</th>"
        f"<th>Default</th><th>Allowed</th><th>Meaning</th></tr>{rows}</table>"
        if rows
        else "<p><i>No parameters.</i></p>"
    )
    return (
        f"<h3>{html.escape(spec.title)}</h3><p><i>{html.escape(spec.summary)}</i></p>"
        f"{paragraphs}{table}"
    )


class HelpView(QtWidgets.QTextBrowser):
    """The selected layer's help page; nothing selected (or deleted) shows the hint."""

    def __init__(self, document: Document, selection: Selection) -> None:
        super().__init__()
        self.graph_document = document  # QTextBrowser has its own document()
        self.selection = selection
        self.layer: str | None = None
        self.setHtml(help_html(None))
        selection.changed.connect(lambda _ids: self.follow())
        document.subscribe(lambda _update: self.follow())

    def follow(self) -> None:
        node = self.graph_document.graph.nodes.get(self.selection.single or "")
        layer = node.type if node is not None else None
        if layer != self.layer:
            self.layer = layer
            self.setHtml(help_html(layer))


def status_text(report: Report, count: Any) -> str:
    shape = shape_text(report.output_shape)
    state = "valid" if report.ok else f"{len(report.problems)} problem(s)"
    return f"{count} nodes · {count_text(report.total_params)} params · output {shape} · {state}"
