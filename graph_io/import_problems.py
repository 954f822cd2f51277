"""What the importer says about operations it cannot turn into Convas layers.

A model that fails to import should say, for each operation, *what* it is (the torch
module and its full repr, or the function with the user's source line and the
module whose ``forward()`` made the call), *why* (the one setting no Convas layer
has, e.g. ``groups=32``) and *where*. Real models repeat their blocks, so the same
problem comes back dozens of times: problems from one source line or with one
setting are folded into one line naming all their places (``layers.0–15``), and a
one-line summary comes first.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import fx, nn

SOURCE = "convas_source"
"""``node.meta`` key: (file, line) of the user's code that made the operation."""

_OPERATORS = {
    "add": "x + y",
    "iadd": "x += y",
    "sub": "x - y",
    "isub": "x -= y",
    "mul": "x * y",
    "imul": "x *= y",
    "truediv": "x / y",
    "itruediv": "x /= y",
    "floordiv": "x // y",
    "matmul": "x @ y",
    "neg": "-x",
    "pow": "x ** y",
    "getitem": "x[...]",
}


@dataclass(frozen=True)
class Problem:
    """One operation the importer refuses, with everything a message needs."""

    position: int  # in trace order; -1 for problems of the whole graph
    what: str  # "Conv2d", "x * y", "torch.sigmoid()", "tensor.view()"
    path: str  # the module's path, or the path of the module calling a function
    reason: str
    scope_type: str = ""  # class of the calling module, for function calls
    source: str = ""  # "models.py:12 `out = out * w`"
    detail: str = ""  # a module's repr
    settings: tuple[str, ...] = field(default=())  # names of the settings to blame
    is_module: bool = False

    def key(self) -> tuple[Any, ...]:
        """Problems with equal keys differ only in their path: one message line."""
        return (
            self.what,
            self.source,
            self.reason,
            self.scope_type,
            self.is_module,
            _numbers_masked(self.detail) if self.is_module else self.detail,
        )

    def kind(self) -> str:
        """The summary's name for this kind of problem."""
        if self.settings:
            return f"{self.what} with {', '.join(self.settings)}"
        return self.what


def problem_at(
    node: fx.Node, root: nn.Module, reason: str, position: int, settings: Sequence[str] = ()
) -> Problem:
    """The problem ``reason`` of the traced operation ``node``."""
    if node.op == "call_module":
        module = root.get_submodule(str(node.target))
        return Problem(
            position,
            type(module).__name__,
            str(node.target),
            reason,
            detail=one_line_repr(module),
            settings=tuple(settings),
            is_module=True,
        )
    path, scope_type = _scope(node)
    source = _source_text(node)
    if node.op == "get_attr":
        return Problem(position, f"parameter '{node.target}'", path, reason, scope_type, source)
    return Problem(
        position, call_name(node), path, reason, scope_type, source or f"fx node '{node.name}'"
    )


def where(node: fx.Node, root: nn.Module) -> str:
    """One operation's place, for messages about a single operation."""
    return _head(problem_at(node, root, "", -1), [])


def call_name(node: fx.Node) -> str:
    """``torch.sigmoid()``, ``F.relu()``, ``tensor.view()`` or ``x * y``."""
    if node.op == "call_method":
        return f"tensor.{node.target}()"
    target = node.target
    home = str(getattr(target, "__module__", None) or "")
    label = getattr(target, "__name__", str(target))
    if home in ("_operator", "operator") and label in _OPERATORS:
        return _OPERATORS[label]
    prefix = {"torch.nn.functional": "F.", "_operator": "operator."}.get(
        home, "torch." if home.startswith("torch") else ""
    )
    return f"{prefix}{label}()"


def one_line_repr(module: nn.Module) -> str:
    """A module's whole repr on one line (nested modules' lines joined)."""
    return re.sub(r"\s*\n\s*", " ", repr(module)).replace("( ", "(").replace(" )", ")")


def _scope(node: fx.Node) -> tuple[str, str]:
    """The path and class of the innermost module whose forward() made ``node``."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return "", ""
    path, kind = list(stack.values())[-1]
    return str(path), getattr(kind, "__name__", str(kind))


def _source_text(node: fx.Node) -> str:
    found = node.meta.get(SOURCE)
    return source_text(*found) if found else ""


def source_text(filename: str, line: int) -> str:
    """``models.py:12 `out = out * w```: a place in the user's code, with the code."""
    text = f"{_short_path(filename)}:{line}"
    code = linecache.getline(filename, line).strip()
    if code:
        text += f" `{code if len(code) <= 70 else code[:67] + '...'}`"
    return text


def _short_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


# ---- messages -------------------------------------------------------------------------


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """One line per kind of problem and place pattern, in trace order."""
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    for found in sorted(problems, key=lambda p: p.position):
        groups.setdefault(found.key(), []).append(found)
    lines = []
    for members in groups.values():
        paths = list(dict.fromkeys(p.path for p in members))
        lines.append(_head(members[0], paths, members))
    return list(dict.fromkeys(lines))


def summary(problems: Sequence[Problem]) -> str:
    """``48 × x * y in layers.0–15; 48 × …``: each kind of problem, most frequent first."""
    kinds: dict[str, list[Problem]] = {}
    for found in sorted(problems, key=lambda p: p.position):
        kinds.setdefault(found.kind(), []).append(found)
    ordered = sorted(kinds.items(), key=lambda item: -len(item[1]))
    parts = []
    for kind, members in ordered[:4]:
        paths = [p.path for p in members if p.path]
        place = f" in {compress_paths(paths)}" if paths else ""
        parts.append(f"{len(members)} × {kind}{place}")
    if len(ordered) > 4:
        parts.append(f"{sum(len(m) for _, m in ordered[4:])} more of {len(ordered) - 4} kinds")
    return "; ".join(parts)


