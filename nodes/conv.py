"""Convolution layers."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nodes.activations import activation_params, build_activation, check_activation
from nodes.errors import ShapeError
from nodes.geometry import build_padding, fmt_pair, fmt_shape, pair, sliding_output
from nodes.registry import register
from nodes.spec import (
    HIDDEN_FACE,
    STRIDE_FACE,
    FaceHint,
    LayerSpec,
    ParamKind,
    Params,
    ParamSpec,
    Preset,
    Shape,
)

KERNEL_HELP = "Size of the window that slides over the image: an integer or [height, width]."
STRIDE_HELP = "Step between window positions; 2 halves the output size."
PADDING_HELP = (
    "None: no padding, the output shrinks. Same: pad so the output is "
    "ceil(input / stride). An integer: that many zero pixels on every side."
)
DILATION_HELP = (
    "Spacing between the kernel's taps: 2 spreads a 3x3 kernel over 5x5 pixels, seeing "
    "more context for the same weights. 1 is an ordinary convolution."
)
GROUPS_HELP = (
    "Split the input channels into this many groups, each convolved by its own filters "
    "(as in ResNeXt). Must divide both the input channels and Filters; 1 is an ordinary "
    "convolution."
)
DEPTHWISE_HELP = (
    "One group per input channel: each channel is filtered on its own (MobileNet). "
    "Filters must then be a multiple of the input channels."
)


def _dilation_and_groups() -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec(
            "dilation",
            ParamKind.INT_PAIR,
            1,
            DILATION_HELP,
            title="Dilation",
            minimum=1,
            maximum=1024,
            optional=True,
            face=FaceHint(fmt="dilation {short}", hide=(1,)),
        ),
        ParamSpec(
            "groups",
            ParamKind.INT,
            1,
            GROUPS_HELP,
            title="Groups",
            minimum=1,
            maximum=65536,
            optional=True,
            face=FaceHint(fmt="{value} groups", hide=(1,)),
        ),
    )


def _divisors(number: int) -> str:
    found = [str(d) for d in range(1, number + 1) if number % d == 0]
    return ", ".join(found) if len(found) <= 8 else ", ".join([*found[:7], "…", found[-1]])


def groups_of(params: Params, channels: int) -> int:
    """The number of channel groups: one per input channel when depthwise."""
    return channels if params.get("depthwise") else int(params.get("groups", 1))


def check_groups(params: Params, channels: int, filters: int) -> int:
    """The groups of a convolution, or ``ShapeError`` naming the parameter to change."""
    if params.get("depthwise") and int(params.get("groups", 1)) != 1:
        raise ShapeError(
            "Depthwise already makes one group per input channel — set Groups to 1, "
            "or turn Depthwise off to choose the groups yourself",
            param="groups",
        )
    groups = groups_of(params, channels)
    if channels % groups:
        raise ShapeError(
            f"Groups {groups} must divide the {channels} input channels — "
            f"use one of {_divisors(channels)}",
            param="groups",
        )
    if filters % groups:
        what = f"its {channels} input channels" if params.get("depthwise") else f"Groups {groups}"
        raise ShapeError(
            f"Filters {filters} must be a multiple of {what} (each group makes the same "
            f"number of output channels) — use {groups} or {2 * groups}",
            param="filters",
        )
    return groups


def _shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    height, width = sliding_output("Conv2D", params, inputs[0])
    check_groups(params, inputs[0][0], int(params["filters"]))
    check_activation(params, "activation")
    return (int(params["filters"]), height, width)


def _weights_per_filter(params: Params, channels: int) -> int:
    kh, kw = pair(params["kernel"])
    return channels // groups_of(params, channels) * kh * kw


def _count_params(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    filters = int(params["filters"])
    weights = filters * _weights_per_filter(params, inputs[0][0])
    return weights + (filters if params["bias"] else 0)


def _count_macs(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return math.prod(output) * _weights_per_filter(params, inputs[0][0])


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
        dilation=pair(params["dilation"]),
        groups=groups_of(params, inputs[0][0]),
        bias=bool(params["bias"]),
    )
    act = build_activation(params, "activation")
    if act is not None:
        parts["act"] = act
    return nn.Sequential(parts)


def _from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_match import leading_padding, trailing_activation, window_padding

    start, pad = leading_padding(chain, 0.0)
    if start >= len(chain) or type(chain[start]) is not nn.Conv2d:
        return None
    conv = chain[start]
    padding = window_padding(chain, start, pad, shape)
    if padding is None:
        return None
    depthwise = conv.groups == conv.in_channels > 1
    params: dict[str, Any] = {
        "filters": conv.out_channels,
        "kernel": list(conv.kernel_size),
        "stride": list(conv.stride),
        "padding": padding,
        "dilation": list(conv.dilation),
        "groups": 1 if depthwise else conv.groups,
        "depthwise": depthwise,
        "bias": conv.bias is not None,
    }
    count, activation = trailing_activation(chain, start + 1, 4)
    return count, params | activation


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
- Dilation: spacing between the kernel's taps; 2 makes a 3x3 kernel cover 5x5
  pixels (an "atrous" convolution) without more weights.
- Groups: splits the channels into groups convolved separately (ResNeXt); each
  filter then sees only input channels / Groups channels. Depthwise makes one group
  per input channel, so each channel is filtered on its own (MobileNet, where a
  1x1 Conv2D then mixes the channels). The palette's Depthwise Conv2D is this
  layer with Depthwise on.
- Activation: the non-linearity applied to every output value. ReLU (max(0, x)) is
  the usual choice: cheap, and gradients do not fade in deep networks. LeakyReLU
  takes a Negative slope and ELU an Alpha.
- Bias: adds one learned constant per filter. Turn it off when BatchNorm follows,
  which has its own.

Parameters: Filters x (input channels / groups x Kernel height x Kernel width)
+ Filters for the bias.
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
        *_dilation_and_groups(),
        ParamSpec("depthwise", ParamKind.BOOL, False, DEPTHWISE_HELP, optional=True),
        *activation_params("activation", "ReLU"),
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
    presets=(
        Preset(
            "Depthwise Conv2D",
            "Filters each channel on its own (MobileNet); follow it with a 1x1 Conv2D.",
            {"depthwise": True, "padding": "Same", "activation": "None", "bias": False},
        ),
    ),
)


def _transpose_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"needs a CxHxW image tensor but receives {fmt_shape(shape)} — "
            "place it before Flatten/Dense"
        )
    strides, dilations = pair(params["stride"]), pair(params["dilation"])
    for extra, stride, dilation in zip(
        pair(params["output_padding"]), strides, dilations, strict=True
    ):
        if extra >= stride and extra >= dilation:
            raise ShapeError(
                f"Output padding {extra} must be smaller than Stride {stride} or Dilation "
                f"{dilation} (it only picks among the sizes a stride could have come from) "
                f"— use at most {max(stride, dilation) - 1}",
                param="output_padding",
            )
    size = _transpose_size(params, shape)
    if min(size) < 1:
        raise ShapeError(
            f"Padding {fmt_pair(pair(params['padding']))} crops more than the "
            f"{fmt_pair(_transpose_size({**params, 'padding': 0}, shape))} output has — "
            "reduce Padding",
            param="padding",
        )
    check_groups(params, shape[0], int(params["filters"]))
    check_activation(params, "activation")
    return (int(params["filters"]), *size)


def _transpose_size(params: Params, shape: Shape) -> tuple[int, int]:
    """torch's (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + extra + 1."""
    kernel, stride = pair(params["kernel"]), pair(params["stride"])
    padding, extra = pair(params["padding"]), pair(params["output_padding"])
    dilation = pair(params["dilation"])
    height, width = (
        (size - 1) * s - 2 * p + d * (k - 1) + e + 1
        for size, k, s, p, d, e in zip(
            shape[1:], kernel, stride, padding, dilation, extra, strict=True
        )
    )
    return height, width


