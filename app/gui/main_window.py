"""The editor window: canvas in the centre, palette, parameters, summary and help docks."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

import resources
from app.gui.canvas import Canvas
from app.gui.canvas_viewer import ZOOM_STEP
from app.gui.compare_overlay import CompareOverlay
from app.gui.conv_panel import ConvPanel
from app.gui.file_commands import FileCommands
from app.gui.idle_start import IdleStart
from app.gui.minimap import Minimap
from app.gui.panels import HelpView, Palette, ProblemsList, SummaryTable, status_text
from app.gui.param_panel import ParamPanel
from app.gui.results_panel import ResultsPanel
from app.gui.run_curves import RunCurves
from app.gui.runs_panel import RunsPanel
from app.gui.search_popup import SearchPopup
from app.gui.status_line import StatusLine
from app.gui.theme import ThemeSwitcher, app_icon
from app.gui.training_panel import TrainingPanel
from app.gui.view_state import EditLock, Selection
from app.training.warmup import start_background_warm_up
from graph_io.editing import Document, Update
from graph_io.layout import Direction
from graph_io.model import Graph

WARM_UP_DELAY_MS = 2000
MEMORY_SETTLE_MS = 300  # the memory estimate follows once edits pause this long
LAYOUT_VERSION = 1  # of the kept panel layout: raise it when the docks change


def scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """A dock's content in a scroll area, so no dock can force the window taller than
    the screen; the content still grows with the dock."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    return scroll


