"""The parameter panel: typed editors generated from a layer's ``ParamSpec``s.

Each edit is checked with the spec's own ``coerce`` before it reaches the canvas; a
rejected value turns the editor red with the reason and changes nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

import nodes
from app.gui.param_editors import ParamEditor, make_editor
from graph_io.ids import id_problem
from nodes.errors import ParamError

INVALID = "background: #ffd0d0;"


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
            editor = make_editor(param, node.params[param.name])
            editor.edited.connect(lambda value, name=param.name: self._apply(name, value))
            self._add_row(param.name, param.label, editor, editor.toolTip())

    def follow(self) -> None:
        """Show the node's current values after undo, redo or an edit made elsewhere
        (without echoing them back as edits); a value being corrected stays red."""
        node = self.canvas.core.nodes.get(self.node_id) if self.node_id else None
        if node is None:
            return
        for name, editor in self.editors.items():
            if (
                isinstance(editor, ParamEditor)
                and name in node.params
                and editor.value() != node.params[name]
                and not self.errors[name].isVisible()
            ):
                editor.set_value(node.params[name])

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
