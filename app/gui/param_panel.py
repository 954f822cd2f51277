"""The parameter panel: typed editors generated from a layer's ``ParamSpec``s.

It shows the selected node and follows the document: an edit here is a ``SetParam``
or ``Rename`` command (one undo step), and undo, redo or an edit made elsewhere shows
up here. A rejected value turns the editor red with the reason and changes nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

import nodes
from app.gui.param_editors import ParamEditor, make_editor
from app.gui.view_state import EditLock, Selection
from graph_io.editing import Document, Rename, SetParam, Update
from graph_io.editing.commands import check_id
from graph_io.model import Node
from nodes.errors import ConvasError, ParamError

INVALID = "background: #ffd0d0;"


class ParamPanel(QtWidgets.QWidget):
    """Shows the selected node's id and parameters; edits go to the document."""

    def __init__(self, document: Document, selection: Selection, lock: EditLock) -> None:
        super().__init__()
        self.document = document
        self.selection = selection
        self.lock = lock
        self.node_id: str | None = None
        self._node: object = None  # the document's node shown (the same object when renamed)
        self.editors: dict[str, QtWidgets.QWidget] = {}
        self.errors: dict[str, QtWidgets.QLabel] = {}
        self.form = QtWidgets.QFormLayout(self)
        self.title = QtWidgets.QLabel("Select a node to edit its parameters.")
        self.title.setWordWrap(True)
        self.form.addRow(self.title)
        selection.changed.connect(self._on_selection)
        document.subscribe(self._on_update)
        lock.changed.connect(lambda locked: self.setEnabled(not locked))

    def _on_selection(self, _ids: tuple[str, ...]) -> None:
        single = self.selection.single
        shown = self.document.graph.nodes.get(single or "")
        if shown is not None and shown is self._node:  # the same node, renamed
            self.node_id = single
            self.follow()
            return
        self.document.seal()  # edits after choosing another node are new undo steps
        if single != self.node_id:
            self.show_node(single)

    def _on_update(self, update: Update) -> None:
        change = update.change
        for old, new in change.renamed:
            if old == self.node_id:
                self.node_id = new
        if self.node_id is not None and self.node_id not in self.document.graph.nodes:
            self.show_node(None)
        elif change.replaced:
            self.show_node(self.selection.single)
        elif self.node_id in change.params or change.renamed:
            self.follow()

    def show_node(self, node_id: str | None) -> None:
        while self.form.rowCount() > 1:
            self.form.removeRow(1)
        self.editors.clear()
        self.errors.clear()
        self.node_id = node_id
        node = self.document.graph.nodes.get(node_id) if node_id else None
        self._node = node
        if node is None:
            self.node_id = None
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
        self._show_applicable(node)

    def _show_applicable(self, node: Node) -> None:
        """Hide the rows of settings the node's other choices make meaningless (a
        LeakyReLU slope while the activation is ReLU); the layer spec says which."""
        for param in nodes.get(node.type).params:
            box = self.errors[param.name].parentWidget()
            if box is not None:
                self.form.setRowVisible(box, param.applies(node.params))

    def follow(self) -> None:
        """Show the node's current values after undo, redo or an edit made elsewhere
        (without echoing them back as edits); a value being corrected stays red."""
        node = self.document.graph.nodes.get(self.node_id) if self.node_id else None
        if node is None:
            return
        id_edit = self.editors.get("id")
        if isinstance(id_edit, QtWidgets.QLineEdit) and id_edit.text() != node.id:
            id_edit.setText(node.id)
        for name, editor in self.editors.items():
            if (
                isinstance(editor, ParamEditor)
                and name in node.params
                and editor.value() != node.params[name]
                and not self.errors[name].isVisible()
            ):
                editor.set_value(node.params[name])
        self._show_applicable(node)

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
        if self.node_id is None or self.lock.locked:
            return
        node = self.document.graph.nodes[self.node_id]
        spec = nodes.get(node.type).param(name)
        try:
            self.document.execute(SetParam(self.node_id, name, value))
        except ParamError as exc:
            self._mark(name, f"{spec.label} {exc.message}")
            return
        except ConvasError as exc:
            self._mark(name, str(exc))
            return
        self._mark(name, None)

    def _rename(self, new_id: str) -> None:
        if self.node_id is None or new_id == self.node_id:
            return
        problem = check_id(self.document.graph, new_id)
        self._mark("id", problem)
        if problem is None and not self.lock.locked:
            self.document.execute(Rename(self.node_id, new_id))
