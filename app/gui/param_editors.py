"""Typed editors for layer parameters, one per ``ParamKind`` — never per layer.

Each editor emits ``edited(value)`` with the value in the form the registry's
``ParamSpec.coerce`` accepts, and ``set_value`` shows a value without emitting, so
the panel can follow undo and redo without echoing them back as new edits.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from nodes.spec import ParamKind, ParamSpec

INT_LIMIT = 2**31 - 1


class ParamEditor(QtWidgets.QWidget):
    """Base of the typed editors: a value in, ``edited`` out."""

    edited = QtCore.Signal(object)

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__()
        self.spec = spec
        self.layout_ = QtWidgets.QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self):
            self._show(value)

    def value(self) -> Any:
        raise NotImplementedError

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _emit(self, *_args: object) -> None:
        if not self.signalsBlocked():
            self.edited.emit(self.value())


def _spin(spec: ParamSpec, lowest: float | None = None) -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    low = spec.minimum if spec.minimum is not None else lowest
    box.setRange(
        int(low) if low is not None else -INT_LIMIT,
        int(spec.maximum) if spec.maximum is not None else INT_LIMIT,
    )
    box.setKeyboardTracking(False)  # apply on Enter/focus-out, not on every digit
    box.setAccelerated(True)
    return box


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.spin = _spin(spec)
        self.layout_.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def value(self) -> int:
        return int(self.spin.value())

    def _show(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(int(value))
        self.spin.blockSignals(False)


class FloatSpin(QtWidgets.QDoubleSpinBox):
    """Shows 1e-05 as ``1e-05`` and 0.1 as ``0.1``, not as 12 fixed decimals."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.10g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text)
        except ValueError:
            return float(self.value())

    def validate(self, text: str, pos: int) -> object:
        try:
            float(text)
        except ValueError:
            state = QtGui.QValidator.State.Intermediate
            return (state, text, pos)
        return (QtGui.QValidator.State.Acceptable, text, pos)


class FloatEditor(ParamEditor):
    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.spin = FloatSpin()
        self.spin.setDecimals(15)
        # Wider than the spec on purpose: a typed 1.5 for a rate reaches the
        # spec's check and is shown in red with the reason, instead of being
        # silently clamped to the maximum.
        self.spin.setRange(-1e12, 1e12)
        self.spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)
        self.layout_.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def value(self) -> float:
        return float(self.spin.value())

    def _show(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(float(value))
        self.spin.blockSignals(False)


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.check = QtWidgets.QCheckBox()
        self.layout_.addWidget(self.check)
        self.check.toggled.connect(self._emit)

    def value(self) -> bool:
        return bool(self.check.isChecked())

    def _show(self, value: Any) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(bool(value))
        self.check.blockSignals(False)


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.combo = QtWidgets.QComboBox()
        self.combo.addItems(list(spec.choices))
        self.layout_.addWidget(self.combo)
        self.combo.currentTextChanged.connect(self._emit)

    def value(self) -> str:
        return str(self.combo.currentText())

    def _show(self, value: Any) -> None:
        self.combo.blockSignals(True)
        self.combo.setCurrentText(str(value))
        self.combo.blockSignals(False)


class PairEditor(ParamEditor):
    """An int or ``[h, w]``: one spin while "square" is ticked, two otherwise."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.height_spin = _spin(spec)
        self.width_spin = _spin(spec)
        self.height_spin.setToolTip("height")
        self.width_spin.setToolTip("width")
        self.times = QtWidgets.QLabel("×")
        self.square = QtWidgets.QCheckBox("square")
        self.square.setToolTip("one value for height and width")
        for widget in (self.height_spin, self.times, self.width_spin, self.square):
            self.layout_.addWidget(widget)
        self.height_spin.valueChanged.connect(self._emit)
        self.width_spin.valueChanged.connect(self._emit)
        self.square.toggled.connect(self._on_square)

    def _on_square(self, square: bool) -> None:
        self._layout(square)
        if square:
            self.width_spin.blockSignals(True)
            self.width_spin.setValue(self.height_spin.value())
            self.width_spin.blockSignals(False)
        self._emit()

    def _layout(self, square: bool) -> None:
        self.times.setVisible(not square)
        self.width_spin.setVisible(not square)

    def value(self) -> int | list[int]:
        height = int(self.height_spin.value())
        if self.square.isChecked():
            return height
        return [height, int(self.width_spin.value())]

    def _show(self, value: Any) -> None:
        height, width = (value[0], value[1]) if isinstance(value, list | tuple) else (value, value)
        for widget, number in ((self.height_spin, height), (self.width_spin, width)):
            widget.blockSignals(True)
            widget.setValue(int(number))
            widget.blockSignals(False)
        self.square.blockSignals(True)
        self.square.setChecked(height == width)
        self.square.blockSignals(False)
        self._layout(height == width)


class PaddingEditor(ParamEditor):
    """None / Same / Explicit, with a spin for the explicit number of pixels."""

    MODES = ("None", "Same", "Explicit")

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.combo = QtWidgets.QComboBox()
        self.combo.addItems(list(self.MODES))
        self.combo.setItemData(
            0, "no padding: the output shrinks by kernel-1", QtCore.Qt.ItemDataRole.ToolTipRole
        )
        self.combo.setItemData(
            1,
            "pad so that the output keeps the input size (stride 1)",
            QtCore.Qt.ItemDataRole.ToolTipRole,
        )
        self.combo.setItemData(
            2, "pad every side by the number of pixels given", QtCore.Qt.ItemDataRole.ToolTipRole
        )
        self.spin = _spin(spec, lowest=0)
        self.spin.setMaximum(4096)
        self.layout_.addWidget(self.combo)
        self.layout_.addWidget(self.spin)
        self.combo.currentTextChanged.connect(self._on_mode)
        self.spin.valueChanged.connect(self._emit)

    def _on_mode(self, mode: str) -> None:
        self.spin.setEnabled(mode == "Explicit")
        self._emit()

    def value(self) -> str | int:
        mode = str(self.combo.currentText())
        return int(self.spin.value()) if mode == "Explicit" else mode

    def _show(self, value: Any) -> None:
        explicit = not isinstance(value, str)
        self.combo.blockSignals(True)
        self.combo.setCurrentText("Explicit" if explicit else str(value))
        self.combo.blockSignals(False)
        self.spin.blockSignals(True)
        self.spin.setValue(int(value) if explicit else 0)
        self.spin.blockSignals(False)
        self.spin.setEnabled(explicit)


EDITORS: dict[ParamKind, type[ParamEditor]] = {
    ParamKind.INT: IntEditor,
    ParamKind.FLOAT: FloatEditor,
    ParamKind.BOOL: BoolEditor,
    ParamKind.CHOICE: ChoiceEditor,
    ParamKind.INT_PAIR: PairEditor,
    ParamKind.PADDING: PaddingEditor,
}


def make_editor(spec: ParamSpec, value: Any) -> ParamEditor:
    """The editor for ``spec``'s kind, showing ``value``, with the spec's help as tooltip."""
    editor = EDITORS[spec.kind](spec)
    editor.set_value(value)
    editor.setToolTip(f"{spec.help}\nAllowed: {spec.describe_allowed()}.")
    return editor
