"""Pooling layers: shrink feature maps by summarising small windows."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nodes.conv import KERNEL_HELP, PADDING_HELP, STRIDE_HELP
from nodes.errors import ShapeError
from nodes.geometry import build_padding, fmt_pair, fmt_shape, pair, sliding_output
from nodes.registry import register
from nodes.spec import STRIDE_FACE, LayerSpec, ParamKind, Params, ParamSpec, Shape


def _window_params() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec(
            "kernel", ParamKind.INT_PAIR, 2, KERNEL_HELP, title="Kernel", minimum=1, maximum=1024
        ),
        ParamSpec(
            "stride",
            ParamKind.INT_PAIR,
            2,
            STRIDE_HELP,
            title="Stride",
            minimum=1,
            maximum=1024,
            face=STRIDE_FACE,
        ),
        ParamSpec("padding", ParamKind.PADDING, "None", PADDING_HELP, title="Padding"),
    )


def _pool_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    height, width = sliding_output("pool", params, inputs[0])
    padding, kernel = params["padding"], pair(params["kernel"])
    if isinstance(padding, int) and padding >= min(kernel):
        # A window lying wholly in the padding would output -inf (max) or 0 (average).
        raise ShapeError(
            f"padding {padding} is not smaller than the kernel {fmt_pair(kernel)}, so some "
            f"windows would cover only padding — use Padding below {min(kernel)} or Same",
            param="padding",
        )
    return (inputs[0][0], height, width)


def _builder(pool_cls: str, fill: float) -> Any:
    def build(params: Params, inputs: Sequence[Shape]) -> Any:
        from torch import nn

        parts: OrderedDict[str, Any] = OrderedDict()
        pad = build_padding(params, inputs[0], fill)
        if pad is not None:
            parts["pad"] = pad
        parts["pool"] = getattr(nn, pool_cls)(
            kernel_size=pair(params["kernel"]), stride=pair(params["stride"])
        )
        return nn.Sequential(parts)

    return build


def _matcher(pool_cls: str, fill: float) -> Any:
    def from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
        from torch import nn

        from nodes.torch_match import leading_padding, plain_window, window_padding

        start, pad = leading_padding(chain, fill)
        if start >= len(chain) or type(chain[start]) is not getattr(nn, pool_cls):
            return None
        pool = chain[start]
        padding = window_padding(chain, start, pad, shape) if plain_window(pool) else None
        if padding is None:
            return None
        stride = pool.kernel_size if pool.stride is None else pool.stride
        return start + 1, {
            "kernel": list(pair(pool.kernel_size)),
            "stride": list(pair(stride)),
            "padding": padding,
        }

    return from_torch


MAXPOOL2D = LayerSpec(
    type="MaxPool2D",
    title="MaxPool2D",
    category="Pooling",
    summary="Keeps the largest value of each window: smaller maps, same channels.",
    doc="""\
MaxPool2D slides a window over each feature map, like a convolution without
weights, and keeps only the largest value it sees. A 2x2 window with stride 2
halves height and width and keeps the strongest response of each neighbourhood, so
the network cares less about exactly where a feature is.

- Kernel: window size (2 is usual).
- Stride: step of the window; equal to Kernel for non-overlapping windows.
- Padding: None, Same (output = ceil(input / stride)), or an integer smaller
  than Kernel. Padded pixels never win the maximum.

It has no parameters to learn and keeps the number of channels.
""",
    params=_window_params(),
    shape=_pool_shape,
    build=_builder("MaxPool2d", float("-inf")),
    from_torch=_matcher("MaxPool2d", float("-inf")),
)

AVGPOOL2D = LayerSpec(
    type="AvgPool2D",
    title="AvgPool2D",
    category="Pooling",
    summary="Averages each window: a smoother way to shrink feature maps.",
    doc="""\
AvgPool2D slides a window over each feature map and writes the mean of the values
under it. LeNet-5 used it; modern networks prefer MaxPool2D between blocks and
GlobalAvgPool2D at the end.

- Kernel: window size (2 is usual).
- Stride: step of the window.
- Padding: None, Same (output = ceil(input / stride)), or an integer (smaller
  than Kernel) of zero pixels, which count in the average.

