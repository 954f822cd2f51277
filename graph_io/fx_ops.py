"""What each operation of a traced torch model computes, as an equivalent torch module.

A model may write the same step as a module (``nn.ReLU()``), a function
(``F.relu(x)``, ``torch.relu(x)``) or a method (``x.relu()``). The importer wants
one form so that the layers' ``from_torch`` matchers only ever see modules. Calls
are normalised with torch's own operator schemas and mapped by name onto the
``torch.nn`` class of the same name (``max_pool2d`` -> ``MaxPool2d``) with the same
argument names; the few operations without such a twin (``+``, ``torch.cat``,
``F.pad``, ``F.interpolate``, ``view``) are spelled out below. Nothing here knows
Convas layer types: ``Add`` and ``Concat`` are the torch modules Convas builds for
``+`` and ``cat``.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import fx, nn


class UnsupportedOpError(Exception):
    """An operation with no module equivalent; the message says why."""


@dataclass
class Op:
    """One traced operation: its module form (None = passes its input through)."""

    node: fx.Node
    module: nn.Module | None
    inputs: list[fx.Node]


_PASS_THROUGH = frozenset({"contiguous", "clone", "detach"})


def as_op(node: fx.Node, root: nn.Module, values: Mapping[fx.Node, Any]) -> Op:
    """The module form of ``node`` (a call_module/call_function/call_method node)."""
    from torch import fx, nn

    from graph_io.fx_patterns import channel_layer_norm_twin

    tensors = [
        a
        for a in _flat(node.args, node.kwargs)
        if isinstance(a, fx.Node) and _is_tensor(values.get(a))
    ]
    computed = [
        a
        for a in _flat(node.args, node.kwargs)
        if isinstance(a, fx.Node) and not _is_tensor(values.get(a))
    ]
    if node.op == "call_module":
        module = root.get_submodule(str(node.target))
        if computed:
            raise UnsupportedOpError("takes computed non-tensor arguments")
        twin = channel_layer_norm_twin(module)  # a model's own module the tracer kept whole
        if twin is not None:
            return Op(node, twin, tensors)
        return Op(node, None if isinstance(module, nn.Identity) else module, tensors)
    name = _name(node)
    if name in ("add", "iadd") or node.target is operator.add:
        return Op(node, _add(node, tensors), tensors)
    if name in ("mul", "imul", "multiply") or node.target is operator.mul:
        return Op(node, _multiply(node, tensors), tensors)
    if name in ("cat", "concat", "concatenate"):
        return Op(node, _concat(node, values), tensors)
    pattern = _pattern(node, values, root)
    if pattern is not None:
        return Op(node, pattern[0], [pattern[1]])
    if name in ("view", "reshape"):
        return Op(node, _flatten_view(node, tensors, values), tensors[:1])
    if name in ("expand", "expand_as"):
        _broadcast(node)
        return Op(node, None, tensors[:1])
    if computed:
        raise UnsupportedOpError("takes computed non-tensor arguments")
    if name in _PASS_THROUGH:
        return Op(node, None, tensors[:1])
    if name == "pad":
        return Op(node, _pad(node, values), tensors)
    if name == "interpolate":
        return Op(node, _interpolate(node, values), tensors)
    return Op(node, _twin_module(node, name, values), tensors)


_RANDOM = frozenset(
    {
        "bernoulli", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like",
        "randperm", "normal", "uniform", "multinomial", "exponential", "geometric",
        "cauchy", "log_normal", "random",
    }
)  # fmt: skip


def draws_random(node: fx.Node) -> bool:
    """True for an operation that draws random numbers (``torch.rand``, ``x.bernoulli_``).

    Dropout is a module or ``F.dropout`` and is matched as such; other draws in a
    model's forward() are training-time tricks like stochastic depth.
    """
    return node.op in ("call_function", "call_method") and _name(node) in _RANDOM


def merge_chained_sums(ops: dict[fx.Node, Op]) -> None:
    """Fold ``a + b + c`` (two binary adds in a trace) into one n-ary ``Add``, and
    ``a * b * c`` into one ``Multiply``.

    Convas's Add and Multiply take any number of inputs and their exported code
    writes them as one chain of ``+`` (``*``); folding a sum whose only use is
    another sum brings such a node back as one node. ``ops`` must be in trace order,
    so inner sums fold first.
    """
    from nodes.torch_modules import Add, Multiply

    for node, op in list(ops.items()):
        kind = type(op.module)
        if kind not in (Add, Multiply):
            continue
        inputs: list[fx.Node] = []
        for source in op.inputs:
            inner = ops.get(source)
            # ``a + (a + b)`` must not fold: Add takes each tensor once.
            others = set(inputs) | {s for s in op.inputs if s is not source}
            if (
                inner is not None
                and type(inner.module) is kind
                and list(source.users) == [node]
                and not others.intersection(inner.inputs)
            ):
                inputs.extend(inner.inputs)
                del ops[source]
            else:
                inputs.append(source)
        op.inputs = inputs


def _flat(args: Any, kwargs: Mapping[str, Any]) -> list[Any]:
    items: list[Any] = []
    for value in [*args, *kwargs.values()]:
        items.extend(value if isinstance(value, list | tuple) else [value])
    return items


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _name(node: fx.Node) -> str:
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    return name[:-1] if name.endswith("_") and not name.endswith("__") else name


def _add(node: fx.Node, tensors: list[fx.Node]) -> nn.Module:
    from nodes.torch_modules import Add

    alpha = node.kwargs.get("alpha", 1)
    if len(tensors) != 2 or len(node.args) != 2 or alpha != 1:
        raise UnsupportedOpError(
            "adds a constant or a scaled tensor; Convas Add sums whole tensors"
        )
    return Add()


def _multiply(node: fx.Node, tensors: list[fx.Node]) -> nn.Module:
    from nodes.torch_modules import Multiply

    if len(tensors) != 2 or len(node.args) != 2 or node.kwargs:
        raise UnsupportedOpError(
            "multiplies by a constant; Convas Multiply multiplies whole tensors "
            "(scale a layer's weights instead)"
        )
    return Multiply()


def _pattern(
    node: fx.Node, values: Mapping[fx.Node, Any], root: nn.Module
) -> tuple[nn.Module, fx.Node] | None:
    from graph_io.fx_patterns import (
        PatternError,
        channel_layer_norm,
        channel_shuffle,
        channel_slice,
        spatial_mean,
    )

    try:
        return (
            channel_slice(node, values)
            or channel_shuffle(node, values)
            or channel_layer_norm(node, values, root)
            or spatial_mean(node, values)
        )
    except PatternError as exc:
        raise UnsupportedOpError(str(exc)) from None


def _broadcast(node: fx.Node) -> None:
    """``gate.expand_as(x)`` spells out what ``x * gate`` broadcasts anyway: when only
    products use it, it passes the gate through (Multiply broadcasts Cx1x1 itself)."""
    users = list(node.users)
    if not users or any(_name(user) not in ("mul", "imul", "multiply") for user in users):
        raise UnsupportedOpError(
            "expands a tensor; Convas broadcasts size-1 axes only inside Multiply (x * gate)"
        )


def _concat(node: fx.Node, values: Mapping[fx.Node, Any]) -> nn.Module:
    from nodes.torch_modules import Concat

    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    rank = values[node].dim()
    if not isinstance(dim, int) or (dim % rank if rank else dim) != 1:
        raise UnsupportedOpError(
            f"joins along dimension {dim}; Convas Concat joins channels (dimension 1)"
        )
    return Concat()


def _flatten_view(node: fx.Node, tensors: list[fx.Node], values: Mapping[fx.Node, Any]) -> Any:
    from torch import nn

    source, result = values[tensors[0]], values[node]
    if result.dim() == 2 and result.shape[0] == source.shape[0]:
        return nn.Flatten()  # x.view(x.size(0), -1): the classic hand-written flatten
    raise UnsupportedOpError("reshapes to something other than one vector per sample")


def _pad(node: fx.Node, values: Mapping[fx.Node, Any]) -> nn.Module:
    from torch import nn
    from torch.nn import functional

    kwargs = _normalized(functional.pad, node, values)
    pad = tuple(kwargs.get("pad", ()))
    if kwargs.get("mode", "constant") != "constant" or len(pad) != 4:
        raise UnsupportedOpError("only constant padding of height and width is supported")
    value = kwargs.get("value")
    return nn.ConstantPad2d((pad[0], pad[1], pad[2], pad[3]), 0.0 if value is None else value)


def _interpolate(node: fx.Node, values: Mapping[fx.Node, Any]) -> nn.Module:
    """``F.interpolate`` (and the deprecated ``F.upsample``, which calls it) is
    ``nn.Upsample`` with the same size, scale, mode and corner alignment."""
    from torch import nn
    from torch.nn import functional

    kwargs = _normalized(functional.interpolate, node, values)
    if kwargs.get("antialias"):
        raise UnsupportedOpError("sets antialias=True, which nn.Upsample lacks")
    settings = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")
    try:
        return nn.Upsample(**{key: kwargs[key] for key in settings if key in kwargs})
    except (TypeError, ValueError) as exc:
        raise UnsupportedOpError(f"cannot be written as nn.Upsample ({exc})") from None


def _twin_module(node: fx.Node, name: str, values: Mapping[fx.Node, Any]) -> nn.Module:
    """``F.max_pool2d(x, 2)`` -> ``nn.MaxPool2d(kernel_size=2)``, matched by name."""
    import torch
    from torch import fx, nn

    wanted = name.replace("_", "").lower()
    cls = next(
        (
            c
            for n, c in vars(nn).items()
            if n.lower() == wanted and isinstance(c, type) and issubclass(c, nn.Module)
        ),
        None,
    )
    if cls is None:
        raise UnsupportedOpError("has no Convas layer")
    function = node.target if callable(node.target) else getattr(torch, name, None)
    if function is None:
        raise UnsupportedOpError("has no Convas layer")
    kwargs = _normalized(function, node, values)
    accepted = inspect.signature(cls.__init__).parameters
    settings: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, fx.Node):
            if _is_tensor(values.get(value)) and key in ("input", "self"):
                continue
            raise UnsupportedOpError(f"takes the tensor argument {key}")
        if key in accepted:
            settings[key] = None if value == [] else value
        elif key == "training" and value is False:
            raise UnsupportedOpError("is switched off (training=False); remove it")
        elif value is not None and key != "training" and not key.startswith("_"):
            raise UnsupportedOpError(f"sets {key}={value!r}, which nn.{cls.__name__} lacks")
    try:
        module: nn.Module = cls(**settings)
    except (TypeError, ValueError) as exc:
        raise UnsupportedOpError(f"cannot be written as nn.{cls.__name__} ({exc})") from None
    return module


def _normalized(function: Any, node: fx.Node, values: Mapping[fx.Node, Any]) -> dict[str, Any]:
    """All arguments of a call by name, using torch's schemas for builtin functions."""
    from torch import fx
    from torch.fx.operator_schemas import normalize_function

    def kind(arg: Any) -> Any:
        return type(values[arg]) if isinstance(arg, fx.Node) and arg in values else type(arg)

    try:
        found = normalize_function(
            function,
            tuple(node.args),
            dict(node.kwargs),
            arg_types=tuple(kind(a) for a in node.args),
            kwarg_types={k: kind(v) for k, v in node.kwargs.items()},
            normalize_to_only_use_kwargs=True,
        )
    except Exception:  # a schema torch cannot resolve: treat as unknown
        found = None
    if found is None:
        raise UnsupportedOpError("has arguments that cannot be read")
    return dict(found.kwargs)