def _transpose_weights_per_input(params: Params, channels: int) -> int:
    """Weights each input channel owns: Filters / groups output channels x the kernel."""
    kh, kw = pair(params["kernel"])
    return int(params["filters"]) // groups_of(params, channels) * kh * kw


def _transpose_params(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    channels = inputs[0][0]
    weights = channels * _transpose_weights_per_input(params, channels)
    return weights + (int(params["filters"]) if params["bias"] else 0)


def _transpose_macs(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    """Every input value is spread over the kernel of Filters / groups channels."""
    return math.prod(inputs[0]) * _transpose_weights_per_input(params, inputs[0][0])


def _transpose_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    parts: OrderedDict[str, Any] = OrderedDict(
        conv=nn.ConvTranspose2d(
            inputs[0][0],
            int(params["filters"]),
            kernel_size=pair(params["kernel"]),
            stride=pair(params["stride"]),
            padding=pair(params["padding"]),
            output_padding=pair(params["output_padding"]),
            groups=groups_of(params, inputs[0][0]),
            bias=bool(params["bias"]),
            dilation=pair(params["dilation"]),
        )
    )
    act = build_activation(params, "activation")
    if act is not None:
        parts["act"] = act
    return nn.Sequential(parts)


def _transpose_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_match import trailing_activation

    conv = chain[0]
    if type(conv) is not nn.ConvTranspose2d or conv.padding_mode != "zeros":
        return None
    if not isinstance(conv.padding, tuple):
        return None
    depthwise = conv.groups == conv.in_channels > 1
    params: dict[str, Any] = {
        "filters": conv.out_channels,
        "kernel": list(conv.kernel_size),
        "stride": list(conv.stride),
        "padding": list(conv.padding),
        "output_padding": list(conv.output_padding),
        "dilation": list(conv.dilation),
        "groups": 1 if depthwise else conv.groups,
        "depthwise": depthwise,
        "bias": conv.bias is not None,
    }
    count, activation = trailing_activation(chain, 1, 4)
    return count, params | activation


CONVTRANSPOSE2D = LayerSpec(
    type="ConvTranspose2D",
    title="ConvTranspose2D",
    category="Convolution",
    summary="A learned upsampling: each input pixel paints a kernel-sized patch.",
    doc="""\
ConvTranspose2D runs a convolution backwards: every input pixel multiplies the
learned kernel and adds the result into the output at Stride steps, so a stride of
2 roughly doubles height and width. Decoders (U-Net, autoencoders, GAN generators)
use it to grow feature maps while learning how; Upsample followed by Conv2D is the
alternative that avoids checkerboard artefacts.

Output size per axis, as torch computes it:
(input - 1) x Stride - 2 x Padding + Dilation x (Kernel - 1) + Output padding + 1.
Kernel 2 with Stride 2, or Kernel 4, Stride 2, Padding 1, exactly doubles it.

- Filters: output channels.
- Kernel, Stride: the patch each input pixel paints and the step between patches.
- Padding: rows and columns cropped from each border of the result (torch's
  padding of a transposed convolution undoes the padding of the matching Conv2D).
- Output padding: extra rows/columns added on one side to pick the size when a
  strided Conv2D could have come from several; smaller than Stride or Dilation.
- Dilation, Groups, Depthwise: as for Conv2D.
- Activation (with Negative slope for LeakyReLU, Alpha for ELU) and Bias: as for
  Conv2D.

Parameters: input channels x Filters / groups x Kernel height x Kernel width
+ Filters for the bias.
""",
    params=(
        ParamSpec(
            "filters",
            ParamKind.INT,
            16,
            "Number of output channels.",
            title="Filters",
            minimum=1,
            maximum=65536,
        ),
        ParamSpec(
            "kernel", ParamKind.INT_PAIR, 2, KERNEL_HELP, title="Kernel", minimum=1, maximum=1024
        ),
        ParamSpec(
            "stride",
            ParamKind.INT_PAIR,
            2,
            "Step between the patches each input pixel paints; 2 doubles the size.",
            title="Stride",
            minimum=1,
            maximum=1024,
            face=STRIDE_FACE,
        ),
        ParamSpec(
            "padding",
            ParamKind.INT_PAIR,
            0,
            "Rows/columns cropped from each border of the output.",
            title="Padding",
            minimum=0,
            maximum=1024,
            face=FaceHint(fmt="crop {short}", hide=(0,)),
        ),
        ParamSpec(
            "output_padding",
            ParamKind.INT_PAIR,
            0,
            "Extra rows/columns on one side, to pick the output size.",
            title="Output padding",
            minimum=0,
            maximum=1024,
            optional=True,
            face=FaceHint(fmt="+{short}", hide=(0,)),
        ),
        *_dilation_and_groups(),
        ParamSpec("depthwise", ParamKind.BOOL, False, DEPTHWISE_HELP, optional=True),
        *activation_params("activation", "None"),
        ParamSpec(
            "bias",
            ParamKind.BOOL,
            True,
            "Learn one constant per filter.",
            title="Bias",
            face=HIDDEN_FACE,
        ),
    ),
    shape=_transpose_shape,
    build=_transpose_build,
    count_params=_transpose_params,
    count_macs=_transpose_macs,
    from_torch=_transpose_from_torch,
)

register(CONV2D, CONVTRANSPOSE2D)
