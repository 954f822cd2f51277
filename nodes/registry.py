"""The catalog of layer types, keyed by type name.

Layer families register themselves on import (``nodes/__init__.py`` imports them
all), so the registry is complete as soon as ``nodes`` is imported.
"""

from __future__ import annotations

import difflib

from nodes.errors import ConvasError
from nodes.spec import LayerSpec

_REGISTRY: dict[str, LayerSpec] = {}

CATEGORY_ORDER = ("Input", "Convolution", "Pooling", "Normalization", "Core", "Merge")


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