class MainWindow(FileCommands):
    """Lays out the canvas and docks and owns the menus; the document does the editing.

    The window holds one ``Document`` for its lifetime (opening a file replaces its
    content), a ``Selection`` and an ``EditLock``; every panel subscribes to those
    itself, so nothing here pushes state into panels after an edit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.document = Document(Graph("untitled"))
        self.selection = Selection(self)
        self.lock = EditLock(self)
        self.canvas = Canvas(self.document, self.selection, self.lock, self)
        self.settings = QtCore.QSettings("Convas", "Convas")
        self.viewer = self.canvas.viewer
        canvas_widget = self.canvas.graph.widget
        # NodeGraphQt styles every widget inside its canvas dark ("QWidget {…}"): the
        # layer search over the canvas came out black in the light theme. The window's
        # theme styles them instead; the canvas draws its own background.
        canvas_widget.setStyleSheet("")
        self.setCentralWidget(canvas_widget)
        self.layers = Palette()
        self.params = ParamPanel(self.document, self.selection, self.lock)
        self.summary = SummaryTable(self.document)
        self.problems = ProblemsList(self.document)
        self.help = HelpView(self.document, self.selection)
        layers_dock = self.add_dock(
            "Layers", self.layers, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.params_dock = self.add_dock(
            "Parameters", scrolling(self.params), QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.help_dock = self.add_dock(
            "Help", self.help, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        summary_dock = self.add_dock(
            "Summary", self.summary, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.problems_dock = self.add_dock(
            "Problems", self.problems, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.splitDockWidget(summary_dock, self.problems_dock, QtCore.Qt.Orientation.Horizontal)
        self.training = TrainingPanel(self.document, self.lock)
        self.results = ResultsPanel()
        self.conv_view = ConvPanel(self.document, self.selection)
        self.training_dock = self.add_dock(
            "Training", self.training, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.kernels_dock = self.add_dock(
            "Kernels / feature maps", self.conv_view, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.results_dock = self.add_dock(
            "Results", self.results, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.runs = RunsPanel()
        # Below the canvas, so the Training dock's curves stay in view beside it.
        self.runs_dock = self.add_dock(
            "Runs", self.runs, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.params_dock, self.training_dock)
        self.params_dock.raise_()
        self.tabifyDockWidget(self.problems_dock, self.results_dock)
        self.tabifyDockWidget(self.results_dock, self.kernels_dock)
        self.tabifyDockWidget(self.kernels_dock, self.runs_dock)
        self.help_dock.raise_()
        self.problems_dock.raise_()
        self.training.run_finished.connect(self._on_run_finished)
        self.training.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.comparison = CompareOverlay(self.canvas, self)
        self.compare_label = QtWidgets.QLabel()
        self.compare_label.hide()
        self.statusBar().addPermanentWidget(self.compare_label)
        self.comparison.changed.connect(self._on_comparison)
        self._wire_runs()
        self.resizeDocks(
            [layers_dock, self.params_dock, self.help_dock],
            [210, 420, 420],
            QtCore.Qt.Orientation.Horizontal,
        )
        self.resizeDocks([summary_dock], [230], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.params_dock, self.help_dock], [420, 160], QtCore.Qt.Orientation.Vertical
        )
        self._build_menus()
        self.document.subscribe(self._on_update)
        self.canvas.message.connect(self._on_canvas_message)
        self.selection.changed.connect(self._on_selection)
        self.lock.changed.connect(self._on_lock)
        self.layers.activated.connect(self.add_at_centre)
        self.problems.focus_node.connect(self.focus_node)
        self.viewer.viewport().installEventFilter(self)
        self.search = SearchPopup(self.viewer)
        self.search.chosen.connect(self._on_search_chosen)
        self.viewer.context_requested.connect(self._on_context)
        tab = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Tab), self.viewer)
        tab.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tab.activated.connect(self.open_search)
        self.setAcceptDrops(True)
        self.setWindowIcon(app_icon())
        self.resize(1500, 950)
        screen = QtGui.QGuiApplication.primaryScreen()
        if screen is not None:  # never larger than the screen it opens on
            room = screen.availableGeometry()
            self.resize(min(1500, room.width()), min(950, room.height()))
        self._restore_layout()
        # The graph's counts live in a label of the status bar, not in its message:
        # a message (saved, refused, training…) covers the label for a few seconds,
        # and the counts come back when it times out instead of leaving the bar empty.
        self.status_label = StatusLine()
        self.status_label.setObjectName("graphStatus")
        self.statusBar().addWidget(self.status_label, 1)
        self._memory_timer = QtCore.QTimer(self)
        self._memory_timer.setSingleShot(True)
        self._memory_timer.setInterval(MEMORY_SETTLE_MS)
        self._memory_timer.timeout.connect(self._show_memory)
        self._update_title()
        self._update_status()
        # Later than start-up and the first file, which would otherwise share the GIL
        # with it, and when the user pauses (the import can hold the window 0.2–0.6 s);
        # a run started before then starts the warm-up itself.
        self._warm_up = IdleStart(start_background_warm_up, after_ms=WARM_UP_DELAY_MS, parent=self)

    def _wire_runs(self) -> None:
        """The Runs dock: this graph's kept runs; open one's graph, load its weights for
        the kernel view, or resume it in the Training dock."""
        from app.training.checkpoint import read_weights
        from app.training.run_folder import plan_resume
        from nodes.errors import ConvasError

        def resume(path: object) -> None:
            try:
                self.training.resume(plan_resume(path))  # type: ignore[arg-type]
            except ConvasError as exc:
                self.statusBar().showMessage(str(exc), 8000)

        self.runs.set_graph(self.document.graph.name)
        self.training.run_finished.connect(lambda _f: self.runs.refresh())
        self.runs.open_graph_requested.connect(lambda p: self.open_file(p))
        self.runs.load_weights_requested.connect(
            lambda p: self.conv_view.set_weights(read_weights(p), f"weights of {p}")
        )
        self.runs.resume_requested.connect(resume)
        self.run_curves = RunCurves(self.training.curves)
        self.runs.curves_selected.connect(self._show_run_curves)
        self.runs.compare_requested.connect(self._compare_runs)

    def _compare_runs(self, paths: object) -> None:
        """Runs dock → Compare: one run against the open graph (marks on the canvas),
        two runs side by side (graph, settings and metrics)."""
        from app.gui.run_compare_dialog import show_run_comparison

        assert isinstance(paths, list)
        if len(paths) == 1:
            self.compare_with(paths[0])
        elif len(paths) == 2:
            show_run_comparison(self, paths[0], paths[1])

    def _show_run_curves(self, runs: object) -> None:
        """The selected runs' curves over the live ones, with the curves in view."""
        assert isinstance(runs, dict)
        self.run_curves.show(runs)
        if runs:
            self.training_dock.show()
            self.training_dock.raise_()
            self.training.pages.setCurrentWidget(self.training.curves)

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

    def _restore_layout(self) -> None:
        """The window's size and its panels as the user left them last time (a closed
        panel stays closed until View → Panels brings it back)."""
        if str(self.settings.value("window/layout_version")) != str(LAYOUT_VERSION):
            return  # none kept, or kept for docks this version does not have
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QtCore.QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QtCore.QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def _save_layout(self) -> None:
        self.settings.setValue("window/layout_version", LAYOUT_VERSION)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))

    @staticmethod
    def _app() -> QtWidgets.QApplication:
        app = QtWidgets.QApplication.instance()
        assert isinstance(app, QtWidgets.QApplication)
        return app

    @property
    def graph(self) -> Graph:
        return self.document.graph

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def dirty(self) -> bool:
        return self.document.dirty

    def _on_lock(self, locked: bool) -> None:
        """While a run has the graph locked, no menu or shortcut edits it."""
        self.layers.setEnabled(not locked)
        self.viewer.setAcceptDrops(not locked)
        for action in self.editing_actions:
            action.setEnabled(not locked)
        self._update_undo_actions()
        if locked:
            self.search.hide()
            self.statusBar().showMessage(self.lock.reason, 8000)

    def _on_canvas_message(self, text: str) -> None:
        """Feedback on a gesture; a refusal also goes to the Problems dock, in view."""
        self.statusBar().showMessage(text, 8000)
        if text.startswith(("refused", "not inserted")):
            self.problems.show_refusal(text)
            self.problems_dock.raise_()

    def undo(self) -> None:
        if not self.lock.locked:
            self.document.undo()

    def redo(self) -> None:
        if not self.lock.locked:
            self.document.redo()

    def _update_undo_actions(self) -> None:
        with contextlib.suppress(RuntimeError):  # the window is being deleted
            free = not self.lock.locked
            self.undo_action.setEnabled(self.document.can_undo and free)
            self.redo_action.setEnabled(self.document.can_redo and free)
            undo, redo = self.document.history.undo_label, self.document.history.redo_label
            self.undo_action.setText(f"&Undo {undo}".strip())
            self.redo_action.setText(f"&Redo {redo}".strip())

    def _on_run_finished(self, finished: object) -> None:
        self.results.show_run(finished)  # type: ignore[arg-type]
        self.conv_view.set_trained(finished)  # type: ignore[arg-type]
        self.results_dock.show()
        self.results_dock.raise_()

    def _on_update(self, update: Update) -> None:
        if update.change.replaced:
            self.results.forget()
            self.runs.set_graph(self.document.graph.name)
        self._update_title()
        self._update_undo_actions()
        if update.results or update.change.structural:
            self._update_status()

    def _update_status(self) -> None:
        """Counts, output and validity now; the training-memory estimate once edits
        pause (it walks the whole graph, which typing must not wait for)."""
        report = self.document.report
        self.status_label.setText(status_text(report, len(self.document.graph.nodes)))
        self._memory_timer.start()

    def _show_memory(self) -> None:
        """What one training step needs in memory at the Training dock's batch size
        (``graph_io.train_memory``), after the counts in the status bar."""
        from graph_io.train_memory import bytes_text, estimate_with_settings

        memory = estimate_with_settings(self.document.graph, self.document.report)
        if memory is None:
            return
        counts = status_text(self.document.report, len(self.document.graph.nodes))
        note = self.training.memory
        note.refresh()  # now, so that whether it fits is about this graph
        too_much = "" if note.fits else " — more than the RAM free (see Training)"
        self.status_label.setText(
            f"{counts} · training needs ≈ {bytes_text(memory.total)} at batch "
            f"{memory.batch_size}{too_much}"
        )

    def _update_title(self, *_args: object) -> None:
        path = self.document.path
        name = path.name if path else f"{self.document.graph.name} (unsaved)"
        self.setWindowTitle(f"{name}{'*' if self.dirty else ''} — Convas")

    def _on_selection(self, ids: tuple[str, ...]) -> None:
        """Choosing one node brings its parameters forward (over Training)."""
        if len(ids) == 1 and not self.training.running:
            self.params_dock.raise_()

    def select(self, node_id: str) -> None:
        self.canvas.select([node_id])

    def focus_node(self, node_id: str) -> None:
        if self.canvas.node(node_id) is None:
            return
        self.select(node_id)
        self.canvas.graph.center_on([self.canvas.node(node_id)])

    def add_at_centre(self, layer: str, params: object = None) -> None:
        centre = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        preset = dict(params) if isinstance(params, dict) else None
        self.canvas.add_layer(layer, (centre.x(), centre.y()), preset)

    def open_search(self) -> None:
        """The type-to-search box at the cursor (or the view's centre)."""
        if self.lock.locked:
            self.statusBar().showMessage(self.lock.reason, 8000)
            return
        pos = self.viewer.mapFromGlobal(QtGui.QCursor.pos())
        if not self.viewer.rect().contains(pos):
            pos = self.viewer.rect().center()
        self.search.open_at(pos, self.viewer.mapToScene(pos))

    def _on_search_chosen(self, layer: str, scene_pos: QtCore.QPointF) -> None:
        """The searched layer where the search opened; over a wire, into the wire."""
        self.canvas.add_layer(layer, (scene_pos.x(), scene_pos.y()), into_wire=True)

    def _on_context(
        self, item: QtWidgets.QGraphicsItem | None, point: QtCore.QPointF, screen: QtCore.QPoint
    ) -> None:
        """Right-click: what can be done with the node, wire or empty spot clicked."""
        kind, target = self.canvas.context_target(item, point)
        menu = QtWidgets.QMenu(self)
        view_pos = self.viewer.mapFromGlobal(screen)
        locked = self.lock.locked
        if kind == "node":
            if target not in self.selection.ids:
                self.select(target)
            for action in self.node_menu_actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        elif kind == "wire":
            source, end = target
            insert = self._action(
                menu, "Insert Layer Here…", lambda: self.search.open_at(view_pos, point)
            )
            remove = self._action(
                menu, f"Delete Wire {source} → {end}", lambda: self.canvas.remove_wire(source, end)
            )
            insert.setEnabled(not locked)
            remove.setEnabled(not locked)
        else:
            # "\tTab" shows the key beside the entry without making it a second shortcut
            add = self._action(
                menu, "Add Layer…\tTab", lambda: self.search.open_at(view_pos, point)
            )
            add.setEnabled(not locked)
            menu.addSeparator()
            for action in self.canvas_menu_actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        self.context_menu = menu  # kept for tests, which read it while it is open
        menu.exec(screen)

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
        for template in resources.templates().values():
            self._action(templates, template.title, lambda s=template.name: self.open_template(s))
        editing += [self.recent_menu.menuAction(), templates.menuAction()]
        file.addSeparator()
        self._action(file, "&Save", self.save, keys.Save)
        self._action(file, "Save &As…", self.save_as, keys.SaveAs)
        editing.append(self._action(file, "&Import PyTorch Model…", self.import_torch_dialog))
        export = file.addMenu("&Export")
        self._action(export, "YAML…", self.save_as)
        self._action(export, "PyTorch code…", lambda: self.export("py"))
        self._action(export, "ONNX…", lambda: self.export("onnx"))
        self._action(file, "Export &Image…", self.export_image)
        file.addSeparator()
        self._action(file, "&Quit", self.close, keys.Quit)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.undo, keys.Undo)
        self.redo_action = self._action(edit, "&Redo", self.redo)
        self.redo_action.setShortcuts(
            [QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")]
        )
        edit.addSeparator()
        canvas = self.canvas
        cut = self._action(edit, "Cu&t", canvas.cut_selected, keys.Cut)
        copy = self._action(edit, "&Copy", canvas.copy_selected, keys.Copy)
        paste = self._action(edit, "&Paste", canvas.paste, keys.Paste)
        duplicate = self._action(edit, "&Duplicate", canvas.duplicate_selected, "Ctrl+D")
        editing.extend([cut, paste, duplicate])
        delete = self._action(edit, "De&lete", canvas.delete_selected)
        delete.setShortcuts(
            [QtGui.QKeySequence(QtCore.Qt.Key.Key_Delete), QtGui.QKeySequence("Backspace")]
        )
        editing.append(delete)
        reconnect = self._action(edit, "Delete and &Reconnect", canvas.delete_selected_reconnecting)
        reconnect.setShortcuts(
            [QtGui.QKeySequence("Ctrl+Delete"), QtGui.QKeySequence("Ctrl+Backspace")]
        )
        editing.append(reconnect)
        rename = self._action(edit, "Re&name…", self.rename_selected, "F2")
        editing.append(rename)
        select_all = self._action(
            edit, "Select &All", lambda: canvas.select(self.document.graph.nodes), keys.SelectAll
        )
        edit.addSeparator()
        lay_out = self._action(edit, "Auto &Layout", self.auto_layout, "Ctrl+L")
        editing.append(lay_out)
        self.fit_action = self._action(edit, "&Fit to View", self.fit, "F")
        self.editing_actions = editing
        self._update_undo_actions()
        run = bar.addMenu("&Training")
        self._action(run, "&Start Training", self.start_training, "Ctrl+R")
        self._action(run, "S&top Training", self.training.stop, "Ctrl+.")
        run.addSeparator()
        self._action(run, "Save &Weights…", self.save_weights_dialog)
        view = bar.addMenu("&View")
        self.themes = ThemeSwitcher(self._app(), self.settings, self)
        self.themes.add_menu(view.addMenu("&Theme"))
        self.canvas.set_theme(self.themes.theme)
        self.themes.changed.connect(self.canvas.set_theme)
        self.minimap = Minimap(self.document, self.viewer, self.themes.theme)
        self.themes.changed.connect(self.minimap.set_theme)
        directions = view.addMenu("Layout &Direction")
        group = QtGui.QActionGroup(directions)
        for direction, text in ((Direction.TB, "&Top to Bottom"), (Direction.LR, "&Left to Right")):
            action = directions.addAction(text)
            action.setCheckable(True)
            action.setChecked(direction is self.canvas.direction)
            action.triggered.connect(lambda _c=False, d=direction: self.set_direction(d))
            group.addAction(action)
        view.addSeparator()
        viewer = self.viewer
        zoom_in = self._action(
            view, "Zoom &In", lambda: viewer.zoom_to(viewer.scale_factor() * ZOOM_STEP)
        )
        zoom_in.setShortcuts([QtGui.QKeySequence("Ctrl+="), QtGui.QKeySequence("Ctrl++")])
        self._action(
            view,
            "Zoom &Out",
            lambda: viewer.zoom_to(viewer.scale_factor() / ZOOM_STEP),
            "Ctrl+-",
        )
        self._action(view, "&Actual Size", lambda: viewer.zoom_to(1.0), "Ctrl+0")
        view.addAction(self.fit_action)
        panels = view.addMenu("&Panels")
        for dock in self.findChildren(QtWidgets.QDockWidget):
            panels.addAction(dock.toggleViewAction())  # a closed panel comes back here
        view.addSeparator()
        self._action(view, "&Compare With…", self.compare_dialog)
        self.clear_comparison = self._action(view, "C&lear Comparison", self.comparison.clear)
        self.clear_comparison.setEnabled(False)
        help_menu = bar.addMenu("&Help")
        layer_help = self._action(help_menu, "Layer Help", self.show_help, "F1")
        # The right-click menus offer the same actions (their shortcuts shown beside).
        self.node_menu_actions = [
            layer_help,
            rename,
            None,
            cut,
            copy,
            duplicate,
            None,
            delete,
            reconnect,
        ]
        self.canvas_menu_actions = [paste, select_all, None, lay_out, self.fit_action]

    def compare_dialog(self) -> None:
        """Choose a graph file, or a run's ``graph.yaml``, to compare the open graph with."""
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Compare with graph or run", self._dialog_dir(), "Convas graphs (*.yaml *.yml)"
        )
        if name:
            self.compare_with(Path(name))

    def compare_with(self, path: Path) -> None:
        """Mark on the canvas how the open graph differs from a file or a run folder."""
        from nodes.errors import ConvasError

        try:
            self.comparison.compare_with(path)
        except ConvasError as exc:
            self.statusBar().showMessage(f"cannot compare: {exc}", 8000)

    def _on_comparison(self, summary: str) -> None:
        self.compare_label.setText(f"Comparing: {summary}" if summary else "")
        self.compare_label.setVisible(bool(summary))
        self.clear_comparison.setEnabled(bool(summary))

    def start_training(self) -> None:
        self.training_dock.show()
        self.training_dock.raise_()
        self.training.start()

    def rename_selected(self) -> None:
        """F2: type the selected node's new id in the Parameters panel's Id field;
        Enter renames it (one step) and gives the keyboard back to the canvas."""
        if len(self.selection.ids) != 1:
            self.statusBar().showMessage("select one node to rename it", 4000)
            return
        field = self.params.editors.get("id")
        if not isinstance(field, QtWidgets.QLineEdit):
            return
        self.params_dock.show()
        self.params_dock.raise_()
        field.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()
        self._renaming = True
        if not field.property("convasRenameHook"):  # once per field
            field.setProperty("convasRenameHook", True)
            field.returnPressed.connect(self._after_rename)

    def _after_rename(self) -> None:
        if getattr(self, "_renaming", False):
            self._renaming = False
            self.viewer.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def show_help(self) -> None:
        self.help_dock.show()
        self.help_dock.raise_()

    def auto_layout(self) -> None:
        """Layers along the chosen direction, branches side by side, skip wires routed
        round the nodes (``graph_io.layout``, the layout imports get); one undo step."""
        self.canvas.lay_out()
        self.canvas.frame(readable=True)

    def set_direction(self, direction: Direction) -> None:
        """View → Layout Direction: turn the ports and lay the graph out again."""
        self.canvas.lay_out(direction)
        self.canvas.frame(readable=True)

    def fit(self) -> None:
        """F: the whole graph in view, however small."""
        self.canvas.frame(readable=False)

    def show_graph(self) -> None:
        """After opening: the whole graph if its text stays readable, else the part
        around its Input (the minimap shows the rest)."""
        self.canvas.frame(readable=True)

    # ---- events --------------------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Dropping .yaml files on the canvas opens them (NodeGraphQt would import JSON);
        double-click on empty canvas opens the layer search there."""
        if event.type() == QtCore.QEvent.Type.MouseButtonDblClick and not self.lock.locked:
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
            self._save_layout()
            event.accept()
        else:
            event.ignore()
