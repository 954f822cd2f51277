"""Operations whose module form depends on the operations before them.

Most traced operations become one module on their own (``graph_io.fx_ops``). A few
Convas layers are written in torch as several steps or as indexing, and are
recognised here from the step that produces the result, reaching back over the
steps before it:

- a channel range: ``x[:, a:b]`` (``x[:, a:b, :, :]``), or a piece of
  ``torch.chunk``/``torch.split``/``tensor_split`` along channels, is a Slice;
- the usual channel shuffle, ``x.view(N, g, C // g, H, W)``, then
  ``transpose(1, 2)`` or ``permute(0, 2, 1, 3, 4)`` (and maybe ``contiguous()``),
  then ``view``/``reshape`` (or ``flatten(1, 2)``) back to ``N, C, H, W``, is
  ``nn.ChannelShuffle(g)``;
- the channels-first LayerNorm, ``x.permute(0, 2, 3, 1)``, then ``nn.LayerNorm(C)``
  or ``F.layer_norm(x, (C,), weight, bias, eps)`` (as ``nn.LayerNorm`` subclasses
  such as timm's ``LayerNorm2d`` write it), then ``permute(0, 3, 1, 2)``, is a
  ``ChannelLayerNorm`` holding those weights;
- a mean over each feature map, ``x.mean((2, 3))``, ``torch.mean(x, dim=[-2, -1],
  keepdim=True)``, ``x.mean(3).mean(2)`` or ``x.flatten(2).mean(-1)``, is
  ``nn.AdaptiveAvgPool2d(1)`` (one value per channel kept as Cx1x1), followed by
  ``nn.Flatten()`` when the spatial axes are dropped (a global average pool).

Shapes are read from the values recorded when the traced model ran, so sizes and
offsets are exact for the import's input shape. The steps in between never become
operations of their own: the result's input is the tensor the pattern starts from.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import fx, nn

_SPLITS = frozenset({"chunk", "split", "tensor_split", "split_with_sizes"})
_SWAPS = frozenset({"transpose", "permute", "swapaxes", "swapdims"})
_RESHAPES = frozenset({"view", "reshape"})
_REJOINS = _RESHAPES | {"flatten"}  # Convas's own export ends with flatten(1, 2)
_MAP_STEPS = _REJOINS | {"mean", "squeeze", "contiguous"}


class PatternError(Exception):
    """The operation is of a pattern's kind but not one Convas has; says why."""


def channel_slice(node: fx.Node, values: Mapping[fx.Node, Any]) -> tuple[nn.Module, fx.Node] | None:
    """``(Slice, source)`` for ``x[:, a:b]`` or a channel piece of chunk/split.

    None when ``node`` is no indexing; ``PatternError`` for other indexing.
    """
    from torch import fx

    if node.op != "call_function" or node.target is not operator.getitem:
        return None
    source, index = node.args[0], node.args[1]
    if not isinstance(source, fx.Node) or source not in values:
        return None
    if _is_split(source):
        return _split_piece(source, index, values)
    whole = values[source]
    if isinstance(whole, tuple | list):
        raise PatternError(
            f"takes item {index!r} of a {type(whole).__name__} result; "
            "a Convas layer has one output tensor"
        )
    if not _is_tensor(whole):
        return None
    if whole.dim() != 4:
        raise PatternError("indexes a tensor that is not NxCxHxW")
    items = list(index) if isinstance(index, tuple) else [index]
    if items and items[-1] is Ellipsis:
        items.pop()
    full = slice(None, None, None)
    if len(items) < 2 or any(item != full for item in [items[0], *items[2:]]):
        raise PatternError("only a channel range x[:, a:b] is supported")
    chosen = items[1]
    if not isinstance(chosen, slice) or not all(
        isinstance(v, int | None) for v in (chosen.start, chosen.stop, chosen.step)
    ):
        raise PatternError("only a channel range x[:, a:b] is supported")
    start, stop, step = chosen.indices(int(whole.shape[1]))
    if step != 1 or stop <= start:
        raise PatternError(f"takes channels {chosen}; a Slice takes a non-empty range")
    return _slice(start, stop), source


