"""The catalog of layer types, keyed by type name.

Layer families register themselves on import (``nodes/__init__.py`` imports them
all), so the registry is complete as soon as ``nodes`` is imported.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from nodes.errors import ConvasError
from nodes.spec import LayerSpec, ParamValue

_REGISTRY: dict[str, LayerSpec] = {}

CATEGORY_ORDER = (
    "Input",
    "Convolution",
    "Pooling",
    "Normalization",
    "Core",
    "Reshape",
    "Merge",
)


def register(*specs: LayerSpec) -> None:
    for spec in specs:
        if spec.type in _REGISTRY:
            raise ValueError(f"layer type {spec.type!r} declared twice")
        _REGISTRY[spec.type] = spec


class UnknownLayerError(ConvasError):
    """A type name that no layer declares."""


def get(type_name: str) -> LayerSpec:
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise UnknownLayerError(unknown_type_message(type_name)) from None


def find(type_name: str) -> LayerSpec | None:
    return _REGISTRY.get(type_name)


def unknown_type_message(type_name: str) -> str:
    known = sorted(_REGISTRY)
    close = difflib.get_close_matches(str(type_name), known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown layer type {type_name!r}; {hint}known types: {', '.join(known)}"


def all_layers() -> list[LayerSpec]:
    """Every layer, ordered by category (palette order) then title."""
    rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return sorted(_REGISTRY.values(), key=lambda s: (rank.get(s.category, 99), s.title))


def type_names() -> list[str]:
    return sorted(_REGISTRY)


@dataclass(frozen=True)
class PaletteEntry:
    """One item of the editor's palette: a layer, or a preset of one.

    Creating it makes a node of ``type`` whose params are the layer's defaults
    overlaid with ``params`` (empty for the layer itself).
    """

    type: str
    title: str
    category: str
    summary: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)


def palette_entries() -> list[PaletteEntry]:
    """Every layer in palette order, each followed by its presets."""
    entries: list[PaletteEntry] = []
    for spec in all_layers():
        entries.append(PaletteEntry(spec.type, spec.title, spec.category, spec.summary))
        entries += [
            PaletteEntry(spec.type, p.title, spec.category, p.summary, dict(p.params))
            for p in spec.presets
        ]
    return entries
