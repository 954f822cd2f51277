"""Frozen declarations of layer types and their parameters.

A layer is declared once (``LayerSpec``) and everything else — GUI node classes,
property editors, YAML validation, shape inference, compilation, docs — is derived
from it. The spec holds plain data and small pure functions so that shape inference
can run on every edit without touching torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from nodes.errors import ParamError

if TYPE_CHECKING:
    from torch import nn

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension, e.g. ``(6, 28, 28)``."""

ParamValue = int | float | bool | str | list[int] | None
Params = Mapping[str, Any]
_N = TypeVar("_N", int, float)


class FaceShow(StrEnum):
    """When a node's face shows a parameter (``graph_io.faces`` applies it)."""

    ALWAYS = "always"
    CHANGED = "changed"  # only when the value differs from the default
    NEVER = "never"


@dataclass(frozen=True)
class FaceHint:
    """How a node's face shows one parameter, when the rule for its kind is not enough.

    Faces are derived from the registry, so a new layer gets a readable face without
    GUI code: numbers, pairs, choices and padding show always, floats and booleans only
    when changed (``graph_io.faces``). A hint adjusts that: ``show`` overrides when,
    ``fmt`` is a format with ``{value}``, ``{short}`` (a square pair as one number)
    and ``{label}`` (``" /{short}"`` for a stride), ``hide`` lists values not worth a
    word (a stride of 1), and ``attach`` glues the part to the previous one
    (``3×3 /2``) instead of separating it with ``·``.
    """

    show: FaceShow | None = None
    fmt: str = ""
    hide: tuple[ParamValue, ...] = ()
    attach: bool = False


HIDDEN_FACE = FaceHint(show=FaceShow.NEVER)
"""Leave the parameter off the face (a bias switch, an input's size shown as its shape)."""
STRIDE_FACE = FaceHint(fmt=" /{short}", hide=(1,), attach=True)
"""A stride right after its kernel, omitted when 1: ``3×3 /2``."""