def channel_shuffle(
    node: fx.Node, values: Mapping[fx.Node, Any]
) -> tuple[nn.Module, fx.Node] | None:
    """``(nn.ChannelShuffle(g), source)`` when ``node`` ends a channel shuffle."""
    from torch import fx, nn

    if _method_or_function(node) not in _REJOINS:
        return None
    swapped = _skip_contiguous(node.args[0])
    if not isinstance(swapped, fx.Node) or _method_or_function(swapped) not in _SWAPS:
        return None
    split = _skip_contiguous(swapped.args[0])
    if not isinstance(split, fx.Node) or _method_or_function(split) not in _RESHAPES:
        return None
    source = split.args[0]
    if not isinstance(source, fx.Node) or not all(
        _is_tensor(values.get(n)) for n in (node, swapped, split, source)
    ):
        return None
    before, grouped, after = values[source], values[split], values[node]
    if (
        before.dim() != 4
        or after.shape != before.shape
        or grouped.dim() != 5
        or tuple(grouped.shape[3:]) != tuple(before.shape[2:])
        or grouped.shape[1] * grouped.shape[2] != before.shape[1]
        or not _swaps_groups(swapped)
    ):
        return None
    return nn.ChannelShuffle(int(grouped.shape[1])), source


_TO_CHANNELS_LAST = (0, 2, 3, 1)
_TO_CHANNELS_FIRST = (0, 3, 1, 2)


def channel_layer_norm(
    node: fx.Node, values: Mapping[fx.Node, Any], root: nn.Module
) -> tuple[nn.Module, fx.Node] | None:
    """``(ChannelLayerNorm, source)`` when ``node`` ends a LayerNorm over the channels
    of an NxCxHxW ``source``: permute to channels-last, layer norm over the last axis,
    permute back. The module holds copies of the weights the layer norm used."""
    from torch import fx

    if _permutation(node) != _TO_CHANNELS_FIRST:
        return None
    norm = _skip_contiguous(node.args[0])
    if not isinstance(norm, fx.Node):
        return None
    before = _skip_contiguous(norm.args[0]) if norm.args else None
    if not isinstance(before, fx.Node) or _permutation(before) != _TO_CHANNELS_LAST:
        return None
    source = before.args[0]
    if not isinstance(source, fx.Node) or not _is_tensor(values.get(source)):
        return None
    if values[source].dim() != 4:
        return None
    channels = int(values[source].shape[1])
    found = _layer_norm_settings(norm, values, root)
    if found is None or tuple(found[0]) != (channels,):
        return None
    _, weight, bias, eps = found
    return _channel_layer_norm(channels, weight, bias, eps), source


def channel_layer_norm_twin(module: nn.Module) -> nn.Module | None:
    """A ``ChannelLayerNorm`` computing exactly what the model's own ``module`` does,
    or None.

    Candidates are modules outside torch.nn with no submodules, exactly two
    parameters ``weight`` and ``bias`` of C values, and a number ``eps``; one is
    accepted when, run in evaluation mode on a random NxCxHxW probe, it gives the
    same values as the twin. Such a module is often written with the mean and
    variance spelled out, which no layer matcher could follow step by step.
    """
    import torch

    if type(module).__module__.startswith("torch.") or any(True for _ in module.children()):
        return None
    found = dict(module.named_parameters(recurse=False))
    weight, bias, eps = found.get("weight"), found.get("bias"), getattr(module, "eps", None)
    if set(found) != {"weight", "bias"} or not isinstance(eps, float | int):
        return None
    if weight is None or bias is None or weight.dim() != 1 or bias.shape != weight.shape:
        return None
    if not weight.is_floating_point():
        return None
    twin = _channel_layer_norm(int(weight.shape[0]), weight.detach(), bias.detach(), float(eps))
    probe = torch.randn(2, int(weight.shape[0]), 3, 4, generator=torch.Generator().manual_seed(0))
    flags = [(m, m.training) for m in module.modules()]
    try:
        module.eval()
        with torch.no_grad():
            got = module(probe.to(weight.dtype))
            want = twin(probe)
    except Exception:  # it does not even run like a layer norm
        return None
    finally:
        for m, flag in flags:
            m.training = flag
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return None
    return twin if torch.allclose(got.float(), want, atol=1e-5, rtol=1e-5) else None


