"""Python source that rebuilds a torch module, read off the module object itself.

Code export must not need a template per layer type, so the constructor call of a
``torch.nn`` module is derived from its ``__init__`` signature and the attributes
torch stores under the same names, leaving out arguments equal to their defaults
and writing square pairs as one number. Every call is then proven: it is evaluated,
and the rebuilt module must have the same settings and state, and compute exactly
the same output on a probe input, as the original. A module this cannot reproduce
raises ``ExportError`` instead of exporting something subtly different.
"""

from __future__ import annotations

import inspect
import json
import keyword
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nodes.errors import ConvasError
from nodes.spec import Shape

if TYPE_CHECKING:
    import torch
    from torch import nn


class ExportError(ConvasError):
    """A module that has no faithful source-code form."""


class _NoCodeError(Exception):
    """A setting that cannot be written as a Python literal."""


def probe_inputs(shapes: Sequence[Shape]) -> tuple[torch.Tensor, ...]:
    """Reproducible random batches of two for ``shapes`` (batch dimension added)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(2, *shape, generator=generator) for shape in shapes)


def module_code(
    module: nn.Module, probes: tuple[torch.Tensor, ...], where: str, indent: str = ""
) -> str:
    """A Python expression that builds ``module``, proven on ``probes``.

    ``nn.Sequential`` containers keep their child names (so ``state_dict`` keys
    match), written as an ``OrderedDict``; the expression assumes ``nn`` (and
    ``OrderedDict`` when it appears) are imported. ``where`` names the node in errors;
    ``indent`` is the indentation of the line the expression starts on.
    """
    module.eval()
    code, _ = _code(module, probes, where, indent)
    return code


def _code(module: nn.Module, probes: tuple[Any, ...], where: str, indent: str) -> tuple[str, Any]:
    from torch import nn

    if isinstance(module, nn.Sequential):
        children: list[tuple[str, str]] = []
        value: tuple[Any, ...] = probes
        for name, child in module.named_children():
            code, output = _code(child, value, where, indent + "    ")
            children.append((name, code))
            value = (output,)
        return _sequential(children, indent), value[0]
    return _leaf(module, probes, where), module(*probes)


def _sequential(children: list[tuple[str, str]], indent: str) -> str:
    names = [name for name, _ in children]
    if names == [str(i) for i in range(len(names))]:
        items, start, end = [code for _, code in children], "nn.Sequential(", ")"
    elif all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        items = [f"{name}={code}" for name, code in children]
        start, end = "nn.Sequential(OrderedDict(", "))"
    else:
        items = [f"({json.dumps(name)}, {code})" for name, code in children]
        start, end = "nn.Sequential(OrderedDict([", "]))"
    if len(items) <= 1 and not any("\n" in item for item in items):
        return start + "".join(items) + end
    inner = indent + "    "
    return start + "\n" + "".join(f"{inner}{item},\n" for item in items) + indent + end


def _leaf(module: nn.Module, probes: tuple[Any, ...], where: str) -> str:
    from torch import nn

    cls = type(module)
    if getattr(nn, cls.__name__, None) is not cls:
        raise ExportError(
            f"{where}: {cls.__name__} is not a torch.nn module, so it has no code form — "
            "build the layer from torch.nn modules, or give a parameter-free module a "
            "forward_code() method"
        )
    for compact in (True, False):
        try:
            code = f"nn.{cls.__name__}({_arguments(module, compact)})"
        except _NoCodeError as exc:
            raise ExportError(
                f"{where}: cannot write {cls.__name__} as code: its setting {exc} is not "
                "a plain value"
            ) from None
        if _rebuilds(module, code, probes):
            return code
    raise ExportError(f"{where}: rebuilding {module!r} from code gives a different module")


def _arguments(module: nn.Module, compact: bool) -> str:
    """The constructor arguments: required ones by position, others by name."""
    parameters = list(inspect.signature(type(module).__init__).parameters.values())[1:]
    parts: list[str] = []
    for param in parameters:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        required = param.default is param.empty
        value = _setting(module, param)
        if value is _UNSET:
            if required:
                raise _NoCodeError(param.name)
            continue
        if compact:
            value = _compact(value)
        if not required and _equivalent(value, param.default):
            continue
        text = literal(value, param.name)
        positional = required and param.kind is not param.KEYWORD_ONLY
        parts.append(text if positional else f"{param.name}={text}")
    return ", ".join(parts)


_UNSET = object()


def _setting(module: nn.Module, param: inspect.Parameter) -> Any:
    """The value passed as ``param``, recovered from the attribute of the same name."""
    import torch

    if not hasattr(module, param.name):
        return _UNSET
    value = getattr(module, param.name)
    if isinstance(param.default, bool) and (value is None or isinstance(value, torch.Tensor)):
        return value is not None  # a flag that creates a tensor, like bias=True
    if isinstance(value, torch.Tensor):
        return _UNSET
    return value


def _compact(value: Any) -> Any:
    """``(3, 3)`` -> ``3``: torch expands one number to every dimension itself."""
    if isinstance(value, tuple | list) and value and all(v == value[0] for v in value):
        first = value[0]
        if isinstance(first, int | float) and not isinstance(first, bool):
            return first
    return value


def _equivalent(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or bool(_compact(a) == _compact(b))
    except (TypeError, RuntimeError):
        return False


def literal(value: Any, name: str = "value") -> str:
    """Python source for a plain value; ``_NoCodeError`` for anything else."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return f'float("{value}")'
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = [literal(v, name) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(literal(v, name) for v in value)}]"
    raise _NoCodeError(f"{name}={value!r}")


def _rebuilds(module: nn.Module, code: str, probes: tuple[Any, ...]) -> bool:
    """True when ``code`` builds a module with the same settings, state and outputs."""
    import torch
    from torch import nn

    try:
        rebuilt = eval(code, {"__builtins__": {}, "nn": nn, "float": float})  # our own code
    except Exception:  # any failure means "not this spelling"
        return False
    if type(rebuilt) is not type(module):
        return False
    rebuilt.train(module.training)
    state, new_state = module.state_dict(), rebuilt.state_dict()
    if {k: (v.shape, v.dtype) for k, v in state.items()} != {
        k: (v.shape, v.dtype) for k, v in new_state.items()
    }:
        return False
    settings = {k: v for k, v in vars(module).items() if not k.startswith("_")}
    rebuilt_settings = {k: v for k, v in vars(rebuilt).items() if not k.startswith("_")}
    if settings.keys() != rebuilt_settings.keys() or not all(
        _equivalent(v, rebuilt_settings[k]) for k, v in settings.items()
    ):
        return False
    rebuilt.load_state_dict(state)
    try:
        expected, actual = module(*probes), rebuilt(*probes)
    except Exception:
        return False
    if isinstance(expected, torch.Tensor):
        return isinstance(actual, torch.Tensor) and torch.equal(expected, actual)
    return bool(expected == actual)
