"""The editor's file commands: New, Open, Open Recent, Templates, Save, Export, Export Image.

A mixin of ``MainWindow`` so the window module stays about layout and wiring. Every
read and write goes through ``graph_io`` (YAML v1, code and ONNX export); a file that
fails to load shows the loader's message and leaves the open graph as it was. A new
document (open, new, template, import) goes through ``Document.replace``, which every
view follows, so nothing of the old model stays on screen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from app.export_files import write_export
from graph_io.layout import apply_layout
from graph_io.model import Graph
from graph_io.yaml_io import load_graph, save_graph
from nodes.errors import ConvasError

if TYPE_CHECKING:
    from app.gui.canvas import Canvas
    from app.gui.conv_panel import ConvPanel
    from app.gui.theme import ThemeSwitcher
    from app.gui.training_panel import TrainingPanel
    from graph_io.editing import Document

Button = QtWidgets.QMessageBox.StandardButton
RECENT_LIMIT = 10
PICTURE_TYPES = {"SVG picture (*.svg)": ".svg", "PNG image (*.png)": ".png"}


def picture_path(name: str, chosen_type: str) -> Path:
    """The picture file a save dialog's answer means: the typed name, given the chosen
    type's suffix unless it already ends in .svg or .png (a typed suffix wins)."""
    path = Path(name)
    if path.suffix.lower() in PICTURE_TYPES.values():
        return path
    return path.with_name(path.name + PICTURE_TYPES.get(chosen_type, ".svg"))