It has no parameters to learn and keeps the number of channels.
""",
    params=_window_params(),
    shape=_pool_shape,
    build=_builder("AvgPool2d", 0.0),
    from_torch=_matcher("AvgPool2d", 0.0),
)


def _global_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"needs a CxHxW image tensor but receives {fmt_shape(shape)} — "
            "connect it to a convolution or pooling output"
        )
    return (shape[0],)


def _global_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.Sequential(OrderedDict(pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten()))


def _global_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    if (
        len(chain) >= 2
        and type(chain[0]) is nn.AdaptiveAvgPool2d
        and pair(chain[0].output_size) == (1, 1)
        and type(chain[1]) is nn.Flatten
        and (chain[1].start_dim, chain[1].end_dim) == (1, -1)
    ):
        return 2, {}
    return None


GLOBALAVGPOOL2D = LayerSpec(
    type="GlobalAvgPool2D",
    title="GlobalAvgPool2D",
    category="Pooling",
    summary="Averages each whole feature map to one number: CxHxW becomes C.",
    doc="""\
GlobalAvgPool2D replaces each feature map by its mean, turning a CxHxW tensor
into a vector of C numbers. Placed after the last convolution it replaces
Flatten + a large Dense layer with something that has no parameters and works for
any image size — the usual ending of ResNet-style networks.
""",
    params=(),
    shape=_global_shape,
    build=_global_build,
    from_torch=_global_from_torch,
)


def _adaptive_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"needs a CxHxW image tensor but receives {fmt_shape(shape)} — "
            "connect it to a convolution or pooling output"
        )
    return (shape[0], *pair(params["output_size"]))


def _adaptive_builder(pool_cls: str) -> Any:
    def build(params: Params, inputs: Sequence[Shape]) -> Any:
        from torch import nn

        return getattr(nn, pool_cls)(_compact_pair(params["output_size"]))

    return build


def _compact_pair(value: Any) -> int | tuple[int, int]:
    height, width = pair(value)
    return height if height == width else (height, width)


def _adaptive_matcher(pool_cls: str) -> Any:
    def from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
        from torch import nn

        pool = chain[0]
        if type(pool) is not getattr(nn, pool_cls) or getattr(pool, "return_indices", False):
            return None
        size = pool.output_size
        wanted = list(size) if isinstance(size, tuple | list) else [size, size]
        if len(wanted) != 2 or len(shape) != 3:
            return None
        # None keeps that axis's input size.
        resolved = [shape[1 + axis] if s is None else int(s) for axis, s in enumerate(wanted)]
        return 1, {"output_size": resolved}

    return from_torch


def _adaptive_params() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec(
            "output_size",
            ParamKind.INT_PAIR,
            1,
            "Height and width of every output map: an integer or [height, width]. "
            "1 summarises each whole map as one value (Cx1x1).",
            title="Output size",
            minimum=1,
            maximum=8192,
        ),
    )


_ADAPTIVE_DOC = """\
{title} divides each feature map into an Output size grid of nearly equal
regions and keeps the {what} of each region, whatever the input size: with
Output size 1, CxHxW becomes Cx1x1. The regions are those torch uses: region i
of n on an axis of size s spans [floor(i*s/n), ceil((i+1)*s/n)), so they overlap
by a pixel when n does not divide s, and an Output size larger than the input
repeats pixels.

Unlike GlobalAvgPool2D it keeps the spatial axes, so a Cx1x1 result can feed a
1x1 Conv2D and gate the block's channels through Multiply (squeeze-and-excitation).
Follow it with Flatten to get a vector. It has no parameters to learn.
"""

ADAPTIVEAVGPOOL2D = LayerSpec(
    type="AdaptiveAvgPool2D",
    title="AdaptiveAvgPool2D",
    category="Pooling",
    summary="Averages each map down to a fixed size; size 1 gives Cx1x1.",
    doc=_ADAPTIVE_DOC.format(title="AdaptiveAvgPool2D", what="mean"),
    params=_adaptive_params(),
    shape=_adaptive_shape,
    build=_adaptive_builder("AdaptiveAvgPool2d"),
    from_torch=_adaptive_matcher("AdaptiveAvgPool2d"),
)

ADAPTIVEMAXPOOL2D = LayerSpec(
    type="AdaptiveMaxPool2D",
    title="AdaptiveMaxPool2D",
    category="Pooling",
    summary="Keeps the maximum of each region of a fixed grid; size 1 gives Cx1x1.",
    doc=_ADAPTIVE_DOC.format(title="AdaptiveMaxPool2D", what="largest value"),
    params=_adaptive_params(),
    shape=_adaptive_shape,
    build=_adaptive_builder("AdaptiveMaxPool2d"),
    from_torch=_adaptive_matcher("AdaptiveMaxPool2d"),
)

register(MAXPOOL2D, AVGPOOL2D, GLOBALAVGPOOL2D, ADAPTIVEAVGPOOL2D, ADAPTIVEMAXPOOL2D)
