"""Find the torch model a command line names: ``MODULE:ATTR`` and ``CxHxW``.

Separate from the importer because this is the one place that runs a user's code:
MODULE is a ``.py`` file or an importable module, ATTR an ``nn.Module`` instance,
class or factory in it. Every way that can fail (no such file, a syntax error, an
attribute that isn't there, a class that needs arguments) becomes one
``TorchImportError`` with the reason, never a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_io.errors import TorchImportError
from nodes.spec import Shape

if TYPE_CHECKING:
    from torch import nn

__all__ = ["load_target", "model_names", "one_line", "parse_shape", "snake_case"]


def parse_shape(text: str) -> Shape:
    """``"1x28x28"`` (or ``1,28,28``) -> ``(1, 28, 28)``; ``TorchImportError`` otherwise."""
    parts = re.split(r"\s*[x×,]\s*", text.strip().lower())
    try:
        dims = tuple(int(part) for part in parts)
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise TorchImportError(
            f"input shape {text!r} must be CxHxW: three positive integers such as 1x28x28 "
            "(channels x height x width, without the batch)"
        )
    return dims


def load_target(target: str) -> tuple[nn.Module, str]:
    """The module named by ``MODULE:ATTR`` and its label for names and messages.

    The label is ATTR's last part, or the model's class name when ATTR is a function
    returning a model of the user's own class.

    MODULE is an importable module name or a path to a ``.py`` file; ATTR names an
    ``nn.Module`` instance, an ``nn.Module`` subclass (created with no arguments) or a
    function returning a module when called with no arguments.
    """
    source, colon, attr = target.rpartition(":")
    if not colon or not source or not all(p.isidentifier() for p in attr.split(".")):
        raise TorchImportError(
            f"{target!r} is not MODULE:ATTR — write e.g. models.py:Net (a file) or "
            "mypackage.models:Net (an importable module)"
        )
    if source.endswith(".py") or "/" in source or os.sep in source:
        module, where = _import_file(Path(source)), source
    else:
        module, where = _import_name(source), f"module {source!r}"
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TorchImportError(f"{where} has no attribute {attr!r}{_candidates(module, attr)}")
        obj = getattr(obj, part)
    label = attr.rpartition(".")[2]
    model = _instantiate(obj, label)
    if inspect.isfunction(obj) and not type(model).__module__.startswith("torch."):
        label = type(model).__name__  # make_model() -> 'Net', not 'make_model'
    return model, label


def _import_file(path: Path) -> Any:
    if not path.exists():
        raise TorchImportError(f"{path}: file not found")
    if not path.is_file():
        raise TorchImportError(f"{path}: is a folder, not a Python file")
    resolved = path.resolve()
    stem = re.sub(r"\W", "_", path.stem)
    name = f"convas_import_{stem}_{abs(hash(str(resolved))):x}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise TorchImportError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look classes up here
    with _on_path(str(resolved.parent)):  # so the file can import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # the user's code: any failure is reported, not raised
            sys.modules.pop(name, None)
            raise TorchImportError(f"{path}: running the file failed: {one_line(exc)}") from None
    return module


def _import_name(name: str) -> Any:
    if not all(part.isidentifier() for part in name.split(".")):
        raise TorchImportError(f"{name!r} is neither a module name nor a path to a .py file")
    with _on_path(os.getcwd()):  # like `python -m`, modules beside the caller are found
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
                raise TorchImportError(
                    f"no module named {name!r} — give the path of a .py file (models.py:Net) "
                    "or run from the folder that contains the package"
                ) from None
            raise TorchImportError(f"importing {name!r} failed: {one_line(exc)}") from None
        except Exception as exc:  # the user's code: any failure is reported, not raised
            raise TorchImportError(f"importing {name!r} failed: {one_line(exc)}") from None


@contextlib.contextmanager
def _on_path(folder: str) -> Iterator[None]:
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        yield
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)


def model_names(path: str | Path) -> list[str]:
    """What a ``.py`` file offers to import (nn.Module instances, its own nn.Module
    classes and functions), for the editor's chooser. Runs the file."""
    return _importable_names(_import_file(Path(path)))


def _importable_names(module: Any) -> list[str]:
    from torch import nn

    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (
            isinstance(value, nn.Module)
            or (
                isinstance(value, type)
                and issubclass(value, nn.Module)
                and value.__module__ == module.__name__
            )
            or (inspect.isfunction(value) and value.__module__ == module.__name__)
        )
    )


def _candidates(module: Any, attr: str) -> str:
    """'; did you mean ...? it defines: ...' listing what could be imported."""
    names = _importable_names(module)
    if not names:
        return " (it defines no nn.Module class, instance or function)"
    close = difflib.get_close_matches(attr, names, n=1, cutoff=0.5)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"{hint} (it defines: {', '.join(names)})"


def _instantiate(obj: Any, label: str) -> nn.Module:
    from torch import nn

    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise TorchImportError(
            f"{label!r} is a {type(obj).__name__}, not an nn.Module, an nn.Module subclass "
            "or a function returning one"
        )
    is_class = isinstance(obj, type)
    if is_class and not issubclass(obj, nn.Module):
        raise TorchImportError(f"{label!r} is a class but not a subclass of torch.nn.Module")
    try:
        inspect.signature(obj).bind()
    except TypeError:
        raise TorchImportError(
            f"{label}() needs arguments; name a function that builds the model with no "
            f"arguments instead, e.g. def make_model(): return {label}(...)"
        ) from None
    except ValueError:  # no signature available (a builtin): just try the call
        pass
    try:
        made = obj()
    except Exception as exc:  # the user's code: any failure is reported, not raised
        raise TorchImportError(f"{label}() failed: {one_line(exc)}") from None
    if not isinstance(made, nn.Module):
        raise TorchImportError(f"{label}() returned a {type(made).__name__}, not an nn.Module")
    return made


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def snake_case(name: str) -> str:
    """'ResnetMini' -> 'resnet_mini', for a graph named after the imported class."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"\W+", "_", spaced).strip("_").lower()[:200] or "imported"
