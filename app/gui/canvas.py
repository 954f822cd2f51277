"""The canvas adapter: the one place that knows NodeGraphQt.

Every canvas signal (create, delete, connect, disconnect, property change — also
those replayed by undo, redo and paste) re-syncs the core ``Graph`` from the canvas,
runs ``graph_io.shapes.infer`` and writes the results back onto the node faces. The
re-sync is cheap and does not depend on NodeGraphQt calling per-connect hooks, which
it skips on session loads. No shape maths happens here.
"""

from __future__ import annotations

from typing import Any

from NodeGraphQt import NodeGraph
from PySide6 import QtCore, QtGui, QtWidgets

import nodes
from app.gui.node_classes import (
    INPUT_PORT,
    NODE_CLASSES,
    OUTPUT_PORT,
    PREFIX,
    layer_type,
    node_type_key,
    prop,
)
from graph_io.ids import id_problem, unique_id
from graph_io.model import Graph
from graph_io.shapes import Report, Status, infer
from graph_io.summary import count_text, shape_text

OK_COLOR = (40, 62, 88)
ERROR_COLOR = (170, 40, 40)
UNKNOWN_COLOR = (70, 70, 70)
FACE_COLORS = {Status.OK: "#d8e6f5", Status.ERROR: "#ff9c9c", Status.UNKNOWN: "#9a9a9a"}