def _layer_norm_settings(
    node: fx.Node, values: Mapping[fx.Node, Any], root: nn.Module
) -> tuple[tuple[int, ...], Any, Any, float] | None:
    """(normalized shape, weight, bias, eps) of an ``nn.LayerNorm`` call or of
    ``F.layer_norm`` with weights that are the model's parameters (or None)."""
    from torch import fx, nn

    if node.op == "call_module":
        module = root.get_submodule(str(node.target))
        if not isinstance(module, nn.LayerNorm) or type(module).forward is not nn.LayerNorm.forward:
            return None
        shape = tuple(int(d) for d in module.normalized_shape)
        return shape, module.weight, module.bias, float(module.eps)
    if _method_or_function(node) != "layer_norm" or node.op != "call_function":
        return None
    names = ("input", "normalized_shape", "weight", "bias", "eps")
    given = dict(zip(names, node.args, strict=False)) | dict(node.kwargs)
    if set(given) - set(names):
        return None
    shape_arg, eps = given.get("normalized_shape"), given.get("eps", 1e-5)
    if not isinstance(shape_arg, tuple | list | int) or not isinstance(eps, float | int):
        return None
    shape = (shape_arg,) if isinstance(shape_arg, int) else tuple(shape_arg)
    if not all(isinstance(d, int) for d in shape):
        return None
    tensors = []
    for name in ("weight", "bias"):
        arg = given.get(name)
        if arg is not None and (not isinstance(arg, fx.Node) or arg.op != "get_attr"):
            return None  # computed weights: not a layer's own parameters
        tensors.append(None if arg is None else values.get(arg))
    return shape, tensors[0], tensors[1], float(eps)


def _channel_layer_norm(channels: int, weight: Any, bias: Any, eps: float) -> nn.Module:
    import torch

    from nodes.torch_modules import ChannelLayerNorm

    affine = weight is not None or bias is not None
    norm = ChannelLayerNorm(channels, eps, elementwise_affine=affine, bias=bias is not None)
    with torch.no_grad():
        if norm.weight is not None:  # a bias alone leaves the scale at 1
            norm.weight.copy_(weight if weight is not None else torch.ones(channels))
        if norm.bias is not None:
            norm.bias.copy_(bias)
    return norm


def _permutation(node: Any) -> tuple[int, ...] | None:
    """The axes order of a ``permute`` of a 4-axis tensor, else None."""
    from torch import fx

    if not isinstance(node, fx.Node) or _method_or_function(node) != "permute":
        return None
    dims: list[Any] = list(node.args[1:])
    if not dims and isinstance(node.kwargs.get("dims"), tuple | list):
        dims = [node.kwargs["dims"]]
    if len(dims) == 1 and isinstance(dims[0], tuple | list):
        dims = list(dims[0])
    if len(dims) != 4 or not all(isinstance(d, int) for d in dims):
        return None
    return tuple(d % 4 for d in dims)


def spatial_mean(node: fx.Node, values: Mapping[fx.Node, Any]) -> tuple[nn.Module, fx.Node] | None:
    """``(module, source)`` when ``node`` ends averaging each feature map of an NxCxHxW
    ``source`` to one value: ``AdaptiveAvgPool2d(1)``, then ``Flatten`` unless the
    result keeps its 1x1 axes. A ``squeeze`` of the 1x1 axes of a pooled ``source``
    (``pool(x).squeeze(-1).squeeze(-1)``) is the ``Flatten`` alone.

    The steps back from ``node`` may be means over the axes after the channels,
    squeezes of such axes and reshapes that keep the batch and channel axes
    (``flatten(2)``, ``view(N, C, -1)``): each averages equally sized groups of one
    channel's values or only rearranges them, so together they give each channel's
    mean. None when ``node`` is neither a mean nor a squeeze; ``PatternError`` for a
    mean over the channels or the batch, one leaving several values per channel, or
    a squeeze that could drop the batch axis.
    """
    from torch import fx, nn

    name = _method_or_function(node)
    if name not in ("mean", "squeeze") or not _is_tensor(values.get(node)):
        return None
    result, first = values[node], node.args[0] if node.args else None
    if not isinstance(first, fx.Node) or not _is_tensor(values.get(first)):
        return None
    if not _within_maps(node, values[first].dim()):
        if name == "squeeze":
            raise PatternError(
                "squeezes without naming the axes, which also drops a batch of one — "
                "write squeeze(-1) or flatten(1)"
            )
        raise PatternError(
            "averages over the channels, the batch or everything; Convas averages "
            "within each feature map (AdaptiveAvgPool2D, GlobalAvgPool2D)"
        )
    leading = tuple(result.shape[:2])
    source: fx.Node | None = None
    averaged = False
    step: Any = node
    while isinstance(step, fx.Node) and _method_or_function(step) in _MAP_STEPS:
        before = step.args[0] if step.args else None
        if not isinstance(before, fx.Node) or not _is_tensor(values.get(before)):
            break
        value = values[before]
        if (
            value.dim() < 3
            or tuple(value.shape[:2]) != leading
            or not _within_maps(step, value.dim())
        ):
            break
        averaged = averaged or _method_or_function(step) == "mean"
        if value.dim() == 4 and (averaged or value.shape[2:].numel() == 1):
            source = before
        step = before
    if source is None:
        return None
    if result.dim() not in (2, 4) or result.shape[2:].numel() != 1:
        per_channel = result.shape[2:].numel()
        raise PatternError(
            f"leaves {per_channel} values of each channel "
            f"({'x'.join(str(d) for d in result.shape[1:])}); Convas keeps one value per "
            "channel, as Cx1x1 (AdaptiveAvgPool2D) or C (GlobalAvgPool2D)"
        )
    if not averaged:  # only 1x1 axes squeezed away (to NxC: a squeeze lowers the rank)
        return nn.Flatten(), source
    pool = nn.AdaptiveAvgPool2d(1)
    return (pool if result.dim() == 4 else nn.Sequential(pool, nn.Flatten())), source


