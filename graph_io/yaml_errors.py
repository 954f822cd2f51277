"""Turn validation failures into ``field: reason`` text with the line it came from."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, SequenceNode

Loc = tuple[str | int, ...]


def field_path(loc: Sequence[str | int]) -> str:
    """('nodes', 3, 'params', 'filters') -> 'nodes[3].params.filters'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_of(root: Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest existing node along ``loc``."""
    if root is None:
        return None
    node: Node = root
    line = node.start_mark.line + 1
    for part in loc:
        child: Node | None = None
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
        if not isinstance(node, MappingNode | SequenceNode):
            line = node.start_mark.line + 1
    return line


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_validation_error(exc: ValidationError, data: Any) -> tuple[Loc, str]:
    """The first error of a pydantic failure as (location, reason a user understands)."""
    error = exc.errors()[0]
    loc: Loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
    kind = error["type"]
    given = error.get("input")
    if kind == "missing":
        return loc, "is required"
    if kind == "extra_forbidden":
        known = _known_fields(loc)
        name = str(loc[-1])
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return loc, f"unknown field {name!r}; {hint}known: {', '.join(known)}"
    message = str(error["msg"])
    message = message[0].lower() + message[1:] if message else "is invalid"
    return loc, f"{message}, got {_short(given)}"


def _known_fields(loc: Loc) -> list[str]:
    from graph_io.document import GraphDocument, NodeDocument
    from graph_io.training_config import TrainingConfig

    if loc[:1] == ("nodes",) and len(loc) == 3:
        return list(NodeDocument.model_fields)
    if loc[:1] == ("training",):
        return list(TrainingConfig.model_fields)
    return list(GraphDocument.model_fields)
