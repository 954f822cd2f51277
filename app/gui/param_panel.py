"""The parameter panel: typed editors generated from a layer's ``ParamSpec``s.

Each edit is checked with the spec's own ``coerce`` before it reaches the canvas; a
rejected value turns the editor red with the reason and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtWidgets

import nodes
from graph_io.ids import id_problem
from nodes.errors import ParamError
from nodes.spec import ParamKind, ParamSpec

Apply = Callable[[str, Any], None]
INVALID = "background: #ffd0d0;"


def _spin(spec: ParamSpec, value: int) -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    box.setRange(int(spec.minimum if spec.minimum is not None else -2**31 + 1),
                 int(spec.maximum if spec.maximum is not None else 2**31 - 1))
    box.setValue(value)
    box.setKeyboardTracking(False)
    return box


def make_editor(spec: ParamSpec, value: Any, apply: Apply) -> QtWidgets.QWidget:
    """One editor for one parameter kind; calls ``apply(name, value)`` on change."""
    kind = spec.kind
    if kind is ParamKind.INT:
        box = _spin(spec, int(value))
        box.valueChanged.connect(lambda v: apply(spec.name, v))
        return box
    if kind is ParamKind.FLOAT:
        dbl = QtWidgets.QDoubleSpinBox()
        dbl.setDecimals(6)
        dbl.setRange(spec.minimum or 0.0, spec.maximum if spec.maximum is not None else 1e9)
        dbl.setSingleStep(0.05)
        dbl.setValue(float(value))
        dbl.setKeyboardTracking(False)
        dbl.valueChanged.connect(lambda v: apply(spec.name, v))
        return dbl
    if kind is ParamKind.BOOL:
        check = QtWidgets.QCheckBox()
        check.setChecked(bool(value))
        check.toggled.connect(lambda v: apply(spec.name, v))
        return check
    if kind is ParamKind.CHOICE:
        combo = QtWidgets.QComboBox()
        combo.addItems(list(spec.choices))
        combo.setCurrentText(str(value))
        combo.currentTextChanged.connect(lambda v: apply(spec.name, v))
        return combo
    # INT_PAIR and PADDING share a line edit that accepts the YAML spellings.
    line = QtWidgets.QLineEdit(_text(value))
    line.setPlaceholderText("e.g. 3 or 3, 5" if kind is ParamKind.INT_PAIR else "None, Same or 2")
    line.editingFinished.connect(lambda: apply(spec.name, _parse(line.text())))
    return line


def _text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _parse(text: str) -> Any:
    parts = [p.strip() for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return text.strip()
    return numbers[0] if len(numbers) == 1 else numbers


class ParamPanel(QtWidgets.QWidget):
    """Shows the selected node's id and parameters; edits go through ``canvas``."""

    def __init__(self, canvas: Any) -> None:
        super().__init__()
        self.canvas = canvas
        self.node_id: str | None = None
        self.editors: dict[str, QtWidgets.QWidget] = {}
        self.errors: dict[str, QtWidgets.QLabel] = {}
        self.form = QtWidgets.QFormLayout(self)
        self.title = QtWidgets.QLabel("Select a node to edit its parameters.")
        self.title.setWordWrap(True)
        self.form.addRow(self.title)

    def show_node(self, node_id: str | None) -> None:
        while self.form.rowCount() > 1:
            self.form.removeRow(1)
        self.editors.clear()
        self.errors.clear()
        self.node_id = node_id
        node = self.canvas.core.nodes.get(node_id) if node_id else None
        if node is None:
            self.title.setText("Select a node to edit its parameters.")
            return
        spec = nodes.get(node.type)
        self.title.setText(f"<b>{spec.title}</b> — {spec.summary}")
        id_edit = QtWidgets.QLineEdit(node.id)
        id_edit.editingFinished.connect(lambda: self._rename(id_edit.text().strip()))
        self._add_row("id", "Id", id_edit, "Unique name; used in code export and errors.")
        for param in spec.params:
            editor = make_editor(param, node.params[param.name], self._apply)
            self._add_row(param.name, param.label, editor, param.help)

    def _add_row(self, key: str, label: str, editor: QtWidgets.QWidget, help_text: str) -> None:
        editor.setToolTip(help_text)
        error = QtWidgets.QLabel()
        error.setStyleSheet("color: #c02020;")
        error.setWordWrap(True)
        error.hide()
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor)
        layout.addWidget(error)
        self.form.addRow(label, box)
        self.editors[key] = editor
        self.errors[key] = error

    def _mark(self, key: str, message: str | None) -> None:
        self.editors[key].setStyleSheet(INVALID if message else "")
        self.errors[key].setText(message or "")
        self.errors[key].setVisible(bool(message))

    def _apply(self, name: str, value: Any) -> None:
        if self.node_id is None or self.canvas.read_only:
            return
        node = self.canvas.core.nodes[self.node_id]
        spec = nodes.get(node.type).param(name)
        try:
            coerced = spec.coerce(value)
        except ParamError as exc:
            self._mark(name, f"{spec.label} {exc.message}")
            return
        self._mark(name, None)
        self.canvas.set_param(self.node_id, name, coerced)

    def _rename(self, new_id: str) -> None:
        if self.node_id is None or new_id == self.node_id:
            return
        problem = id_problem(new_id)
        if problem is None and new_id in self.canvas.core.nodes:
            problem = f"id {new_id!r} is already used"
        self._mark("id", problem)
        if problem is None:
            self.canvas.rename(self.node_id, new_id)
            self.node_id = new_id