class FileCommands(QtWidgets.QMainWindow):
    """File menu behaviour; ``MainWindow`` provides the attributes declared here."""

    canvas: Canvas
    document: Document
    training: TrainingPanel
    conv_view: ConvPanel
    themes: ThemeSwitcher
    settings: QtCore.QSettings
    recent_menu: QtWidgets.QMenu
    viewer: Any

    if TYPE_CHECKING:  # provided by MainWindow

        @property
        def dirty(self) -> bool: ...

        @property
        def path(self) -> Path | None: ...

        def show_graph(self) -> None: ...

        def _update_title(self, *_args: object) -> None: ...

        def _action(
            self, menu: QtWidgets.QMenu, text: str, slot: Any, shortcut: Any = None
        ) -> Any: ...

    def maybe_save(self) -> bool:
        """True when it is fine to throw the current graph away."""
        if not self.dirty:
            return True
        answer = QtWidgets.QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save changes to {self.document.graph.name}?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def new_graph(self) -> None:
        if not self.maybe_save():
            return
        graph = Graph("untitled")
        graph.add_node("Input", "input", {}, [], (0, 0))
        self._load(graph, None)
        self.show_graph()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open graph", self._dialog_dir(), "Convas graphs (*.yaml *.yml)"
        )
        if name:
            self.open_file(name, ask=False)

    def open_template(self, stem: str) -> None:
        """A template from the package (so an installed wheel has them too): a new,
        unsaved graph."""
        if not self.maybe_save():
            return
        import resources
        from graph_io.yaml_io import loads_graph

        template = resources.templates()[stem]
        self._load(loads_graph(template.text(), f"{template.name}.yaml"), None)
        self.show_graph()

    def open_file(self, path: str | Path, *, ask: bool = True, as_template: bool = False) -> bool:
        """Load a file; on failure show the loader's message and keep the open graph."""
        if ask and not self.maybe_save():
            return False
        try:
            graph = load_graph(path)
        except ConvasError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot open graph", str(exc))
            return False
        self._load(graph, None if as_template else Path(path))
        if not as_template:
            self._remember(Path(path))
        self.show_graph()
        return True

    def _load(self, graph: Graph, path: Path | None, *, dirty: bool = False) -> None:
        """Show ``graph``; a file that leaves positions out (hand-written, generated)
        gets the layered layout, drawn as if it had been saved so."""
        if any(node.pos is None for node in graph.nodes.values()):
            apply_layout(graph, direction=self.canvas.direction)
        self.document.replace(graph, path, dirty=dirty)

    def _dialog_dir(self, name: str = "") -> str:
        """Where file dialogs open: beside the open file, else beside the last one opened
        (a template or an import has no file of its own)."""
        recent = self._recent()
        if self.path is not None:
            folder = self.path.parent
        elif recent:
            folder = Path(recent[0]).parent
        else:
            folder = Path.cwd()
        return str(folder / name) if name else str(folder)

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Save graph",
            self._dialog_dir(f"{self.document.graph.name}.yaml"),
            "Convas graphs (*.yaml)",
        )
        return self.save_to(Path(name)) if name else False

    def save_to(self, path: Path) -> bool:
        try:
            save_graph(self.document.graph, path)
        except OSError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot save", f"{path}: {exc.strerror}")
            return False
        self.document.mark_saved(path)
        self._remember(path)
        self._update_title()
        self.statusBar().showMessage(f"saved {path}", 4000)
        return True

    def export(self, kind: str) -> None:
        suffix = {"py": "PyTorch code (*.py)", "onnx": "ONNX (*.onnx)"}[kind]
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export", self._dialog_dir(f"{self.document.graph.name}.{kind}"), suffix
        )
        if name:
            self.export_to(kind, Path(name))

    def export_to(self, kind: str, path: Path) -> bool:
        """Export code or ONNX; trained (or imported) weights that fit the graph go
        along — embedded in ONNX, or beside the code as ``<name>.safetensors``."""
        graph = self.document.graph
        weights = self.conv_view.fitting_weights()
        try:
            write_export(graph, kind, path, weights)
        except ConvasError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot export", str(exc))
            return False
        except OSError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot export", f"{path}: {exc.strerror}")
            return False
        note = " with its weights" if weights is not None else " (initial weights)"
        self.statusBar().showMessage(f"exported {path}{note}", 6000)
        return True

    def save_weights_dialog(self) -> None:
        if self.conv_view.fitting_weights() is None:  # say so before asking for a name
            self._no_weights()
            return
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Save weights",
            self._dialog_dir(f"{self.document.graph.name}.safetensors"),
            "safetensors (*.safetensors)",
        )
        if name:
            self.save_weights_to(Path(name))

    def save_weights_to(self, path: Path) -> bool:
        """The last run's (or import's) weights as safetensors, with the input
        normalisation beside them so ``convas evaluate --weights`` sees what training saw."""
        weights = self.conv_view.fitting_weights()
        if weights is None:
            self._no_weights()
            return False
        from app.training.checkpoint import save_weights

        try:
            save_weights(
                weights, path, {"format": "convas-weights-1", "graph": self.document.graph.name}
            )
            last = self.training.last
            if last is not None and last.result.state is weights:
                stats = {**last.data.normalization.to_dict(), "classes": last.data.train.classes}
                path.with_name("normalization.json").write_text(
                    json.dumps(stats, indent=2) + "\n", encoding="utf-8"
                )
        except OSError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot save weights", f"{path}: {exc.strerror}")
            return False
        self.statusBar().showMessage(f"saved weights to {path}", 6000)
        return True

    def _no_weights(self) -> None:
        QtWidgets.QMessageBox.information(
            self,
            "No weights to save",
            "Train the model first (or import one): the "
            "graph has no trained weights that fit its current shape.",
        )

    def export_image(self) -> None:
        """File → Export Image…: the whole graph as SVG or PNG, beside the open file."""
        name, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Export image",
            self._dialog_dir(f"{self.document.graph.name}.svg"),
            ";;".join(PICTURE_TYPES),
        )
        if name:
            self.export_image_to(picture_path(name, chosen))

    def export_image_to(self, path: Path) -> bool:
        """Draw every node (not just the visible part) where it sits on the canvas, in
        the theme and layout direction in use, with ``convas render``'s drawing code.
        The file is written in one step: a failed write leaves an existing file as it
        was, and the status bar says why."""
        from app.gui.render import placed_layout, write_picture

        graph = self.document.graph
        try:
            layout = placed_layout(graph, self.canvas.direction)
            write_picture(graph, layout, self.themes.theme, path)
        except OSError as exc:
            self.statusBar().showMessage(
                f"cannot export the image to {path}: {exc.strerror or exc}", 10000
            )
            return False
        self.statusBar().showMessage(f"exported {path}: {len(graph.nodes)} nodes", 6000)
        return True

    # ---- import ----------------------------------------------------------------------
    def import_torch_dialog(self) -> None:
        """File → Import PyTorch model: pick a .py file, the model in it, its input."""
        if not self.maybe_save():
            return
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import a PyTorch model", self._dialog_dir(), "Python files (*.py)"
        )
        if not name:
            return
        from graph_io.torch_target import model_names

        try:
            names = model_names(name)
        except ConvasError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot import", str(exc))
            return
        if not names:
            QtWidgets.QMessageBox.critical(
                self,
                "Cannot import",
                f"{name} defines no nn.Module class, instance or function returning one",
            )
            return
        attr, ok = QtWidgets.QInputDialog.getItem(
            self, "Import a PyTorch model", "Model (class, instance or factory):", names, 0, False
        )
        if not ok:
            return
        guess = self._guess_shape(name, attr)
        shape, ok = QtWidgets.QInputDialog.getText(
            self,
            "Import a PyTorch model",
            "Input shape, channels×height×width"
            + (" (this model runs on the one shown):" if guess else ":"),
            text="x".join(map(str, guess)) if guess else "1x28x28",
        )
        if ok:
            self.import_torch(name, attr, shape)

    @staticmethod
    def _guess_shape(path: str | Path, attr: str) -> tuple[int, int, int] | None:
        from graph_io.input_guess import guess_input_shape
        from graph_io.torch_target import load_target

        try:
            model, _label = load_target(f"{path}:{attr}")
        except ConvasError:
            return None
        return guess_input_shape(model)

    def import_torch(self, path: str | Path, attr: str, shape: str) -> bool:
        """Trace ``attr`` from the .py file at ``path`` into a new, unsaved graph.

        The model's weights come along: the kernel view shows them until the graph
        changes shape. Every problem (unsupported layers, a wrong input shape) is shown
        as the importer words it, and the open graph stays as it was.
        """
        from graph_io.import_torch import import_module
        from graph_io.torch_target import load_target, parse_shape

        try:
            input_shape = parse_shape(shape)
            model, label = load_target(f"{path}:{attr}")
            result = import_module(model, input_shape, label=label)
        except ConvasError as exc:
            message = str(exc)
            guess = self._guess_shape(path, attr)
            if guess and "input failed" in message:
                message += f"\n\nThe model runs on a {'×'.join(map(str, guess))} input: try that."
            QtWidgets.QMessageBox.critical(self, "Cannot import", message)
            return False
        self._load(result.graph, None, dirty=True)  # not on disk yet: closing it asks
        self.conv_view.set_weights(result.weights, f"weights imported from {label}")
        self.show_graph()
        self.statusBar().showMessage(
            f"imported {label}: {len(result.graph.nodes)} nodes; outputs match the model "
            f"(largest difference {result.difference:.1e})",
            8000,
        )
        return True

    def _remember(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        self.settings.setValue("recent", recent[:RECENT_LIMIT])

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            self._action(self.recent_menu, path, lambda p=path: self.open_file(p))
