"""Convolution layers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nodes.activations import ACTIVATION_HELP, ACTIVATIONS, build_activation
from nodes.geometry import build_padding, pair, sliding_output
from nodes.registry import register
from nodes.spec import (
    HIDDEN_FACE,
    STRIDE_FACE,
    LayerSpec,
    ParamKind,
    Params,
    ParamSpec,
    Shape,
)

KERNEL_HELP = "Size of the window that slides over the image: an integer or [height, width]."
STRIDE_HELP = "Step between window positions; 2 halves the output size."
PADDING_HELP = (
    "None: no padding, the output shrinks. Same: pad so the output is "
    "ceil(input / stride). An integer: that many zero pixels on every side."
)


def _shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    height, width = sliding_output("Conv2D", params, inputs[0])
    return (int(params["filters"]), height, width)


def _count_params(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    kh, kw = pair(params["kernel"])
    filters = int(params["filters"])
    return filters * inputs[0][0] * kh * kw + (filters if params["bias"] else 0)


def _count_macs(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    kh, kw = pair(params["kernel"])
    return output[0] * output[1] * output[2] * inputs[0][0] * kh * kw


def _build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    parts: OrderedDict[str, Any] = OrderedDict()
    pad = build_padding(params, inputs[0])
    if pad is not None:
        parts["pad"] = pad
    parts["conv"] = nn.Conv2d(
        inputs[0][0],
        int(params["filters"]),
        kernel_size=pair(params["kernel"]),
        stride=pair(params["stride"]),
        bias=bool(params["bias"]),
    )
    act = build_activation(str(params["activation"]))
    if act is not None:
        parts["act"] = act
    return nn.Sequential(parts)


def _from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_match import activation_name, leading_padding, plain_window, window_padding

    start, pad = leading_padding(chain, 0.0)
    if start >= len(chain) or type(chain[start]) is not nn.Conv2d or not plain_window(chain[start]):
        return None
    conv = chain[start]
    padding = window_padding(chain, start, pad, shape)
    if padding is None:
        return None
    params: dict[str, Any] = {
        "filters": conv.out_channels,
        "kernel": list(conv.kernel_size),
        "stride": list(conv.stride),
        "padding": padding,
        "activation": "None",
        "bias": conv.bias is not None,
    }
    end = start + 1
    activation = activation_name(chain[end], 4) if end < len(chain) else None
    if activation is not None:
        params["activation"] = activation
        end += 1
    return end, params


CONV2D = LayerSpec(
    type="Conv2D",
    title="Conv2D",
    category="Convolution",
    summary="Slides learned filters over the image to detect local patterns.",
    doc="""\
Conv2D is the workhorse of a CNN. Picture a small window, the kernel, placed on
the top-left corner of the image. At each position the layer multiplies the pixels
under the window by the kernel's learned weights, adds them up (over every input
channel) and writes one number to the output. Then the window moves right by
Stride pixels, and at the end of a row down by Stride pixels, until it has covered
the image. The grid of numbers it leaves behind is a feature map: bright where the
pattern the kernel learned (an edge, a corner, a stroke) is present.

- Filters: how many different kernels the layer learns. Each one produces its own
  feature map, so Filters is the number of output channels. Early layers use few
  (6-32), deeper layers more (64-512).
- Kernel: the window size, usually 3 (or 5 for a first layer). It can be a pair
  [height, width]. Bigger kernels see more context but cost more.
- Stride: the step of the window. 1 keeps every position; 2 skips every other
  one and halves the output size, a cheap alternative to pooling.
- Padding: None lets the output shrink by Kernel - 1 pixels. Same adds zero pixels
  around the border so the output is exactly ceil(input / stride) — the easy way
  to keep sizes round. An integer pads that many pixels on every side.
- Activation: the non-linearity applied to every output value. ReLU (max(0, x)) is
  the usual choice: cheap, and gradients do not fade in deep networks.
- Bias: adds one learned constant per filter. Turn it off when BatchNorm follows,
  which has its own.

Parameters: Filters x (input channels x Kernel height x Kernel width + 1 for bias).
""",
    params=(
        ParamSpec(
            "filters",
            ParamKind.INT,
            32,
            "Number of learned kernels = output channels.",
            title="Filters",
            minimum=1,
            maximum=65536,
        ),
        ParamSpec(
            "kernel", ParamKind.INT_PAIR, 3, KERNEL_HELP, title="Kernel", minimum=1, maximum=1024
        ),
        ParamSpec(
            "stride",
            ParamKind.INT_PAIR,
            1,
            STRIDE_HELP,
            title="Stride",
            minimum=1,
            maximum=1024,
            face=STRIDE_FACE,
        ),
        ParamSpec("padding", ParamKind.PADDING, "None", PADDING_HELP, title="Padding"),
        ParamSpec(
            "activation",
            ParamKind.CHOICE,
            "ReLU",
            ACTIVATION_HELP,
            title="Activation",
            choices=ACTIVATIONS,
        ),
        ParamSpec(
            "bias",
            ParamKind.BOOL,
            True,
            "Learn one constant per filter.",
            title="Bias",
            face=HIDDEN_FACE,
        ),
    ),
    shape=_shape,
    build=_build,
    count_params=_count_params,
    count_macs=_count_macs,
    from_torch=_from_torch,
)

register(CONV2D)
