"""The editor window: canvas in the centre, palette, parameters, summary and help docks."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui.canvas import Canvas
from app.gui.conv_panel import ConvPanel
from app.gui.file_commands import TEMPLATES, FileCommands
from app.gui.node_classes import layer_type
from app.gui.panels import Palette, ProblemsList, SummaryTable, help_html, status_text
from app.gui.param_panel import ParamPanel
from app.gui.results_panel import ResultsPanel
from app.gui.search_popup import SearchPopup
from app.gui.training_panel import TrainingPanel
from app.training.warmup import start_background_warm_up
from graph_io.layout import layout_positions
from graph_io.model import Graph
from graph_io.shapes import Report

WARM_UP_DELAY_MS = 2000


def scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """A dock's content in a scroll area, so no dock can force the window taller than
    the screen; the content still grows with the dock."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    return scroll


class MainWindow(FileCommands):
    graph_changed = QtCore.Signal(object)  # Report

    def __init__(self) -> None:
        super().__init__()
        self.canvas = Canvas(self)
        self._tables_pending = False
        self.path: Path | None = None
        self.settings = QtCore.QSettings("Convas", "Convas")
        self.viewer = self.canvas.graph.viewer()
        self.setCentralWidget(self.canvas.graph.widget)
        self.layers = Palette()
        self.params = ParamPanel(self.canvas)
        self.summary = SummaryTable()
        self.problems = ProblemsList()
        self.help = QtWidgets.QTextBrowser()
        self.help.setHtml(help_html(None))
        layers_dock = self.add_dock(
            "Layers", self.layers, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
        )
        params_dock = self.add_dock(
            "Parameters", scrolling(self.params), QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.help_dock = self.add_dock(
            "Help", self.help, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        summary_dock = self.add_dock(
            "Summary", self.summary, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        problems_dock = self.add_dock(
            "Problems", self.problems, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.splitDockWidget(summary_dock, problems_dock, QtCore.Qt.Orientation.Horizontal)
        self._extra_dirty = False  # edits outside the undo stack (training settings)
        self.training = TrainingPanel(self)
        self.results = ResultsPanel()
        self.conv_view = ConvPanel(self)
        self.training_dock = self.add_dock(
            "Training", self.training, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.kernels_dock = self.add_dock(
            "Kernels / feature maps", self.conv_view, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.results_dock = self.add_dock(
            "Results", self.results, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(params_dock, self.training_dock)
        params_dock.raise_()
        self.tabifyDockWidget(problems_dock, self.results_dock)
        self.tabifyDockWidget(self.results_dock, self.kernels_dock)
        self.help_dock.raise_()
        problems_dock.raise_()
        self.training.run_finished.connect(self._on_run_finished)
        self.resizeDocks(
            [layers_dock, params_dock, self.help_dock],
            [210, 420, 420],
            QtCore.Qt.Orientation.Horizontal,
        )
        self.resizeDocks([summary_dock], [230], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([params_dock, self.help_dock], [420, 160], QtCore.Qt.Orientation.Vertical)
        self._can_undo = False  # the undo stack's state, as its signals last said
        self._can_redo = False
        self._build_menus()
        self.canvas.changed.connect(self._on_changed)
        self.canvas.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.canvas.graph.node_selection_changed.connect(lambda *_: self._on_selection())
        self._clean = True
        self.canvas.graph.undo_stack().cleanChanged.connect(self._on_clean_changed)
        self.layers.activated.connect(self.add_at_centre)
        self.problems.focus_node.connect(self.focus_node)
        self.viewer.viewport().installEventFilter(self)
        self.search = SearchPopup(self.viewer)
        self.search.chosen.connect(self._on_search_chosen)
        tab = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Tab), self.viewer)
        tab.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tab.activated.connect(self.open_search)
        self.setAcceptDrops(True)
        self.resize(1500, 950)
        screen = QtGui.QGuiApplication.primaryScreen()
        if screen is not None:  # never larger than the screen it opens on
            room = screen.availableGeometry()
            self.resize(min(1500, room.width()), min(950, room.height()))
        self.canvas.refresh()
        self.training.load_section()
        self._update_title()
        # Later than start-up and the first file, which would otherwise share the GIL
        # with it; a run started before then starts the warm-up itself.
        QtCore.QTimer.singleShot(WARM_UP_DELAY_MS, start_background_warm_up)

    # ---- docks and state -------------------------------------------------------
    def add_dock(
        self, title: str, widget: QtWidgets.QWidget, area: QtCore.Qt.DockWidgetArea
    ) -> QtWidgets.QDockWidget:
        """Add a dock; the training views use this too."""
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def set_read_only(self, locked: bool) -> None:
        """Lock the graph (e.g. while training): no edits from canvas or panel."""
        self.canvas.read_only = locked
        self.viewer.setInteractive(not locked)
        self.params.setEnabled(not locked)
        self.layers.setEnabled(not locked)
        self.viewer.setAcceptDrops(not locked)
        for action in self.editing_actions:
            action.setEnabled(not locked)
        self._update_undo_actions()
        if locked:
            self.search.hide()

    def _undo(self) -> None:
        if not self.canvas.read_only:
            self.canvas.graph.undo_stack().undo()

    def _redo(self) -> None:
        if not self.canvas.read_only:
            self.canvas.graph.undo_stack().redo()

    def _update_undo_actions(self, undo: bool | None = None, redo: bool | None = None) -> None:
        # The stack's state is remembered from its signals: while Qt tears the window
        # down the stack or the actions may already be gone.
        if undo is not None:
            self._can_undo = undo
        if redo is not None:
            self._can_redo = redo
        with contextlib.suppress(RuntimeError):
            self.undo_action.setEnabled(self._can_undo and not self.canvas.read_only)
            self.redo_action.setEnabled(self._can_redo and not self.canvas.read_only)

    def _label_undo(self, verb: str, text: str) -> None:
        action = self.undo_action if verb == "Undo" else self.redo_action
        with contextlib.suppress(RuntimeError):  # the window is being deleted
            action.setText(f"&{verb} {text}".strip())

    @property
    def graph(self) -> Graph:
        return self.canvas.core

    @property
    def dirty(self) -> bool:
        return not self._clean or self._extra_dirty

    def set_training_section(self, section: dict[str, Any] | None) -> None:
        """Store the Training dock's settings in the document (saved as ``training:``)."""
        self.canvas.training = section
        self._extra_dirty = True
        self.canvas.refresh()
        self._update_title()

    def _on_run_finished(self, finished: object) -> None:
        self.results.show_run(finished)  # type: ignore[arg-type]
        self.conv_view.set_trained(finished)  # type: ignore[arg-type]
        self.results_dock.show()
        self.results_dock.raise_()

    def _on_clean_changed(self, clean: bool) -> None:
        # Remembered from the signal: the stack may already be gone while Qt tears
        # the window down, and asking it then would crash.
        self._clean = clean
        self._update_title()

    def _on_changed(self, report: object) -> None:
        assert isinstance(report, Report)
        # Node faces are already updated; the table can follow a moment later, once
        # per burst of edits, so typing in the panel stays within a frame.
        if not self._tables_pending:
            self._tables_pending = True
            QtCore.QTimer.singleShot(0, self._update_tables)
        self.statusBar().showMessage(status_text(report, len(self.canvas.core.nodes)))
        if self.params.node_id not in self.canvas.core.nodes:
            self.params.show_node(None)
        else:
            self.params.follow()
        self._update_title()
        try:
            self.training.check_input()
            self.conv_view.schedule()
        except RuntimeError:  # Qt is deleting the docks: the window is going away
            return
        self.graph_changed.emit(report)

    def _update_tables(self) -> None:
        self._tables_pending = False
        self.summary.show_report(self.canvas.report)
        self.problems.show_report(self.canvas.report)

    def _update_title(self, *_args: object) -> None:
        name = self.path.name if self.path else f"{self.canvas.name} (unsaved)"
        self.setWindowTitle(f"{name}{'*' if self.dirty else ''} — Convas")

    def _on_selection(self) -> None:
        selected = self.canvas.graph.selected_nodes()
        node_id = selected[0].name() if len(selected) == 1 else None
        if node_id != self.params.node_id:
            self.params.show_node(node_id)
        self.help.setHtml(help_html(layer_type(selected[0]) if len(selected) == 1 else None))
        self.conv_view.show_node(node_id)

    def select(self, node_id: str) -> None:
        self.canvas.graph.clear_selection()
        self.canvas.node(node_id).set_selected(True)
        self._on_selection()

    def focus_node(self, node_id: str) -> None:
        if self.canvas.node(node_id) is None:
            return
        self.select(node_id)
        self.canvas.graph.center_on([self.canvas.node(node_id)])

    def add_at_centre(self, layer: str) -> None:
        if self.canvas.read_only:
            return
        centre = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        self.canvas.add_layer(layer, (centre.x(), centre.y()))

    def open_search(self) -> None:
        """The type-to-search box at the cursor (or the view's centre)."""
        if self.canvas.read_only:
            return
        pos = self.viewer.mapFromGlobal(QtGui.QCursor.pos())
        if not self.viewer.rect().contains(pos):
            pos = self.viewer.rect().center()
        self.search.open_at(pos, self.viewer.mapToScene(pos))

    def _on_search_chosen(self, layer: str, scene_pos: QtCore.QPointF) -> None:
        if not self.canvas.read_only:
            node = self.canvas.add_layer(layer, (scene_pos.x(), scene_pos.y()))
            self.select(node.name())

    # ---- menus -------------------------------------------------------------------
    def _action(
        self, menu: QtWidgets.QMenu, text: str, slot: Any, shortcut: Any = None
    ) -> QtGui.QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        keys = QtGui.QKeySequence.StandardKey
        bar = self.menuBar()
        file = bar.addMenu("&File")
        # What must not run while a training run has the graph locked.
        editing: list[QtGui.QAction] = []
        editing.append(self._action(file, "&New", self.new_graph, keys.New))
        editing.append(self._action(file, "&Open…", self.open_dialog, keys.Open))
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        templates = file.addMenu("&Templates")
        for title, stem in TEMPLATES.items():
            self._action(templates, title, lambda s=stem: self.open_template(s))
        editing += [self.recent_menu.menuAction(), templates.menuAction()]
        file.addSeparator()
        self._action(file, "&Save", self.save, keys.Save)
        self._action(file, "Save &As…", self.save_as, keys.SaveAs)
        editing.append(self._action(file, "&Import PyTorch Model…", self.import_torch_dialog))
        export = file.addMenu("&Export")
        self._action(export, "YAML…", self.save_as)
        self._action(export, "PyTorch code…", lambda: self.export("py"))
        self._action(export, "ONNX…", lambda: self.export("onnx"))
        self._action(export, "Canvas image (PNG)…", self.export_png)
        file.addSeparator()
        self._action(file, "&Quit", self.close, keys.Quit)
        edit = bar.addMenu("&Edit")
        stack = self.canvas.graph.undo_stack()
        self.undo_action = self._action(edit, "&Undo", self._undo, keys.Undo)
        self.redo_action = self._action(edit, "&Redo", self._redo)
        self.redo_action.setShortcuts(
            [QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")]
        )
        stack.undoTextChanged.connect(lambda text: self._label_undo("Undo", text))
        stack.redoTextChanged.connect(lambda text: self._label_undo("Redo", text))
        stack.canUndoChanged.connect(lambda can: self._update_undo_actions(undo=can))
        stack.canRedoChanged.connect(lambda can: self._update_undo_actions(redo=can))
        edit.addSeparator()
        g = self.canvas.graph
        self._action(edit, "&Copy", g.copy_nodes, keys.Copy)
        editing.append(self._action(edit, "&Paste", g.paste_nodes, keys.Paste))
        editing.append(
            self._action(
                edit, "&Duplicate", lambda: g.duplicate_nodes(g.selected_nodes()), "Ctrl+D"
            )
        )
        editing.append(
            self._action(
                edit,
                "De&lete",
                lambda: g.delete_nodes(g.selected_nodes()),
                QtGui.QKeySequence(QtCore.Qt.Key.Key_Delete),
            )
        )
        self._action(edit, "Select &All", g.select_all, keys.SelectAll)
        edit.addSeparator()
        editing.append(self._action(edit, "Auto &Layout", self.auto_layout, "Ctrl+L"))
        self._action(edit, "&Fit to View", self.fit, "F")
        self.editing_actions = editing
        self._update_undo_actions()
        run = bar.addMenu("&Training")
        self._action(run, "&Start Training", self.start_training, "Ctrl+R")
        self._action(run, "S&top Training", self.training.stop, "Ctrl+.")
        run.addSeparator()
        self._action(run, "Save &Weights…", self.save_weights_dialog)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Layer Help", self.show_help, "F1")

    def start_training(self) -> None:
        self.training_dock.show()
        self.training_dock.raise_()
        self.training.start()

    def show_help(self) -> None:
        self.help_dock.show()
        self.help_dock.raise_()

    def auto_layout(self) -> None:
        """Left-to-right columns by depth, a lane per branch (``graph_io.layout``, the
        same layout imported models get); one undo step."""
        if self.canvas.read_only or not self.graph.nodes:
            return
        stack = self.canvas.graph.undo_stack()
        stack.beginMacro("auto layout")
        try:
            for node_id, (x, y) in layout_positions(self.graph).items():
                self.canvas.node(node_id).set_pos(x, y)
        finally:
            stack.endMacro()
        self.canvas.refresh()
        self.fit()

    def fit(self) -> None:
        """Fit every node in view (NodeGraphQt's own fit groups items: slow for 500)."""
        items = [n.view for n in self.canvas.graph.all_nodes()]
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        rect = rect.adjusted(-60, -60, 60, 60)
        self.viewer.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])
        self.viewer.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    # ---- events --------------------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Dropping .yaml files on the canvas opens them (NodeGraphQt would import JSON);
        double-click on empty canvas opens the layer search there."""
        if event.type() == QtCore.QEvent.Type.MouseButtonDblClick and not self.canvas.read_only:
            assert isinstance(event, QtGui.QMouseEvent)
            pos = event.position().toPoint()
            if not self.viewer.items(pos):
                viewer_pos = self.viewer.viewport().mapTo(self.viewer, pos)
                self.search.open_at(viewer_pos, self.viewer.mapToScene(pos))
                return True
        if event.type() in (QtCore.QEvent.Type.DragEnter, QtCore.QEvent.Type.Drop):
            mime = event.mimeData()  # type: ignore[attr-defined]
            files = (
                [
                    u.toLocalFile()
                    for u in mime.urls()
                    if u.toLocalFile().endswith((".yaml", ".yml"))
                ]
                if mime.hasUrls()
                else []
            )
            if files:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if event.type() == QtCore.QEvent.Type.Drop:
                    self.open_file(files[0])
                return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        if self.maybe_save():
            self.training.shutdown()
            event.accept()
        else:
            event.ignore()
