"""Layers that move values around without learning: padding, resizing, channel picks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nodes.errors import ShapeError
from nodes.geometry import fmt_shape, pair
from nodes.registry import register
from nodes.spec import FaceHint, LayerSpec, ParamKind, Params, ParamSpec, Shape


def _image(shape: Shape, advice: str) -> Shape:
    if len(shape) != 3:
        raise ShapeError(f"needs a CxHxW image tensor but receives {fmt_shape(shape)} — {advice}")
    return shape


# ---- ZeroPad2D ------------------------------------------------------------------------
_SIDES = ("left", "right", "top", "bottom")


def _pad_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    channels, height, width = _image(inputs[0], "pad before Flatten")
    left, right, top, bottom = (int(params[side]) for side in _SIDES)
    return (channels, height + top + bottom, width + left + right)


def _pad_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    left, right, top, bottom = (int(params[side]) for side in _SIDES)
    return nn.ZeroPad2d((left, right, top, bottom))


def _pad_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    module = chain[0]
    if not isinstance(module, nn.ConstantPad2d) or float(module.value) != 0.0:
        return None  # ZeroPad2d is a ConstantPad2d of 0
    amounts = [int(p) for p in module.padding]
    if len(amounts) != 4 or min(amounts) < 0:
        return None
    return 1, dict(zip(_SIDES, amounts, strict=True))


ZEROPAD2D = LayerSpec(
    type="ZeroPad2D",
    title="ZeroPad2D",
    category="Reshape",
    summary="Adds rows and columns of zeros around each feature map.",
    doc="""\
ZeroPad2D surrounds every feature map with zeros: Left and Right columns, Top and
Bottom rows. Convolutions and pools pad by themselves (their Padding), so this
layer is for the uneven cases: padding one side only, as TensorFlow-trained models
do before a strided convolution, or making two branches the same size before Add.
It has no parameters to learn.
""",
    params=tuple(
        ParamSpec(
            side,
            ParamKind.INT,
            1,
            f"Zero {'columns' if side in ('left', 'right') else 'rows'} added on the {side}.",
            minimum=0,
            maximum=4096,
        )
        for side in _SIDES
    ),
    shape=_pad_shape,
    build=_pad_build,
    from_torch=_pad_from_torch,
)


# ---- Upsample ---------------------------------------------------------------------------
def _upsample_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    channels, height, width = _image(inputs[0], "upsample before Flatten")
    if params["mode"] == "nearest" and params["align_corners"]:
        raise ShapeError(
            "Align corners applies to bilinear only — turn it off or choose bilinear",
            param="align_corners",
        )
    if params["by"] == "Scale":
        if pair(params["size"]) != pair(32):
            raise ShapeError(
                "Size applies when By is Size — choose By Size, or reset Size to 32",
                param="size",
            )
        sh, sw = pair(params["scale"])
        return (channels, height * sh, width * sw)
    if pair(params["scale"]) != pair(2):
        raise ShapeError(
            "Scale applies when By is Scale — choose By Scale, or reset Scale to 2",
            param="scale",
        )
    return (channels, *pair(params["size"]))


def _upsample_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    mode = str(params["mode"])
    align = bool(params["align_corners"]) if mode == "bilinear" else None
    if params["by"] == "Scale":
        sh, sw = pair(params["scale"])
        scale = float(sh) if sh == sw else (float(sh), float(sw))
        return nn.Upsample(scale_factor=scale, mode=mode, align_corners=align)
    height, width = pair(params["size"])
    size = height if height == width else (height, width)
    return nn.Upsample(size=size, mode=mode, align_corners=align)


def _upsample_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    module = chain[0]
    if type(module) is not nn.Upsample or module.mode not in ("nearest", "bilinear"):
        return None
    params: dict[str, Any] = {"mode": module.mode, "align_corners": bool(module.align_corners)}
    if module.size is not None:
        return 1, params | {"by": "Size", "size": list(pair(module.size))}
    factors: Any = module.scale_factor
    sh, sw = (factors[0], factors[1]) if isinstance(factors, tuple | list) else (factors, factors)
    if not (float(sh).is_integer() and float(sw).is_integer()):
        return None  # a fractional scale: Convas scales by whole numbers
    if module.recompute_scale_factor:
        return None
    return 1, params | {"by": "Scale", "scale": [int(sh), int(sw)]}


UPSAMPLE = LayerSpec(
    type="Upsample",
    title="Upsample",
    category="Reshape",
    summary="Enlarges feature maps by a whole factor or to a fixed size.",
    doc="""\
Upsample makes every feature map larger without learning anything: the decoder
half of a U-Net or an autoencoder grows maps back this way, usually followed by a
Conv2D that smooths the result (ConvTranspose2D learns the enlargement instead).

- By: Scale multiplies height and width by Scale; Size resizes to Size whatever
  the input size is.
- Scale: a whole factor, or [height, width] factors; 2 doubles each side.
- Size: the output [height, width] when By is Size.
- Mode: nearest repeats each pixel (blocky, exact); bilinear interpolates between
  the four nearest pixels (smooth).