class ParamKind(StrEnum):
    """How a parameter's value is written in YAML and edited in the GUI."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    INT_PAIR = "int_pair"  # an int or [h, w]
    PADDING = "padding"  # "None", "Same" or an int >= 0


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer: its name, type, default, allowed values and help."""

    name: str
    kind: ParamKind
    default: ParamValue
    help: str
    title: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    face: FaceHint | None = None
    optional: bool = False
    """Written to YAML only when it differs from ``default``.

    Settings most graphs leave alone (a Conv2D's dilation, a LeakyReLU slope) stay
    out of the files, so files written before the setting existed read the same as
    files written after, and a typical node stays one short line.
    """
    only_when: tuple[str, tuple[str, ...]] | None = None
    """``(other parameter, its values)`` for which this one means something (a
    LeakyReLU slope only when the activation is LeakyReLU): editors hide it otherwise."""

    def applies(self, params: Mapping[str, ParamValue]) -> bool:
        """Whether this parameter means something given the node's other ``params``."""
        if self.only_when is None:
            return True
        other, values = self.only_when
        return str(params.get(other)) in values

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    def describe_allowed(self) -> str:
        """The allowed values in words, reused by every error message about this param."""
        if self.kind is ParamKind.CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind is ParamKind.BOOL:
            return "true or false"
        if self.kind is ParamKind.PADDING:
            return "None, Same or an integer >= 0"
        noun = {
            ParamKind.INT: "an integer",
            ParamKind.FLOAT: "a number",
            ParamKind.INT_PAIR: "an integer or a pair [h, w] of integers",
        }[self.kind]
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} between {_fmt(self.minimum)} and {_fmt(self.maximum)}"
        if self.minimum is not None:
            return f"{noun} >= {_fmt(self.minimum)}"
        if self.maximum is not None:
            return f"{noun} <= {_fmt(self.maximum)}"
        return noun

    def coerce(self, value: object) -> ParamValue:
        """Check ``value`` and return it in canonical form, or raise ``ParamError``.

        Canonical forms keep YAML readable: a square kernel is ``5``, not ``[5, 5]``.
        """
        kind = self.kind
        if kind is ParamKind.INT:
            return self._check_range(_as_int(value, self))
        if kind is ParamKind.FLOAT:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._error(value)
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                raise self._error(value)
            return self._check_range(number)
        if kind is ParamKind.BOOL:
            if not isinstance(value, bool):
                raise self._error(value)
            return value
        if kind is ParamKind.CHOICE:
            if isinstance(value, str):
                for choice in self.choices:
                    if choice.lower() == value.lower():
                        return choice
            if value is None and "None" in self.choices:
                return "None"
            raise self._error(value)
        if kind is ParamKind.INT_PAIR:
            if isinstance(value, list | tuple):
                if len(value) != 2:
                    raise self._error(value)
                h, w = (self._check_range(_as_int(v, self)) for v in value)
                return h if h == w else [h, w]
            return self._check_range(_as_int(value, self))
        # PADDING
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return "None"
        if isinstance(value, str) and value.lower() == "same":
            return "Same"
        padding = _as_int(value, self)
        if padding < 0:
            raise self._error(value)
        return padding

    def _check_range(self, number: _N) -> _N:
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise self._error(number)
        return number

    def _error(self, value: object) -> ParamError:
        return ParamError(self.name, f"must be {self.describe_allowed()}, got {value!r}")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _as_int(value: object, spec: ParamSpec) -> int:
    if isinstance(value, bool):
        raise spec._error(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise spec._error(value)


ShapeRule = Callable[[Params, Sequence[Shape]], Shape]
CountRule = Callable[[Params, Sequence[Shape], Shape], int]
Builder = Callable[[Params, Sequence[Shape]], "nn.Module"]
TorchMatcher = Callable[[Sequence["nn.Module"], Shape], "tuple[int, dict[str, Any]] | None"]


@dataclass(frozen=True)
class Preset:
    """A named starting point for a layer, listed in the palette beside the layer.

    A preset is not a layer type: it creates the layer ``LayerSpec.type`` with
    ``params`` overlaid on the defaults (e.g. Depthwise Conv2D is a Conv2D with
    ``depthwise: true``), so files, compiler and exporters never see it.
    """

    title: str
    summary: str
    params: Mapping[str, ParamValue]


def _no_cost(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 0


@dataclass(frozen=True)
class LayerSpec:
    """Everything Convas knows about one layer type, declared in one place.

    ``min_inputs``/``max_inputs`` say how many edges the layer takes (``max_inputs``
    ``None`` = unbounded, e.g. Add). ``shape`` raises ``nodes.errors.ShapeError``
    with a message that names the parameter to change. ``count_params`` and
    ``count_macs`` are the analytic cost rules that property tests check against
    torch, per sample (batch 1). A MAC is one weight multiply-accumulate of a
    convolution or a matrix product — exactly what
    ``torch.utils.flop_counter.FlopCounterMode`` counts, at 2 FLOPs each — so bias
    additions, normalisation, pooling, activations and merges cost 0 MACs.
    ``build`` makes the torch module (it imports torch lazily, so shape
    inference never loads it). ``doc`` is the help page shown in the editor.
    ``from_torch`` recognises the layer when importing a torch model: given a chain
    of torch modules (each feeding only the next) and the input shape of the first,
    it returns how many modules the layer covers and its params, or None; a source
    layer gets an empty chain and the model's input shape. The importer checks every
    match numerically, so a matcher only reads settings (``nodes.torch_match``).
    ``presets`` are extra palette entries creating this layer with other defaults.
    """

    type: str
    title: str
    category: str
    summary: str
    doc: str
    params: tuple[ParamSpec, ...]
    shape: ShapeRule
    build: Builder
    count_params: CountRule = _no_cost
    count_macs: CountRule = _no_cost
    min_inputs: int = 1
    max_inputs: int | None = 1
    is_source: bool = False
    from_torch: TorchMatcher | None = None
    presets: tuple[Preset, ...] = ()
    _by_name: dict[str, ParamSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})
        for preset in self.presets:  # a typo in a preset fails at import, not on a drop
            self.resolve(preset.params)

    def param(self, name: str) -> ParamSpec:
        return self._by_name[name]

    def has_param(self, name: str) -> bool:
        return name in self._by_name

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: _copy(p.default) for p in self.params}

    def resolve(self, given: Params) -> dict[str, ParamValue]:
        """Defaults overlaid with ``given``, each value checked and canonicalised.

        Raises ``ParamError`` for an unknown name (with the nearest known name) or a
        bad value.
        """
        resolved = self.defaults()
        for name, value in given.items():
            spec = self._by_name.get(name)
            if spec is None:
                raise ParamError(name, unknown_param_message(self, name))
            resolved[name] = spec.coerce(value)
        return resolved

    @property
    def takes_many_inputs(self) -> bool:
        return self.max_inputs is None or self.max_inputs > 1


def _copy(value: ParamValue) -> ParamValue:
    return list(value) if isinstance(value, list) else value


def unknown_param_message(spec: LayerSpec, name: str) -> str:
    """Say which parameters exist, suggesting the closest one for a typo."""
    import difflib

    known = [p.name for p in spec.params]
    if not known:
        return f"{spec.type} has no parameters, got {name!r}"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {name!r} for {spec.type}; {hint}known: {', '.join(known)}"