def _within_maps(step: fx.Node, rank: int) -> bool:
    """True when ``step`` (a mean, squeeze, flatten or reshape of a rank-``rank``
    tensor whose first two axes it keeps) touches only the axes after the channels."""
    name = _method_or_function(step)
    if name == "contiguous" or name in _RESHAPES:
        return True  # the kept leading axes were checked on the values
    rest: list[Any] = list(step.args[1:])
    if name == "flatten":
        start = step.kwargs.get("start_dim", rest[0] if rest else 0)
        return isinstance(start, int) and start % rank >= 2
    if step.kwargs.get("dtype") is not None:
        return False
    dims = step.kwargs.get("dim", rest[0] if rest else None)
    if isinstance(dims, int):
        dims = [dims]
    if not isinstance(dims, tuple | list) or not dims:
        return False  # no dim: the mean of everything, or every size-1 axis squeezed
    return all(isinstance(d, int) and -rank <= d < rank and d % rank >= 2 for d in dims)


def _swaps_groups(node: fx.Node) -> bool:
    """True when ``node`` exchanges axes 1 and 2 of a 5-axis tensor, nothing else."""
    rank = 5
    args: list[Any] = list(node.args[1:])
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = list(args[0])
    if not all(isinstance(a, int) for a in args):
        return False
    axes = [a % rank for a in args]
    if _method_or_function(node) == "permute":
        return axes == [0, 2, 1, 3, 4]
    return sorted(axes) == [1, 2]


def _is_split(node: fx.Node) -> bool:
    return _method_or_function(node) in _SPLITS


def _split_piece(
    split: fx.Node, index: Any, values: Mapping[fx.Node, Any]
) -> tuple[nn.Module, fx.Node]:
    from torch import fx

    source = split.args[0]
    pieces = values[split]
    if not isinstance(source, fx.Node) or not isinstance(index, int):
        raise PatternError("picks a piece of a split in a way Convas cannot follow")
    whole = values[source]
    if (
        not _is_tensor(whole)
        or whole.dim() != 4
        or not all(
            _is_tensor(p) and p.dim() == 4 and p.shape[2:] == whole.shape[2:] for p in pieces
        )
    ):
        raise PatternError("splits along an axis other than channels")
    if sum(int(p.shape[1]) for p in pieces) != whole.shape[1]:
        raise PatternError("splits along an axis other than channels")
    index %= len(pieces)
    start = sum(int(p.shape[1]) for p in pieces[:index])
    stop = start + int(pieces[index].shape[1])
    if stop <= start:
        raise PatternError("picks an empty piece of a split")
    return _slice(start, stop), source


def _slice(start: int, stop: int) -> nn.Module:
    from nodes.torch_modules import ChannelSlice

    return ChannelSlice(start, stop)


def _skip_contiguous(arg: Any) -> Any:
    from torch import fx

    while isinstance(arg, fx.Node) and _method_or_function(arg) == "contiguous":
        arg = arg.args[0]
    return arg


def _method_or_function(node: fx.Node) -> str:
    if node.op not in ("call_method", "call_function"):
        return ""
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", "")


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)
