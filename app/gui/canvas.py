"""The canvas: a view of the document and the controller of the gestures made on it.

The one module that knows NodeGraphQt. The document, not the scene, is the source of
truth: every gesture (drop, search pick, drag, wire, cut, rename, delete, paste)
becomes a document command, and every document update changes only the scene items
it names. NodeGraphQt's own undo stack, model-changing slots and shortcuts are
disconnected, so nothing edits behind the document's back and no shortcut is
ambiguous. A refused gesture (a cycle, a full port, a bad id) says why in the status
bar and the affected items are redrawn from the document, as if it never happened.
No shape maths happens here: faces show what inference reported.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from NodeGraphQt import NodeGraph
from NodeGraphQt.constants import MIME_TYPE, LayoutDirectionEnum
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.canvas_viewer import FIT_CEILING, CanvasViewer
from app.gui.node_classes import INPUT_PORT, NODE_CLASSES, OUTPUT_PORT, node_type_key
from app.gui.node_item import FaceNodeItem, Look, Points
from app.gui.overview import OVERVIEW_MIN_NODES, OVERVIEW_ZOOM, Overview
from app.gui.panels import PRESET_MIME
from app.gui.view_state import EditLock, Selection
from graph_io.editing import (
    AddNodes,
    Command,
    Compound,
    Connect,
    Disconnect,
    Document,
    Move,
    RemoveNodes,
    Rename,
    Update,
    delete_and_reconnect,
    fragment_of,
    paste_nodes,
)
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH, Face, face
from graph_io.ids import unique_id
from graph_io.insert_room import insert_placement
from graph_io.layout import LAYER_GAP, Direction, Edge, Layout, layered_layout
from graph_io.model import Node
from graph_io.shapes import Status
from graph_io.summary import shape_text
from nodes.errors import ConvasError
from resources.themes import Theme

PASTE_STEP = 40.0  # each paste lands this far right and down of the last
SCENE_MARGIN = 4000.0  # scene units of room around the graph before the scene grows
BSP_CELL = 8000.0  # the scene index's cell size to aim for, in scene units
ROUTED_OPEN_LIMIT = 3000  # nodes up to which opening re-derives the layout's wire routes
START_HINT = (
    "Drag layers here from the Layers panel, or press Tab to search for one · "
    "drag from a node's output port to another's input port to wire them · "
    "right-click for more"
)
_URN_NODE = re.compile(r"node:([\w.]+)")

# NodeGraphQt slots that would change its own model (and push onto its own undo stack)
# in answer to the viewer's gestures; the canvas answers those gestures instead.
_VIEWER_SLOTS = (
    ("search_triggered", "_on_search_triggered"),
    ("connection_sliced", "_on_connection_sliced"),
    ("connection_changed", "_on_connection_changed"),
    ("moved_nodes", "_on_nodes_moved"),
    ("node_name_changed", "_on_node_name_changed"),
    ("insert_node", "_on_insert_node"),
    ("data_dropped", "_on_node_data_dropped"),
)


def _follow_ends(
    route: Points,
    source_offset: tuple[float, float],
    target_offset: tuple[float, float],
    target_place: tuple[float, float],
    direction: Direction,
) -> Points | None:
    """A wire's route after its ends moved, or None when it no longer fits (then the
    wire is drawn as a plain curve).

    Still in place: the route. Both ends moved alike: the route moved with them. Only
    the target moved further along the flow — a layer inserted upstream made room — the
    route's last bend and end move with it, so a skip lane just gets longer."""
    moved_source = max(abs(v) for v in source_offset) > 0.5
    moved_target = max(abs(v) for v in target_offset) > 0.5
    if not moved_source and not moved_target:
        return route
    if moved_source and moved_target:
        dx, dy = source_offset
        if abs(dx - target_offset[0]) > 0.5 or abs(dy - target_offset[1]) > 0.5:
            return None
        return [(x + dx, y + dy) for x, y in route]
    axis = 1 if direction is Direction.TB else 0
    along, across = target_offset[axis], target_offset[1 - axis]
    if moved_source or abs(across) > 0.5 or along < 0:
        return None
    cut = target_place[axis] - LAYER_GAP
    dx, dy = target_offset
    return [(x + dx, y + dy) if (x, y)[axis] >= cut else (x, y) for x, y in route]


class _SceneGraph(NodeGraph):  # type: ignore[misc]
    """NodeGraphQt's graph, minus its name de-duplication: ids are the document's
    (already unique), and the stock check scans every node on each creation, which
    made opening 2,000 nodes quadratic."""

    def get_unique_name(self, name: str) -> str:
        return name


