"""Helpers for the layers' ``from_torch`` matchers, which recognise them in torch models.

Importing a model (``graph_io.import_torch``) turns its traced operations into a
chain of torch modules and asks each layer whether the chain starts with it. The
layer-specific part stays in each declaration; what several layers share — reading
an activation, a preceding pad module, a window's padding back into Convas's
``padding`` parameter — lives here. torch is imported lazily, like the builders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nodes.activations import ACTIVATIONS, activation_params, build_activation, setting_of
from nodes.geometry import padding_amounts, pair
from nodes.spec import ParamValue, Shape

if TYPE_CHECKING:
    from torch import nn

Amounts = tuple[int, int, int, int]
"""Padding (left, right, top, bottom), the order torch's pad modules use."""

_NO_PADDING: Amounts = (0, 0, 0, 0)


def settings(module: nn.Module, rank: int) -> dict[str, Any]:
    """A module's public configuration, ignoring what never changes its results.

    ``inplace`` and the training flag are left out; a negative or implicit ``dim``
    is resolved against ``rank`` (dimensions including the batch), so
    ``Softmax(dim=-1)`` on vectors equals ``Softmax(dim=1)``.
    """
    found = {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k not in ("training", "inplace")
    }
    if "dim" in found:
        dim = found["dim"]
        if dim is None:  # torch's legacy implicit choice for softmax-like modules
            dim = 0 if rank in (0, 1, 3) else 1
        found["dim"] = dim + rank if dim < 0 else dim
    return found


def activation_match(module: nn.Module, rank: int, name: str) -> dict[str, Any] | None:
    """Convas activation params (``{name: "LeakyReLU", "negative_slope": 0.2}``)
    computing what ``module`` does, or None."""
    from nodes.errors import ParamError

    for function in ACTIVATIONS:
        params: dict[str, Any] = {name: function, **setting_of(function, module)}
        built = build_activation(params, name)
        if (
            built is not None
            and type(built) is type(module)
            and settings(built, rank) == settings(module, rank)
        ):
            specs = {p.name: p for p in activation_params(name, "None")}
            try:
                return {key: specs[key].coerce(value) for key, value in params.items()}
            except ParamError:  # e.g. a negative slope outside Convas's range
                return None
    return None


def trailing_activation(
    chain: Sequence[nn.Module], index: int, rank: int, name: str = "activation"
) -> tuple[int, dict[str, Any]]:
    """(end, params): the activation at ``chain[index]`` folded into a layer, if any."""
    found = activation_match(chain[index], rank, name) if index < len(chain) else None
    return (index + 1, found) if found is not None else (index, {name: "None"})


def leading_padding(chain: Sequence[nn.Module], fill: float) -> tuple[int, Amounts]:
    """(1, amounts) when the chain starts with a constant pad of ``fill``, else (0, zeros)."""
    from torch import nn

    if chain and isinstance(chain[0], nn.ConstantPad2d) and float(chain[0].value) == fill:
        padding = tuple(int(p) for p in chain[0].padding)
        if len(padding) == 4:
            return 1, (padding[0], padding[1], padding[2], padding[3])
    return 0, _NO_PADDING


def own_padding(module: nn.Module) -> tuple[Amounts, bool] | None:
    """The implicit padding of a torch conv or pool module, and whether it was "same".

    None when it is not zeros on every side (e.g. a reflect ``padding_mode``).
    """
    if getattr(module, "padding_mode", "zeros") != "zeros":
        return None
    padding = module.padding
    if padding == "valid":
        return _NO_PADDING, False
    if padding == "same":  # torch puts the odd pixel after, like Convas's Same
        kh, kw = pair(module.kernel_size)
        dh, dw = pair(getattr(module, "dilation", 1))
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2), True
    ph, pw = pair(padding)
    return (pw, pw, ph, ph), False


def padding_param(
    shape: Shape,
    kernel: Any,
    stride: Any,
    amounts: Amounts,
    *,
    prefer_same: bool,
    dilation: Any = 1,
) -> ParamValue | None:
    """Convas's ``padding`` value for explicit pad ``amounts``, or None if it has none.

    Same and an integer can describe the same pixels (3x3 kernel, stride 1); Same is
    chosen when ``prefer_same`` (a separate pad module, as Convas itself builds, or
    torch's ``padding="same"``), the integer otherwise.
    """
    if amounts == _NO_PADDING:
        return "None"
    same = padding_amounts(
        {"padding": "Same", "kernel": kernel, "stride": stride, "dilation": dilation},
        shape[1],
        shape[2],
    )
    uniform = len(set(amounts)) == 1
    if amounts == same and (prefer_same or not uniform):
        return "Same"
    if uniform:
        return amounts[0]
    return None


def window_padding(
    chain: Sequence[nn.Module], start: int, pad: Amounts, shape: Shape
) -> ParamValue | None:
    """The ``padding`` of the conv or pool at ``chain[start]``, pad module included."""
    window = chain[start]
    own = own_padding(window)
    if own is None:
        return None
    implicit, same = own
    if implicit != _NO_PADDING and not getattr(window, "count_include_pad", True):
        return None  # torch would leave the padding out of the average; Convas counts it
    total: Amounts = (
        pad[0] + implicit[0],
        pad[1] + implicit[1],
        pad[2] + implicit[2],
        pad[3] + implicit[3],
    )
    stride = window.stride if window.stride is not None else window.kernel_size
    return padding_param(
        shape,
        pair(window.kernel_size),
        pair(stride),
        total,
        prefer_same=same or start > 0,
        dilation=pair(getattr(window, "dilation", 1)),
    )


def plain_window(module: nn.Module) -> bool:
    """True for a conv/pool without dilation, groups, ceil mode or returned indices."""
    return (
        pair(getattr(module, "dilation", 1)) == (1, 1)
        and getattr(module, "groups", 1) == 1
        and not getattr(module, "ceil_mode", False)
        and not getattr(module, "return_indices", False)
        and getattr(module, "divisor_override", None) is None
    )