class Canvas(QtCore.QObject):
    """Mirror of a NodeGraphQt graph into a core ``Graph``, with live inference."""

    changed = QtCore.Signal(object)  # the new Report, after every edit
    message = QtCore.Signal(str)  # one-line feedback for the status bar

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = NodeGraph()
        self.graph.register_nodes(list(NODE_CLASSES.values()))
        self.graph.set_acyclic(True)
        self.name = "untitled"
        self.training: dict[str, Any] | None = None
        self.core = Graph()
        self.report: Report = infer(self.core)
        self._faces: dict[str, tuple[str, str, str, str]] = {}
        self._muted = False
        self.read_only = False
        g = self.graph
        g.node_created.connect(self._on_created)
        g.nodes_deleted.connect(lambda _ids: self.refresh())
        g.port_connected.connect(self._on_connected)
        g.port_disconnected.connect(lambda _a, _b: self.refresh())
        g.property_changed.connect(self._on_property)
        g.viewer().data_dropped.connect(lambda _mime, _pos: self._name_dropped())
        # Paste and duplicate add nodes without node_created; every undoable step
        # moves the stack's index, so this catches whatever the signals above miss.
        g.undo_stack().indexChanged.connect(lambda _index: self.refresh())

    # ---- building ---------------------------------------------------------------
    def add_layer(
        self,
        layer: str,
        pos: tuple[float, float] = (0, 0),
        node_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Create a node (undoable), with a valid unique id."""
        taken = {n.name() for n in self.graph.all_nodes()}
        name = node_id or unique_id(taken, layer)
        node = self.graph.create_node(
            node_type_key(layer), name=name, pos=list(pos), push_undo=True
        )
        for key, value in (params or {}).items():
            node.set_property(prop(key), value, push_undo=False)
        self.refresh()
        return node

    def connect_nodes(self, source: Any, target: Any) -> bool:
        """Wire ``source`` into ``target`` (undoable); refuses a cycle and says why."""
        if self.core.would_create_cycle(source.name(), target.name()):
            self.message.emit(
                f"refused: connecting '{source.name()}' to '{target.name()}' would create a cycle"
            )
            return False
        source.get_output(OUTPUT_PORT).connect_to(target.get_input(INPUT_PORT))
        return True

    def node(self, node_id: str) -> Any:
        return self.graph.get_node_by_name(node_id)

    def load(self, graph: Graph) -> None:
        """Replace the canvas with ``graph`` (not undoable: a new document)."""
        self._muted = True
        try:
            self.graph.clear_session()
            self._faces.clear()
            created = {}
            for index, node in enumerate(graph.nodes.values()):
                pos = node.pos or (index * 200.0, 0.0)
                item = self.graph.create_node(
                    node_type_key(node.type),
                    name=node.id,
                    pos=list(pos),
                    push_undo=False,
                    selected=False,
                )
                for key, value in node.params.items():
                    item.set_property(prop(key), value, push_undo=False)
                created[node.id] = item
            for node in graph.nodes.values():
                for source in node.inputs:
                    created[source].get_output(OUTPUT_PORT).connect_to(
                        created[node.id].get_input(INPUT_PORT), push_undo=False
                    )
            self.graph.undo_stack().clear()
        finally:
            self._muted = False
        self.name = graph.name
        self.training = graph.training
        self.refresh()

    # ---- mirroring --------------------------------------------------------------
    def to_graph(self) -> Graph:
        """The core graph the canvas shows right now (ids, params, wiring, positions).

        Nodes keep the canvas' creation order, which is the file order after a load,
        so saving an unchanged file reproduces it byte for byte.
        """
        graph = Graph(self.name, training=self.training)
        items = self.graph.all_nodes()
        for item in items:
            self._ensure_valid_name(item)
        for item in items:
            layer = layer_type(item)
            custom = item.model.custom_properties
            params = {p.name: custom[prop(p.name)] for p in nodes.get(layer).params}
            port = item.inputs().get(INPUT_PORT)
            inputs = [p.node().name() for p in port.connected_ports()] if port else []
            x, y = item.pos()
            graph.add_node(layer, item.name(), params, inputs, (x, y))
        return graph

    def _name_dropped(self) -> None:
        """A layer dragged from the palette is named by NodeGraphQt after its title
        ("MaxPool2D"); give it an id like every other new node ("maxpool2d_1")."""
        for item in self.graph.all_nodes():
            if item.name() == item.NODE_NAME:
                taken = {n.name() for n in self.graph.all_nodes()}
                item.set_property("name", unique_id(taken, layer_type(item)), push_undo=False)

    def _ensure_valid_name(self, item: Any) -> None:
        """Pasted or tab-created nodes get NodeGraphQt names ("Conv2D 1"): fix them."""
        if id_problem(item.name()) is None:
            return
        taken = {n.name() for n in self.graph.all_nodes()}
        item.set_property("name", unique_id(taken, layer_type(item)), push_undo=False)

    def refresh(self) -> None:
        if self._muted:
            return
        try:
            core = self.to_graph()
        except RuntimeError:  # Qt is tearing the scene down: nothing left to mirror
            self._muted = True
            return
        if core == self.core and len(self._faces) == len(core.nodes):
            return  # e.g. the undo stack's signal after a change already handled
        self.core = core
        self.report = infer(self.core)
        self._paint(self.report)
        self.changed.emit(self.report)

    def _paint(self, report: Report) -> None:
        for item in self.graph.all_nodes():
            result = report.results.get(item.name())
            if result is None:
                continue
            if result.status is Status.OK:
                text = shape_text(result.shape)
                if result.params:
                    text += f"  ·  {count_text(result.params)} params"
                tip = f"{result.type} '{result.id}': output {shape_text(result.shape)}"
            elif result.status is Status.ERROR:
                text, tip = "error", result.error or ""
            else:
                text, tip = "?", "unknown: a node upstream has a problem"
            # input shapes too: a port tooltip can change while the face text does not
            face = (text, tip, result.status.value, repr(result.input_shapes))
            if self._faces.get(item.name()) == face and getattr(item, "_face", None):
                continue
            self._faces[item.name()] = face
            self._draw_face(item, text, tip, result.status)
        self._tip_edges(report)

    def _tip_edges(self, report: Report) -> None:
        """Each edge's tooltip names the tensor that flows along it."""
        for item in self.graph.all_nodes():
            result = report.results.get(item.name())
            for port in item.output_ports():
                for pipe in port.view.connected_pipes:
                    target = pipe.input_port.node.name if pipe.input_port else "?"
                    shape = (
                        f"tensor {shape_text(result.shape)}"
                        if result is not None and result.status is Status.OK
                        else "shape unknown: fix the problem upstream"
                    )
                    tip = f"{item.name()} → {target}: {shape}"
                    if pipe.toolTip() != tip:
                        pipe.setToolTip(tip)

    def edge_tooltip(self, source: str, target: str) -> str:
        for pipe in self.node(source).get_output(OUTPUT_PORT).view.connected_pipes:
            if pipe.input_port and pipe.input_port.node.name == target:
                return str(pipe.toolTip())
        return ""

    def _draw_face(self, item: Any, text: str, tip: str, status: Status) -> None:
        label = getattr(item, "_face", None)
        if label is None:
            label = QtWidgets.QGraphicsSimpleTextItem(item.view)
            font = label.font()
            font.setPointSize(9)
            label.setFont(font)
            item._face = label
        label.setText(text)
        label.setBrush(QtGui.QBrush(QtGui.QColor(FACE_COLORS[status])))
        rect = item.view.boundingRect()
        label.setPos((rect.width() - label.boundingRect().width()) / 2, rect.height() + 2)
        item.view.setToolTip(tip)
        label.setToolTip(tip)
        color = {Status.OK: OK_COLOR, Status.ERROR: ERROR_COLOR}.get(status, UNKNOWN_COLOR)
        item.set_property("color", (*color, 255), push_undo=False)  # not an edit: no undo
        for port in [*item.input_ports(), *item.output_ports()]:
            port.view.setToolTip(tip if status is not Status.OK else self._port_tip(item, port))

    def _port_tip(self, item: Any, port: Any) -> str:
        """The tensor(s) through a port; an Add or Concat input lists each, in order."""
        result = self.report.results.get(item.name())
        if result is None:
            return ""
        if port.type_() == "out":
            return f"tensor {shape_text(result.shape)}"
        shapes = [shape_text(s) for s in result.input_shapes]
        if len(shapes) == 1:
            return f"tensor {shapes[0]}"
        return f"{len(shapes)} tensors, in order: {', '.join(shapes)}"

    def face_text(self, node_id: str) -> str:
        return self._faces.get(node_id, ("", "", "", ""))[0]

    def face_tooltip(self, node_id: str) -> str:
        return self._faces.get(node_id, ("", "", "", ""))[1]

    # ---- signal handlers ----------------------------------------------------------
    def _on_created(self, item: Any) -> None:
        if self._muted:
            return
        self._ensure_valid_name(item)
        self.refresh()

    def _on_connected(self, in_port: Any, out_port: Any) -> None:
        if self._muted:
            return
        source, target = out_port.node(), in_port.node()
        if self.core.would_create_cycle(source.name(), target.name()):
            # Undo the step once NodeGraphQt has finished pushing it, so the stack and
            # the canvas stay consistent (the previous wiring comes back too).
            QtCore.QTimer.singleShot(0, self._take_back)
            self.message.emit(
                f"refused: connecting '{source.name()}' to '{target.name()}' would create a cycle"
            )
            return
        self.refresh()

    def _take_back(self) -> None:
        """Undo the refused step and drop it from history, so Redo cannot replay it."""
        stack = self.graph.undo_stack()
        stack.undo()
        if stack.canRedo():  # an obsolete command is deleted by redo() instead of redone
            stack.command(stack.index()).setObsolete(True)
            stack.redo()
        self.refresh()

    def _on_property(self, item: Any, name: str, value: Any) -> None:
        if not name.startswith(PREFIX) and name != "name":
            return
        self.refresh()

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Change one parameter as the panel does: one undoable step."""
        self.node(node_id).set_property(prop(name), value, push_undo=True)

    def rename(self, node_id: str, new_id: str) -> None:
        self.node(node_id).set_name(new_id)
