"""The training settings form, generated from ``TrainingConfig``'s fields.

Choices become combo boxes, bounded integers spin boxes, everything else a line
edit that pydantic validates as you type — the same validation the YAML loader and
the CLI use, so the form can never accept what a file would reject.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from PySide6 import QtCore, QtGui, QtWidgets

from app.training.datasets import BUILTIN_DATASETS
from graph_io.training_config import TrainingConfig

LABELS = {
    "lr": "Learning rate",
    "val_fraction": "Validation share",
    "batch_size": "Batch size",
    "weight_decay": "Weight decay",
    "path": "Data path",
    "samples": "Samples",
}


SPIN_MAX = 2**31 - 1
"""QSpinBox counts in a C int."""


def _bounds(info: FieldInfo) -> tuple[int | None, int | None]:
    low = high = None
    for meta in info.metadata:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    return low, high


class TrainingForm(QtWidgets.QWidget):
    """Emits ``changed`` after every edit; ``config()`` is None while a field is invalid."""

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QtWidgets.QWidget] = {}
        layout = QtWidgets.QFormLayout(self)
        layout.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, info in TrainingConfig.model_fields.items():
            editor = self._editor(name, info)
            editor.setToolTip(info.description or "")
            self.editors[name] = editor
            label = LABELS.get(name, name.replace("_", " ").capitalize())
            if name == "dataset":
                row = QtWidgets.QHBoxLayout()
                row.addWidget(editor, 1)
                # Words, not "…": the style sheet's padding cut a 28 px "…" to "."
                browse = QtWidgets.QPushButton("Browse…")
                browse.setToolTip("Choose an image folder, .npz or IDX file")
                browse.clicked.connect(self._browse)
                row.addWidget(browse)
                layout.addRow(label, row)
            else:
                layout.addRow(label, editor)
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d04040")
        layout.addRow(self.error)
        self.set_section(None)

    def _editor(self, name: str, info: FieldInfo) -> QtWidgets.QWidget:
        annotation = info.annotation
        if typing.get_origin(annotation) is typing.Literal:
            combo = QtWidgets.QComboBox()
            combo.addItems([str(a) for a in typing.get_args(annotation)])
            combo.currentTextChanged.connect(lambda _t: self._edited())
            return combo
        low, high = _bounds(info)
        if annotation is int and low is not None and (high or 0) <= SPIN_MAX and low >= -SPIN_MAX:
            spin = QtWidgets.QSpinBox()
            spin.setRange(int(low), int(high if high is not None else SPIN_MAX))
            spin.valueChanged.connect(lambda _v: self._edited())
            return spin
        if annotation is int:  # wider than a spin box can count (a 64-bit seed): digits
            digits = QtWidgets.QLineEdit()
            digits.setValidator(
                QtGui.QRegularExpressionValidator(QtCore.QRegularExpression("-?[0-9]*"))
            )
            digits.textChanged.connect(lambda _t: self._edited())
            return digits
        if name == "dataset":
            combo = QtWidgets.QComboBox()
            combo.setEditable(True)
            combo.addItems(sorted(BUILTIN_DATASETS))
            combo.currentTextChanged.connect(lambda _t: self._edited())
            return combo
        line = QtWidgets.QLineEdit()
        if info.default is None:
            line.setPlaceholderText("automatic")
        line.textChanged.connect(lambda _t: self._edited())
        return line

    # ---- values -------------------------------------------------------------------
    def set_section(self, section: dict[str, Any] | None) -> None:
        """Show a ``training:`` section (defaults for what it leaves out)."""
        try:
            config = TrainingConfig.from_section(section)
        except ValidationError:
            config = TrainingConfig.from_section(None)
        for name, editor in self.editors.items():
            value = getattr(config, name)
            editor.blockSignals(True)
            if isinstance(editor, QtWidgets.QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QtWidgets.QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QtWidgets.QLineEdit):
                editor.setText(
                    ""
                    if value is None
                    else f"{value:g}"
                    if isinstance(value, float)
                    else str(value)
                )
            editor.blockSignals(False)
        self._edited()

    def raw_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QtWidgets.QComboBox):
                values[name] = editor.currentText().strip()
            elif isinstance(editor, QtWidgets.QSpinBox):
                values[name] = editor.value()
            elif isinstance(editor, QtWidgets.QLineEdit) and editor.text().strip():
                values[name] = editor.text().strip()
        return values

    def config(self) -> TrainingConfig | None:
        try:
            return TrainingConfig.model_validate(self.raw_values(), strict=False)
        except ValidationError:
            return None

    def section(self) -> dict[str, Any] | None:
        """What the YAML ``training:`` section should hold: only non-default values."""
        config = self.config()
        if config is None:
            return None
        return config.model_dump(exclude_defaults=True) or None

    def _show_relevant(self) -> None:
        """Momentum means something only to SGD: hide it for Adam and AdamW."""
        optimizer = self.editors.get("optimizer")
        momentum = self.editors.get("momentum")
        if isinstance(optimizer, QtWidgets.QComboBox) and momentum is not None:
            layout = self.layout()
            assert isinstance(layout, QtWidgets.QFormLayout)
            layout.setRowVisible(momentum, optimizer.currentText() == "SGD")

    def set_value(self, name: str, value: Any) -> None:
        editor = self.editors[name]
        if isinstance(editor, QtWidgets.QComboBox):
            editor.setCurrentText(str(value))
        elif isinstance(editor, QtWidgets.QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QtWidgets.QLineEdit):
            editor.setText(str(value))

    def _edited(self) -> None:
        self._show_relevant()
        problems = []
        try:
            TrainingConfig.model_validate(self.raw_values(), strict=False)
        except ValidationError as exc:
            problems = [(str(e["loc"][0]), e["msg"]) for e in exc.errors()]
        bad = {name for name, _ in problems}
        for name, editor in self.editors.items():
            editor.setStyleSheet("background: #5a2a2a" if name in bad else "")
        self.error.setText(
            "\n".join(
                f"{LABELS.get(n, n.replace('_', ' ').capitalize())}: {m}" for n, m in problems
            )
        )
        self.changed.emit()

    def _browse(self) -> None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Dataset file", "", "Datasets (*.npz *ubyte *ubyte.gz);;All files (*)"
        )
        if not name:
            name = QtWidgets.QFileDialog.getExistingDirectory(
                self, "Image folder (one subfolder per class)"
            )
        if name:
            self.set_value("dataset", name)
