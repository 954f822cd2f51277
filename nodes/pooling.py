"""Pooling layers: shrink feature maps by summarising small windows."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nodes.conv import KERNEL_HELP, PADDING_HELP, STRIDE_HELP
from nodes.errors import ShapeError
from nodes.geometry import build_padding, fmt_shape, pair, sliding_output
from nodes.registry import register
from nodes.spec import LayerSpec, ParamKind, Params, ParamSpec, Shape


def _window_params() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("kernel", ParamKind.INT_PAIR, 2, KERNEL_HELP, title="Kernel",
                  minimum=1, maximum=1024),
        ParamSpec("stride", ParamKind.INT_PAIR, 2, STRIDE_HELP, title="Stride",
                  minimum=1, maximum=1024),
        ParamSpec("padding", ParamKind.PADDING, "None", PADDING_HELP, title="Padding"),
    )


def _pool_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    height, width = sliding_output("pool", params, inputs[0])
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
- Padding: None, Same (output = ceil(input / stride)), or an integer. Padded
  pixels never win the maximum.

It has no parameters to learn and keeps the number of channels.
""",
    params=_window_params(),
    shape=_pool_shape,
    build=_builder("MaxPool2d", float("-inf")),
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
- Padding: None, Same (output = ceil(input / stride)), or an integer of zero
  pixels, which count in the average.

It has no parameters to learn and keeps the number of channels.
""",
    params=_window_params(),
    shape=_pool_shape,
    build=_builder("AvgPool2d", 0.0),
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
)

register(MAXPOOL2D, AVGPOOL2D, GLOBALAVGPOOL2D)