- Align corners: bilinear only; lines the corner pixels of input and output up
  exactly (torch's align_corners=True) instead of their centres' grid.
""",
    params=(
        ParamSpec(
            "by",
            ParamKind.CHOICE,
            "Scale",
            "Enlarge by a factor or to a size.",
            title="By",
            choices=("Scale", "Size"),
        ),
        ParamSpec(
            "scale",
            ParamKind.INT_PAIR,
            2,
            "Factor for height and width.",
            title="Scale",
            minimum=1,
            maximum=64,
        ),
        ParamSpec(
            "size",
            ParamKind.INT_PAIR,
            32,
            "Output [height, width] when By is Size.",
            title="Size",
            minimum=1,
            maximum=8192,
            optional=True,
        ),
        ParamSpec(
            "mode",
            ParamKind.CHOICE,
            "nearest",
            "How new pixels are filled in.",
            title="Mode",
            choices=("nearest", "bilinear"),
        ),
        ParamSpec(
            "align_corners",
            ParamKind.BOOL,
            False,
            "Bilinear only: align the corner pixels of input and output.",
            title="Align corners",
            optional=True,
        ),
    ),
    shape=_upsample_shape,
    build=_upsample_build,
    from_torch=_upsample_from_torch,
)


# ---- Slice ----------------------------------------------------------------------------
def _slice_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    start, end = int(params["start"]), int(params["end"])
    if end <= start:
        raise ShapeError(
            f"keeps channels [{start}, {end}), which is empty — make End larger than Start",
            param="end",
        )
    if end > shape[0]:
        raise ShapeError(
            f"keeps channels up to {end} but its input has {shape[0]} "
            f"({fmt_shape(shape)}) — use End {shape[0]} or less",
            param="end",
        )
    return (end - start, *shape[1:])


def _slice_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from nodes.torch_modules import ChannelSlice

    return ChannelSlice(int(params["start"]), int(params["end"]))


def _slice_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from nodes.torch_modules import ChannelSlice

    module = chain[0]
    if not isinstance(module, ChannelSlice):
        return None
    return 1, {"start": module.start, "end": module.end}


SLICE = LayerSpec(
    type="Slice",
    title="Slice",
    category="Reshape",
    summary="Keeps a range of channels [Start, End) of its input.",
    doc="""\
Slice keeps the channels from Start up to, but not including, End — torch's
x[:, start:end]. Networks that split their channels into parts use it: ShuffleNet
v2 sends the first half through a branch and passes the second half on unchanged,
DPN splits a convolution's output into a residual part and a dense part. Two Slice
nodes on the same input, [0, c) and [c, C), split it in two; Concat joins parts
back. It works on vectors (features) and CxHxW maps alike.

- Start: the first channel kept (counting from 0).
- End: the channel after the last one kept, at most the input's channel count.
""",
    params=(
        ParamSpec(
            "start",
            ParamKind.INT,
            0,
            "First channel kept (from 0).",
            title="Start",
            minimum=0,
            maximum=65535,
            face=FaceHint(fmt="channels {value}"),
        ),
        ParamSpec(
            "end",
            ParamKind.INT,
            1,
            "Channel after the last one kept.",
            title="End",
            minimum=1,
            maximum=65536,
            face=FaceHint(fmt="–{value}", attach=True),
        ),
    ),
    shape=_slice_shape,
    build=_slice_build,
    from_torch=_slice_from_torch,
)


# ---- ChannelShuffle ---------------------------------------------------------------------
def _shuffle_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    groups = int(params["groups"])
    if len(shape) < 2:
        raise ShapeError(
            f"shuffles the channels of a CxHxW tensor but receives {fmt_shape(shape)} — "
            "place it before Flatten"
        )
    if shape[0] % groups:
        found = [str(d) for d in range(1, shape[0] + 1) if shape[0] % d == 0]
        raise ShapeError(
            f"Groups {groups} must divide the {shape[0]} input channels — "
            f"use one of {', '.join(found[:8])}",
            param="groups",
        )
    return shape


def _shuffle_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from nodes.torch_modules import ChannelShuffle

    return ChannelShuffle(int(params["groups"]))


def _shuffle_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_modules import ChannelShuffle

    module = chain[0]
    if isinstance(module, ChannelShuffle | nn.ChannelShuffle) and len(shape) == 3:
        return 1, {"groups": int(module.groups)}
    return None


CHANNELSHUFFLE = LayerSpec(
    type="ChannelShuffle",
    title="ChannelShuffle",
    category="Reshape",
    summary="Interleaves the channels of its groups (ShuffleNet).",
    doc="""\
ChannelShuffle splits the channels into Groups equal groups and interleaves them:
with 2 groups of 3, channels 0 1 2 | 3 4 5 become 0 3 1 4 2 5. After a grouped
Conv2D each group only sees its own channels; shuffling before the next grouped
convolution lets information flow between groups at no cost (ShuffleNet). The shape
does not change and there is nothing to learn.

- Groups: the number of groups; it must divide the channels.
""",
    params=(
        ParamSpec(
            "groups",
            ParamKind.INT,
            2,
            "Number of channel groups to interleave.",
            title="Groups",
            minimum=1,
            maximum=65536,
        ),
    ),
    shape=_shuffle_shape,
    build=_shuffle_build,
    from_torch=_shuffle_from_torch,
)

register(ZEROPAD2D, UPSAMPLE, SLICE, CHANNELSHUFFLE)