def _head(first: Problem, paths: list[str], members: Sequence[Problem] = ()) -> str:
    count = max(len(members), 1)
    times = f"{count} × " if count > 1 else ""
    place = compress_paths(paths) if paths else first.path
    if first.is_module:
        text = f"{times}{first.what} '{place}'"
        if first.reason:
            text += f": {first.reason}"
        label = "module" if len({m.detail for m in members}) <= 1 else "first"
        return f"{text} ({label}: {first.detail})" if first.reason else f"{text} {first.detail}"
    text = f"{times}{first.what}"
    if first.source:
        text += f" at {first.source}"
    if place:
        text += f" in '{place}'" + (f" ({first.scope_type})" if first.scope_type else "")
    return f"{text}: {first.reason}" if first.reason else text


def _numbers_masked(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def compress_paths(paths: Sequence[str]) -> str:
    """``layers.0.se, …, layers.15.se`` as ``layers.0–15.se``: exact, split into a few
    such patterns (``layer1.0–3.c, layer2.0–7.c``), or else abbreviated."""
    unique = list(dict.fromkeys(paths))
    parts = _patterns(unique)
    if len(parts) <= 4:
        return ", ".join(parts)
    return f"{unique[0]} … {unique[-1]} ({len(unique)} places)"


def _patterns(paths: list[str]) -> list[str]:
    """Exact patterns covering ``paths``, splitting on the first column that differs."""
    if len(paths) == 1:
        return paths
    split = [p.split(".") for p in paths]
    if len({len(parts) for parts in split}) == 1:
        columns = list(zip(*split, strict=True))
        pattern = [_column(column) for column in columns]
        combinations = 1
        for column in columns:
            combinations *= len(set(column))
        if combinations == len(paths) and all(p is not None for p in pattern):
            return [".".join(str(p) for p in pattern)]
    groups: dict[str, list[str]] = {}
    for path, parts in zip(paths, split, strict=True):
        differs = next(
            (i for i in range(min(len(q) for q in split)) if len({q[i] for q in split}) > 1),
            len(parts) - 1,
        )
        groups.setdefault(".".join(parts[: differs + 1]) + f"#{len(parts)}", []).append(path)
    if len(groups) == 1:  # nothing to split on: list them
        return paths
    return [pattern for members in groups.values() for pattern in _patterns(members)]


def _column(values: Sequence[str]) -> str | None:
    distinct = list(dict.fromkeys(values))
    if len(distinct) == 1:
        return distinct[0]
    if not all(v.isdigit() for v in distinct):
        return None
    numbers = sorted({int(v) for v in distinct})
    runs: list[str] = []
    for _, run in itertools.groupby(enumerate(numbers), key=lambda item: item[1] - item[0]):
        members = [n for _, n in run]
        runs.append(str(members[0]) if len(members) == 1 else f"{members[0]}–{members[-1]}")
    return ",".join(runs)


# ---- which setting is to blame ----------------------------------------------------------


def blamed_settings(
    module: nn.Module, accepted: Callable[[nn.Module], bool]
) -> list[tuple[str, Any]]:
    """The fewest settings of ``module`` (vs. its class defaults) that, set back to
    their defaults, make ``accepted`` true: ``[("groups", 32)]`` for a grouped conv.

    Empty when the module cannot be rebuilt or no such settings exist.
    """
    rebuild = _rebuilder(module)
    if rebuild is None:
        return []
    changed = _changed_settings(module)
    for size in range(1, min(len(changed), 3) + 1):
        for names in itertools.combinations(changed, size):
            candidate = rebuild({name: changed[name][1] for name in names})
            if candidate is not None and accepted(candidate):
                return [(name, changed[name][0]) for name in names]
    return []


def settings_text(settings: Sequence[tuple[str, Any]]) -> str:
    """``groups=32 — no Convas layer has this setting``."""
    text = ", ".join(f"{name}={_plain(value)!r}" for name, value in settings)
    noun = "this setting" if len(settings) == 1 else "these settings"
    return f"{text} — no Convas layer has {noun}"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list) and value and len(set(value)) == 1:
        return value[0]
    return value


def _init_parameters(module: nn.Module) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(type(module).__init__)
    except (TypeError, ValueError):
        return []
    return [
        p
        for p in list(signature.parameters.values())[1:]
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("device", "dtype")
    ]


def _current(module: nn.Module, parameter: inspect.Parameter) -> Any:
    if parameter.name == "bias" and isinstance(parameter.default, bool):
        return getattr(module, "bias", None) is not None
    return getattr(module, parameter.name)


def _changed_settings(module: nn.Module) -> dict[str, tuple[Any, Any]]:
    """name -> (value, default) for constructor settings away from their default."""
    changed: dict[str, tuple[Any, Any]] = {}
    for parameter in _init_parameters(module):
        if parameter.default is parameter.empty or not hasattr(module, parameter.name):
            continue
        value = _current(module, parameter)
        if _plain(value) != _plain(parameter.default):
            changed[parameter.name] = (value, parameter.default)
    return changed


def _rebuilder(module: nn.Module) -> Callable[[dict[str, Any]], nn.Module | None] | None:
    parameters = _init_parameters(module)
    if not parameters or any(
        p.default is p.empty and not hasattr(module, p.name) for p in parameters
    ):
        return None
    current = {p.name: _current(module, p) for p in parameters if hasattr(module, p.name)}

    def rebuild(changes: dict[str, Any]) -> nn.Module | None:
        try:
            return type(module)(**{**current, **changes})
        except Exception:  # a combination the class refuses
            return None

    return rebuild