class Canvas(QtCore.QObject):
    """Shows ``document`` in a NodeGraphQt scene and turns gestures into commands."""

    message = QtCore.Signal(str)  # one-line feedback for the status bar

    def __init__(
        self,
        document: Document,
        selection: Selection,
        lock: EditLock,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.selection = selection
        self.lock = lock
        self.direction = Direction.TB
        stack = QtGui.QUndoStack(self)  # NodeGraphQt's; never pushed to (push_undo=False)
        self.graph = _SceneGraph(
            undo_stack=stack,
            viewer=CanvasViewer(undo_stack=stack),
            layout_direction=LayoutDirectionEnum.VERTICAL.value,
        )
        self.graph.register_nodes(list(NODE_CLASSES.values()))
        self.graph.set_acyclic(False)  # the document refuses cycles, and says so
        self.viewer = self.graph.viewer()
        # The scene's rectangle is set by us (``_grow_scene``): left to itself the scene
        # re-measures every item after each change (an edit was O(nodes)); too large,
        # its spatial index puts the whole graph in one cell and every repaint visits
        # every item (an edit at 2,000 nodes was 50 ms of painting).
        self._scene_rect = QtCore.QRectF(
            -SCENE_MARGIN, -SCENE_MARGIN, 2 * SCENE_MARGIN, 2 * SCENE_MARGIN
        )
        self.viewer.scene().setSceneRect(self._scene_rect)
        self._items: dict[str, Any] = {}  # node id -> NodeGraphQt node
        self._ids: dict[str, str] = {}  # NodeGraphQt's internal id -> node id
        self._faces: dict[str, Face] = {}
        self._routes: dict[Edge, Points] = {}  # wire routes of the last layout
        # Scene rectangles that framing the graph (F, opening) must show as well.
        self.frame_extras: list[Callable[[], Iterable[QtCore.QRectF]]] = []
        self._route_places: dict[str, tuple[float, float]] = {}  # where that layout put nodes
        self._pastes = 0
        self._shown: dict[str, tuple[float, float]] = {}  # where the document put each item
        self._reconcile_pending = False
        self._reassert_pending = False
        self._take_over_viewer()
        document.subscribe(self._on_update)
        # Read the selection once the viewer has finished its mouse event: it reports
        # selection before it hands the release to the scene, and panels reacting then
        # (a dock raised, editors rebuilt) would leave the scene's mouse grab stuck.
        self.graph.node_selection_changed.connect(
            lambda *_: QtCore.QTimer.singleShot(0, self._read_selection)
        )
        lock.changed.connect(self._on_lock)
        self.viewer.viewport().installEventFilter(self)
        self.viewer.tooltip_for = self.tooltip_for
        self._overview = Overview()
        self._overview_on = False
        self.viewer.view_changed.connect(self._follow_zoom)
        selection.changed.connect(lambda *_: self._overview.invalidate())
        self.viewer.route_for = self._route_of
        self._rebuild()

    def _take_over_viewer(self) -> None:
        viewer = self.viewer
        for signal, slot in _VIEWER_SLOTS:
            getattr(viewer, signal).disconnect(getattr(self.graph, slot))
        viewer.moved_nodes.connect(self._on_moved)
        for bar in (viewer.horizontalScrollBar(), viewer.verticalScrollBar()):
            bar.valueChanged.connect(lambda _v: self._reassert_later())
        viewer.connection_changed.connect(self._on_connection_changed)
        viewer.connection_sliced.connect(self._on_sliced)
        viewer.node_name_changed.connect(self._on_name_edited)
        viewer.data_dropped.connect(self._on_dropped)
        viewer.search_triggered.connect(
            lambda key, pos: self.add_layer(str(key).split(".")[-1], (pos[0], pos[1]))
        )
        # The viewer's own Undo/Redo actions would make Ctrl+Z ambiguous with the
        # window's Edit menu, and neither would fire: remove them.
        for action in (viewer.qaction_for_undo(), viewer.qaction_for_redo()):
            if action is not None:
                action.setShortcuts([])
                action.setEnabled(False)
                viewer._ctx_graph_menu.removeAction(action)

    # ---- reading the scene -------------------------------------------------------------
    def node(self, node_id: str) -> Any:
        """The scene node showing ``node_id`` (None if there is none)."""
        return self._items.get(node_id)

    def node_id(self, item: Any) -> str | None:
        """The document id of a scene node or node item."""
        return self._ids.get(str(item.id))

    def scene_state(self) -> dict[str, tuple[str, list[str], str]]:
        """Every node as the scene shows it: type, sources and name text (for tests)."""
        state = {}
        for node_id, item in self._items.items():
            port = item.inputs().get(INPUT_PORT)
            sources = sorted(
                self._ids[p.node().id] for p in (port.connected_ports() if port else [])
            )
            state[node_id] = (str(item.LAYER_TYPE), sources, str(item.view.name))
        return state

    def face(self, node_id: str) -> Face | None:
        """What the node's face shows (None before it is drawn)."""
        return self._faces.get(node_id)

    def face_text(self, node_id: str) -> str:
        """The face's result line: output shape and parameter count, "error" or "?"."""
        shown = self._faces.get(node_id)
        if shown is None:
            return ""
        if shown.status is Status.ERROR:
            return "error"
        if shown.status is not Status.OK:
            return "?"
        return f"{shown.shape}  ·  {shown.param_count}" if shown.param_count else shown.shape

    def face_tooltip(self, node_id: str) -> str:
        """The node's hover text: caption, shape and parameters, or the problem."""
        result = self.document.report.results.get(node_id)
        if result is None:
            return ""
        if result.status is Status.OK:
            shown = self._faces.get(node_id)
            caption = shown.caption if shown is not None else result.type
            return f"{result.type} '{result.id}': output {shape_text(result.shape)}\n{caption}"
        if result.status is Status.ERROR:
            return result.error or ""
        return "unknown: a node upstream has a problem"

    def edge_tooltip(self, source: str, target: str) -> str:
        """A wire's hover text: the tensor it carries."""
        result = self.document.report.results.get(source)
        shape = (
            f"tensor {shape_text(result.shape)}"
            if result is not None and result.status is Status.OK
            else "shape unknown: fix the problem upstream"
        )
        return f"{source} → {target}: {shape}"

    def port_tooltip(self, node_id: str, port: str) -> str:
        """A port's hover text: the tensor(s) through it; an Add or Concat input lists
        each, in order; the problem when the node has one."""
        result = self.document.report.results.get(node_id)
        if result is None:
            return ""
        if result.status is not Status.OK:
            return self.face_tooltip(node_id)
        if port == OUTPUT_PORT:
            return f"tensor {shape_text(result.shape)}"
        shapes = [shape_text(s) for s in result.input_shapes]
        if len(shapes) == 1:
            return f"tensor {shapes[0]}"
        return f"{len(shapes)} tensors, in order: {', '.join(shapes)}"

    def tooltip_for(self, item: QtWidgets.QGraphicsItem) -> str | None:
        """Hover text for a scene item, asked for when the user hovers."""
        if isinstance(item, PortItem):
            node_id = self._ids.get(str(item.node.id))
            return self.port_tooltip(node_id, item.name) if node_id else None
        if isinstance(item, FaceNodeItem):
            node_id = self._ids.get(str(item.id))
            return self.face_tooltip(node_id) if node_id else None
        if isinstance(item, PipeItem) and item.input_port and item.output_port:
            source = self._ids.get(str(item.output_port.node.id))
            target = self._ids.get(str(item.input_port.node.id))
            return self.edge_tooltip(source, target) if source and target else None
        return item.toolTip() or None  # items of overlays (Compare With…) carry their own

    # ---- wire routes and theme --------------------------------------------------------------
    def adopt_layout(self, layout: Layout) -> None:
        """Draw wires along ``layout``'s routes while their nodes stay where it put them
        (a skip wire then goes round the nodes it passes, not behind them)."""
        self._routes = dict(layout.routes)
        self._route_places = dict(layout.positions)
        self._redraw_wires()

    def routed_layout(self) -> Layout | None:
        """The layered layout of the document when every node sits where it puts them
        (a file saved after an auto layout); None otherwise."""
        graph = self.document.graph
        if not graph.nodes or any(n.pos is None for n in graph.nodes.values()):
            return None
        if len(graph.nodes) > ROUTED_OPEN_LIMIT:
            return None  # Ctrl+L routes it; opening must not wait seconds for the check
        layout = layered_layout(graph, self.direction)
        if all(graph.nodes[n].pos == p for n, p in layout.positions.items()):
            return layout
        return None

    def _route_of(self, pipe: Any) -> Points | None:
        if not self._routes:
            return None
        source = self._ids.get(str(pipe.output_port.node.id))
        target = self._ids.get(str(pipe.input_port.node.id))
        if source is None or target is None:
            return None
        route = self._routes.get((source, target))
        if route is None:
            return None
        offsets = []
        for end in (source, target):  # where the items are now, against the route's
            place = self._route_places.get(end)
            item = self._items.get(end)
            if place is None or item is None:
                return None
            x, y = item.view.xy_pos
            offsets.append((x - place[0], y - place[1]))
        source_offset, target_offset = offsets
        place = self._route_places[target]
        return _follow_ends(route, source_offset, target_offset, place, self.direction)

    def _redraw_wires(self) -> None:
        for item in self._items.values():
            port = item.inputs().get(INPUT_PORT)
            if port is not None:
                for pipe in port.view.connected_pipes:
                    pipe.draw_path(pipe.input_port, pipe.output_port)

    # ---- level of detail: the overview ---------------------------------------------------
    def _follow_zoom(self) -> None:
        """Far out, hide the items and let the viewer draw the whole graph at once."""
        wanted = (
            self.viewer.scale_factor() < OVERVIEW_ZOOM and len(self._items) >= OVERVIEW_MIN_NODES
        )
        if wanted == self._overview_on:
            return
        self._overview_on = wanted
        self.viewer.overview = self._paint_overview if wanted else None
        for item in self._items.values():
            item.view.setVisible(not wanted)
            port = item.inputs().get(INPUT_PORT)
            if port is not None:
                for pipe in port.view.connected_pipes:
                    pipe.setVisible(not wanted)
        self.viewer.viewport().update()

    @property
    def overview_shown(self) -> bool:
        """Whether the canvas draws the overview (far out) instead of its items."""
        return self._overview_on

    def _paint_overview(self, painter: QtGui.QPainter, _rect: QtCore.QRectF) -> None:
        if not self._overview.valid:
            self._overview.build(self.document.graph, self.direction, frozenset(self.selection.ids))
        self._overview.paint(painter, Look.node_painter().theme)

    def set_theme(self, theme: object) -> None:
        """Draw nodes, wires and background in ``theme`` (a ``Theme``)."""
        assert isinstance(theme, Theme)
        Look.set_theme(theme)
        rgb = QtGui.QColor(theme.canvas)
        grid = QtGui.QColor(theme.grid)
        self.graph.set_background_color(rgb.red(), rgb.green(), rgb.blue())
        self.graph.set_grid_color(grid.red(), grid.green(), grid.blue())
        for item in self._items.values():  # each item caches its picture: redraw it
            item.view.update()
            port = item.inputs().get(INPUT_PORT)
            if port is not None:
                for pipe in port.view.connected_pipes:
                    pipe.update()
        self._overview.invalidate()
        self.viewer.hint_colour = QtGui.QColor(theme.muted)
        self.viewer.resetCachedContent()  # the background is cached too
        self.viewer.viewport().update()

    # ---- commands from gestures -----------------------------------------------------------
    def execute(self, command: Command, *, resync: Iterable[str] = ()) -> bool:
        """Run ``command`` on the document; when refused (or locked), say why and redraw
        ``resync`` from the document so the scene shows what really is."""
        if self.lock.locked:
            self.message.emit(f"refused: {self.lock.reason}")
            self._resync(resync)
            return False
        try:
            self.document.execute(command)
        except ConvasError as exc:
            self.message.emit(f"refused: {exc}")
            self._resync(resync)
            return False
        return True

    def add_layer(
        self,
        layer: str,
        pos: tuple[float, float] = (0.0, 0.0),
        params: dict[str, Any] | None = None,
        *,
        into_wire: bool = False,
    ) -> str | None:
        """Add a layer (with a preset's params) at a scene position (one step) and
        select it; its id, or None when refused. With ``into_wire`` a position on a
        wire inserts the layer into it (the search opened over a wire)."""
        node = Node(unique_id(self.document.graph.nodes, layer), layer, dict(params or {}), [], pos)
        wire = self._wire_at(QtCore.QPointF(*pos)) if into_wire else None
        if wire is not None and self._insert_new(node, wire):
            return node.id
        if not self.execute(AddNodes([node])):
            return None
        self.select([node.id])
        return node.id

    def connect_nodes(self, source: str, target: str) -> bool:
        """Wire ``source`` into ``target`` (one step); a refused wire says why."""
        return self.execute(Connect(source, target), resync=[target])

    def delete_selected(self) -> None:
        ids = [i for i in self.selection.ids if i in self.document.graph.nodes]
        if ids:
            self.execute(RemoveNodes(ids))

    def delete_selected_reconnecting(self) -> None:
        """Delete the selection and feed each consumer from what fed it (one step)."""
        ids = [i for i in self.selection.ids if i in self.document.graph.nodes]
        if ids:
            self.execute(delete_and_reconnect(self.document.graph, ids))

    def copy_selected(self) -> bool:
        ids = self.selection.ids
        if not ids:
            self.message.emit("nothing selected to copy")
            return False
        QtWidgets.QApplication.clipboard().setText(fragment_of(self.document.graph, ids))
        self._pastes = 0
        return True

    def cut_selected(self) -> None:
        """Copy, then delete as one step; the next paste puts the layers back where
        they were (a paste after a copy steps aside from the originals instead)."""
        ids = [i for i in self.selection.ids if i in self.document.graph.nodes]
        if not ids or not self.copy_selected():
            return
        command = RemoveNodes(ids)
        command.label = command.label.replace("delete", "cut", 1)
        if self.execute(command):
            self._pastes = -1

    def paste(self) -> None:
        """Paste the clipboard's fragment beside what it copies; successive pastes step on."""
        text = QtWidgets.QApplication.clipboard().text()
        try:
            self._pastes += 1
            offset = PASTE_STEP * self._pastes
            command = paste_nodes(self.document.graph, text, (offset, offset))
        except ConvasError:
            self.message.emit("the clipboard holds no Convas nodes to paste")
            return
        if self.execute(command):
            self.select([n.id for n in command.nodes])

    def duplicate_selected(self) -> None:
        if self.copy_selected():
            self.paste()

    def apply_layout(self, positions: dict[str, tuple[float, float]]) -> None:
        self.execute(Move(positions, label="auto layout"))

    def lay_out(self, direction: Direction | None = None) -> None:
        """Lay the graph out in layers (one undo step) and route its wires; a new
        ``direction`` also turns the ports (top/bottom or left/right)."""
        if direction is not None and direction is not self.direction:
            self.direction = direction
            vertical = direction is Direction.TB
            self.graph.set_layout_direction(
                (LayoutDirectionEnum.VERTICAL if vertical else LayoutDirectionEnum.HORIZONTAL).value
            )
        graph = self.document.graph
        if not graph.nodes:
            return
        layout = layered_layout(graph, self.direction)
        self.execute(Move(dict(layout.positions), label="auto layout"))
        self.adopt_layout(layout)

    def frame(self, *, readable: bool) -> None:
        """Show the whole graph; with ``readable``, never below the zoom at which node
        text is 10 px — a large graph then opens around its Input."""
        self.release_stale_grab()  # a view change must not drag a stale grab
        placed = [(n.id, n.pos) for n in self.document.graph.nodes.values() if n.pos]
        if placed:
            xs = [p[0] for _, p in placed]
            ys = [p[1] for _, p in placed]
            rect = QtCore.QRectF(
                min(xs), min(ys), max(xs) - min(xs) + NODE_WIDTH, max(ys) - min(ys) + NODE_HEIGHT
            )
            for extras in self.frame_extras:  # what overlays draw beside the graph
                for extra in extras():
                    rect = rect.united(extra)
            rect = rect.adjusted(-60, -60, 60, 60)
            start = next(
                (p for i, p in placed if not self.document.graph.nodes[i].inputs), placed[0][1]
            )
            anchor = QtCore.QPointF(start[0] + NODE_WIDTH / 2, start[1])
            floor = self.viewer.readable_zoom() if readable else None
            # opening shows a small graph at its natural size; F may zoom in a little
            ceiling = self.viewer.readable_zoom() if readable else FIT_CEILING
            self.viewer.show_rect(rect, floor=floor, anchor=anchor, ceiling=ceiling)
        self.reassert_positions()
        QtCore.QTimer.singleShot(0, self.reassert_positions)

    def show_node(self, node_id: str) -> None:
        """Bring a node into view at the current zoom (centred, unless already shown)."""
        item = self._items.get(node_id)
        if item is None:
            return
        seen = self.viewer.mapToScene(self.viewer.viewport().rect()).boundingRect()
        box = item.view.sceneBoundingRect().adjusted(-12, -12, 12, 12)  # ports stick out
        if seen.contains(box):
            return
        self.release_stale_grab()
        seen.moveCenter(box.center())
        self.viewer.set_scene_rect([seen.x(), seen.y(), seen.width(), seen.height()])
        self.reassert_positions()

    def select(self, ids: Iterable[str]) -> None:
        wanted = set(ids)
        with QtCore.QSignalBlocker(self.graph):
            for node_id, item in self._items.items():
                item.view.setSelected(node_id in wanted)
        self._read_selection()

    # ---- viewer gestures ------------------------------------------------------------------
    def _ends(self, a: Any, b: Any) -> tuple[str, str]:
        """(source, target) ids of a pair of port items in either order."""
        out_port, in_port = (a, b) if a.port_type == "out" else (b, a)
        return self._ids[out_port.node.id], self._ids[in_port.node.id]

    def _on_moved(self, _moved: dict[Any, Any]) -> None:
        self._reconcile_later()

    def _reconcile_later(self) -> None:
        if not self._reconcile_pending:
            self._reconcile_pending = True
            QtCore.QTimer.singleShot(0, self._reconcile)

    def _reassert_later(self) -> None:
        if not self._reassert_pending:
            self._reassert_pending = True
            QtCore.QTimer.singleShot(0, self.reassert_positions)

    def reassert_positions(self) -> None:
        """Put every item back where the document says, after a change of the view
        (fit, zoom, scroll): outside a mouse gesture nothing may move a node but a
        command."""
        self._reassert_pending = False
        if QtWidgets.QApplication.mouseButtons() != QtCore.Qt.MouseButton.NoButton:
            return  # a drag is on: the release will record it
        self.release_stale_grab()
        # Only the selection can have been dragged along (Qt moves the selected items),
        # so this stays O(selection) however large the graph: it runs on every scroll.
        nodes = self.document.graph.nodes
        for item in self.viewer.scene().selectedItems():
            node_id = self._ids.get(str(getattr(item, "id", "")))
            if node_id is not None and node_id in nodes and node_id in self._items:
                self._place(node_id)

    def release_stale_grab(self) -> None:
        """The mouse is up, but the scene can keep its grab on the pressed node (seen
        after a press that changed the selection); a later view change (fit, zoom)
        would then drag the selection along with no button held. Let go of it."""
        grabber = self.viewer.scene().mouseGrabberItem()
        no_button = QtWidgets.QApplication.mouseButtons() == QtCore.Qt.MouseButton.NoButton
        if grabber is not None and no_button:
            grabber.ungrabMouse()

    def _reconcile(self) -> None:
        """After a mouse gesture, every node the scene shows elsewhere than the document
        placed it becomes part of one Move: a drag of five nodes is one undo step, and a
        move NodeGraphQt did not report (it does not always) still reaches the document."""
        self._reconcile_pending = False
        self.release_stale_grab()
        positions: dict[str, tuple[float, float] | None] = {}
        for node_id, item in self._items.items():
            x, y = item.view.xy_pos
            shown = self._shown.get(node_id)
            if shown is None or abs(shown[0] - x) > 1e-6 or abs(shown[1] - y) > 1e-6:
                positions[node_id] = (float(x), float(y))
        if positions:
            self.execute(Move(positions), resync=positions)

    def _on_connection_changed(self, disconnected: list[Any], connected: list[Any]) -> None:
        parts: list[Command] = [Disconnect(*self._ends(a, b)) for a, b in disconnected]
        parts += [Connect(*self._ends(a, b)) for a, b in connected]
        if not parts:
            return
        targets = [getattr(p, "target") for p in parts]  # noqa: B009 - Connect or Disconnect
        label = parts[-1].label if len(parts) > 1 else parts[0].label
        self.execute(Compound(label, parts) if len(parts) > 1 else parts[0], resync=targets)

    def _on_sliced(self, ports: list[Any]) -> None:
        parts: list[Command] = [Disconnect(*self._ends(a, b)) for a, b in ports]
        if parts:
            targets = [getattr(p, "target") for p in parts]  # noqa: B009
            self.execute(Compound("cut wires", parts), resync=targets)

    def _on_name_edited(self, uid: str, name: str) -> None:
        old = self._ids.get(uid)
        if old is None or name == old:
            return
        if not self.execute(Rename(old, name.strip())):
            self._items[old].view.name = old  # show the id it still has

    def _on_dropped(self, mime: QtCore.QMimeData, pos: Any) -> None:
        if not mime.hasFormat(MIME_TYPE):
            return
        text = bytes(mime.data(MIME_TYPE).data()).decode()
        keys = _URN_NODE.findall(text)
        layers = [k.split(".")[-1] for k in keys if k.split(".")[-1] in NODE_CLASSES]
        presets: list[Any] = []
        if mime.hasFormat(PRESET_MIME):
            with contextlib.suppress(ValueError):
                presets = json.loads(bytes(mime.data(PRESET_MIME).data()).decode())
        x, y = float(pos.x()), float(pos.y())
        batch: list[Node] = []
        taken = set(self.document.graph.nodes)
        for index, layer in enumerate(layers):
            preset = presets[index] if index < len(presets) else {}
            params = dict(preset) if isinstance(preset, dict) else {}
            at = (x + 80 * index, y + 80 * index)
            node = Node(unique_id(taken, layer), layer, params, [], at)
            taken.add(node.id)
            batch.append(node)
        if not batch:
            return
        wire = self._wire_at(QtCore.QPointF(x, y)) if len(batch) == 1 else None
        if wire is not None and self._insert_new(batch[0], wire):
            return
        if self.execute(AddNodes(batch)):
            self.select([n.id for n in batch])

    def context_target(
        self, item: QtWidgets.QGraphicsItem | None, point: QtCore.QPointF
    ) -> tuple[str, Any]:
        """What a right-click at scene ``point`` hit: ``("node", id)`` (a port counts as
        its node), ``("wire", (source, target))`` or ``("canvas", None)``."""
        while item is not None:
            if isinstance(item, FaceNodeItem) and item.id in self._ids:
                return "node", self._ids[item.id]
            item = item.parentItem()
        wire = self._wire_at(point)
        if wire is not None:
            return "wire", self._ends(wire.output_port, wire.input_port)
        return "canvas", None

    def remove_wire(self, source: str, target: str) -> bool:
        """Remove the wire ``source → target`` (one step)."""
        return self.execute(Disconnect(source, target), resync=[target])

    def _wire_at(self, point: QtCore.QPointF) -> Any:
        """The wire nearest a scene point, within a few screen pixels, if any.

        A wire item's shape is its path's filled area (the region between a curve and
        its chord), so the scene's hit test alone would pick a skip wire curving past;
        the distance to the drawn line decides."""
        grip = 6.0 / max(self.viewer.transform().m11(), 1e-6)
        area = QtCore.QRectF(point.x() - grip, point.y() - grip, 2 * grip, 2 * grip)
        best, nearest = None, grip
        for item in self.viewer.scene().items(area):
            if not (isinstance(item, PipeItem) and item.input_port and item.output_port):
                continue
            path = item.path()
            local = item.mapFromScene(point)
            steps = min(4096, max(16, math.ceil(path.length() / (grip / 2))))
            for step in range(steps + 1):
                on_line = path.pointAtPercent(step / steps)  # by length along the path
                distance = math.hypot(on_line.x() - local.x(), on_line.y() - local.y())
                if distance <= nearest:
                    best, nearest = item, distance
        return best

    def _insert_new(self, node: Node, wire: Any) -> bool:
        """A layer dropped from the palette onto a wire goes into it, a → node → b, as
        one step — as a node dragged onto a wire does. A layer that cannot sit there
        (an Input has no input) is refused as an insert and simply added."""
        source, target = self._ends(wire.output_port, wire.input_port)
        graph = self.document.graph
        place, room = insert_placement(graph, source, target, self.direction)
        if place is not None:
            node = Node(node.id, node.type, node.params, node.inputs, place)
        slot = graph.nodes[target].inputs.index(source)  # a Concat keeps its input order
        rewire = [
            Disconnect(source, target),
            Connect(source, node.id),
            Connect(node.id, target, slot),
        ]
        parts: list[Command] = [AddNodes([node]), *rewire]
        if room:
            parts.append(Move(room, label="make room"))
        insert = Compound(f"insert {node.id} between {source} and {target}", parts)
        if self.lock.locked:
            return False
        try:
            self.document.execute(insert)
        except ConvasError:
            return False
        self.select([node.id])
        return True

    def _read_selection(self) -> None:
        ids = tuple(
            self._ids[item.id] for item in self.viewer.selected_nodes() if item.id in self._ids
        )
        self.selection.set(ids)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """A drag on a locked graph says why nothing moves (selection still works); a
        released mouse button may have moved nodes."""
        if event.type() == QtCore.QEvent.Type.MouseButtonRelease:
            self._reconcile_later()
        if (
            self.lock.locked
            and event.type() == QtCore.QEvent.Type.MouseMove
            and isinstance(event, QtGui.QMouseEvent)
            and event.buttons() & QtCore.Qt.MouseButton.LeftButton
            and self.selection.ids
        ):
            self.message.emit(f"refused: {self.lock.reason}; nodes can be selected, not changed")
        return False

    def _on_lock(self, locked: bool) -> None:
        """While locked (a training run), nodes can be selected but not moved or wired."""
        self._apply_lock(self._items.values())

    def _apply_lock(self, items: Iterable[Any]) -> None:
        locked = self.lock.locked
        flag = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIsMovable
        for item in items:
            item.view.setFlag(flag, not locked)
            for port in [*item.input_ports(), *item.output_ports()]:
                if port.view.locked != locked:
                    port.view.locked = locked

    # ---- document updates --------------------------------------------------------------
    def _on_update(self, update: Update) -> None:
        change = update.change
        if change.structural or change.moved or change.replaced:
            self._overview.invalidate()
        if change.replaced:
            self._rebuild()
            return
        nodes = self.document.graph.nodes
        for node_id in change.removed:
            self._remove_item(node_id)
        for old, new in change.renamed:
            self._rename_item(old, new)
        created = [
            nodes[node_id]
            for node_id in nodes  # document order, so items stack like the file
            if node_id in change.added and node_id not in self._items
        ]
        for node in created:
            self._create_item(node)
        self._apply_lock(self._items[n.id] for n in created)
        wired = (change.wiring | change.added) & nodes.keys()
        for node_id in wired:
            self._sync_wires(node_id)
        for node_id in (change.moved | change.added) & nodes.keys():
            self._place(node_id)
        self._grow_scene(nodes[n].pos for n in (change.moved | change.added) & nodes.keys())
        painted = set(update.results) | change.params | {new for _, new in change.renamed}
        self._paint(node_id for node_id in painted if node_id in self._items)
        if change.removed or change.added or change.renamed:
            self._read_selection()
        if change.removed or change.added:
            self._update_hint()

    def _update_hint(self) -> None:
        """A graph of at most one node says how to go on; a larger one draws clean."""
        hint = START_HINT if len(self.document.graph.nodes) <= 1 else ""
        if hint != self.viewer.hint:
            self.viewer.hint = hint
            self.viewer.viewport().update()

    def _resync(self, ids: Iterable[str]) -> None:
        nodes = self.document.graph.nodes
        for node_id in ids:
            if node_id in nodes and node_id in self._items:
                self._sync_wires(node_id)
                self._place(node_id)

    def _rebuild(self) -> None:
        """Draw a new document from scratch (open, new, template, import)."""
        with QtCore.QSignalBlocker(self.graph):
            for item in list(self._items.values()):
                self.graph.remove_node(item, push_undo=False)
        self._items.clear()
        self._ids.clear()
        self._faces.clear()
        self._shown.clear()
        self._pastes = 0
        nodes = self.document.graph.nodes
        for node in nodes.values():
            self._create_item(node)
        for node_id in nodes:
            self._sync_wires(node_id)
        self._apply_lock(self._items.values())
        self._paint(nodes)
        self._grow_scene((n.pos for n in nodes.values()), fresh=True)
        self._routes, self._route_places = {}, {}
        layout = self.routed_layout()
        if layout is not None:
            self.adopt_layout(layout)
        self._update_hint()
        self._overview_on = False  # the new items are shown: hide them if far out
        self._follow_zoom()
        self.selection.set(())

    def _grow_scene(
        self, places: Iterable[tuple[float, float] | None], *, fresh: bool = False
    ) -> None:
        """Keep the scene's rectangle (its spatial index) around the graph with room to
        spare: grown when a node lands outside, fitted anew when a document opens."""
        points = [p for p in places if p is not None]
        if not points:
            return
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        needed = QtCore.QRectF(
            min(xs), min(ys), max(xs) - min(xs) + NODE_WIDTH, max(ys) - min(ys) + NODE_HEIGHT
        )
        if not fresh:
            if self._scene_rect.contains(needed):
                return
            needed = needed.united(self._scene_rect)
        margin = max(SCENE_MARGIN, 0.5 * max(needed.width(), needed.height()))
        self._scene_rect = needed.adjusted(-margin, -margin, margin, margin)
        scene = self.viewer.scene()
        scene.setSceneRect(self._scene_rect)
        # Qt picks the index depth from the item count, not the area: a long graph got
        # cells holding hundreds of nodes. Aim for cells a few nodes across.
        extent = max(self._scene_rect.width(), self._scene_rect.height())
        scene.setBspTreeDepth(min(16, max(6, 2 * round(math.log2(max(1.0, extent / BSP_CELL))))))

    def _create_item(self, node: Node) -> None:
        """A scene item for ``node`` (hidden while the overview is drawn)."""
        index = len(self._items)
        pos = node.pos if node.pos is not None else (index * 200.0, 0.0)
        with QtCore.QSignalBlocker(self.graph):
            item = self.graph.create_node(
                node_type_key(node.type), name=node.id, pos=list(pos), push_undo=False,
                selected=False,
            )  # fmt: skip
        if item.name() != node.id:  # NodeGraphQt made it "unique" against a stale item
            item.model.name = node.id
            item.view.name = node.id
        self._items[node.id] = item
        self._ids[str(item.id)] = node.id
        self._shown[node.id] = (float(pos[0]), float(pos[1]))
        if self._overview_on:
            item.view.setVisible(False)

    def _remove_item(self, node_id: str) -> None:
        item = self._items.pop(node_id, None)
        if item is None:
            return
        self._ids.pop(str(item.id), None)
        self._faces.pop(node_id, None)
        self._shown.pop(node_id, None)
        with QtCore.QSignalBlocker(self.graph):
            self.graph.remove_node(item, push_undo=False)

    def _rename_item(self, old: str, new: str) -> None:
        item = self._items.pop(old, None)
        if item is None:
            return
        self._items[new] = item
        self._ids[str(item.id)] = new
        item.model.name = new
        item.view.name = new
        face = self._faces.pop(old, None)
        if face is not None:
            self._faces[new] = face
        shown = self._shown.pop(old, None)
        if shown is not None:
            self._shown[new] = shown

    def _place(self, node_id: str) -> None:
        pos = self.document.graph.nodes[node_id].pos
        item = self._items[node_id]
        if pos is not None:
            self._shown[node_id] = (float(pos[0]), float(pos[1]))
            if tuple(item.view.xy_pos) != tuple(pos):
                item.view.xy_pos = [pos[0], pos[1]]
                item.model.pos = [pos[0], pos[1]]

    def _sync_wires(self, target: str) -> None:
        """Make the wires into ``target`` exactly its inputs in the document."""
        port = self._items[target].inputs().get(INPUT_PORT)
        if port is None:
            return
        wanted = [s for s in self.document.graph.nodes[target].inputs if s in self._items]
        shown = {self._ids[p.node().id]: p for p in port.connected_ports()}
        for source, out_port in shown.items():
            if source not in wanted:
                out_port.disconnect_from(port, push_undo=False, emit_signal=False)
        # Pipes the viewer removed while dragging are gone from the view but may linger
        # in the port's model: draw every wanted wire that has no pipe.
        piped = {
            self._ids.get(pipe.output_port.node.id)
            for pipe in port.view.connected_pipes
            if pipe.output_port is not None
        }
        for source in wanted:
            if source not in piped:
                if source in shown:
                    shown[source].disconnect_from(port, push_undo=False, emit_signal=False)
                out_port = self._items[source].get_output(OUTPUT_PORT)
                out_port.connect_to(port, push_undo=False, emit_signal=False)

    # ---- faces -------------------------------------------------------------------------
    def _paint(self, ids: Iterable[str]) -> None:
        results = self.document.report.results
        nodes = self.document.graph.nodes
        for node_id in ids:
            item = self._items.get(node_id)
            if item is not None and node_id in nodes:
                shown = face(nodes[node_id], results.get(node_id))
                self._faces[node_id] = shown
                item.view.set_face(shown)
