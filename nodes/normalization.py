"""Layers that regularise or normalise activations without changing their shape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nodes.errors import ShapeError
from nodes.geometry import fmt_shape
from nodes.registry import register
from nodes.spec import (
    FaceHint,
    FaceShow,
    LayerSpec,
    ParamKind,
    Params,
    ParamSpec,
    Preset,
    Shape,
)


def _bn_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"normalises CxHxW feature maps but receives {fmt_shape(shape)} — "
            "place it right after a Conv2D"
        )
    return shape


def _bn_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.BatchNorm2d(
        inputs[0][0], eps=float(params["eps"]), momentum=float(params["momentum"])
    )


def _bn_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    bn = chain[0]
    if type(bn) is not nn.BatchNorm2d or not (bn.affine and bn.track_running_stats):
        return None
    if bn.momentum is None:  # a cumulative average, which Convas does not offer
        return None
    return 1, {"momentum": bn.momentum, "eps": bn.eps}


BATCHNORM2D = LayerSpec(
    type="BatchNorm2D",
    title="BatchNorm2D",
    category="Normalization",
    summary="Normalises each channel over the batch: faster, steadier training.",
    doc="""\
BatchNorm2D rescales each channel so that, over a batch, its values have mean 0 and
variance 1, then applies a learned scale and shift (2 parameters per channel). It
keeps the signal in a healthy range through deep networks, so they train faster and
tolerate higher learning rates. It is usually placed between a Conv2D (with
Activation None and Bias off) and its activation.

During training it uses the batch's statistics and keeps a running average; at
evaluation it uses that running average.

- Momentum: how fast the running average follows new batches.
- Eps: a small number added to the variance to avoid dividing by zero.
""",
    params=(
        ParamSpec(
            "momentum",
            ParamKind.FLOAT,
            0.1,
            "Update rate of the running statistics.",
            title="Momentum",
            minimum=0.0,
            maximum=1.0,
        ),
        ParamSpec(
            "eps",
            ParamKind.FLOAT,
            1e-5,
            "Added to the variance for stability.",
            title="Eps",
            minimum=1e-12,
            maximum=1.0,
        ),
    ),
    shape=_bn_shape,
    build=_bn_build,
    from_torch=_bn_from_torch,
    count_params=lambda params, inputs, output: 2 * inputs[0][0],
)


def _same_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]


def _dropout_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.Dropout(p=float(params["rate"]))


def _dropout_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    return (1, {"rate": chain[0].p}) if type(chain[0]) is nn.Dropout else None


DROPOUT = LayerSpec(
    type="Dropout",
    title="Dropout",
    category="Normalization",
    summary="Randomly zeroes a fraction of values while training, against overfitting.",
    doc="""\
Dropout sets a random fraction of its inputs to zero at each training step and
scales the rest up to compensate. The network cannot rely on any single unit, so it
learns more robust features and overfits less. At evaluation time it does nothing.

- Rate: the fraction of values dropped, between 0 and 1 (0.5 is common before a
  large Dense layer, 0.1-0.3 after convolutions).
""",
    params=(
        ParamSpec(
            "rate",
            ParamKind.FLOAT,
            0.5,
            "Fraction of values set to zero in training.",
            title="Rate",
            minimum=0.0,
            maximum=0.999,
            face=FaceHint(show=FaceShow.ALWAYS, fmt="{value}"),
        ),
    ),
    shape=_same_shape,
    build=_dropout_build,
    from_torch=_dropout_from_torch,
)


def _eps_param() -> ParamSpec:
    return ParamSpec(
        "eps",
        ParamKind.FLOAT,
        1e-5,
        "Added to the variance for stability.",
        title="Eps",
        minimum=1e-12,
        maximum=1.0,
    )


def _group_norm_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    groups = int(params["groups"])
    if shape[0] % groups:
        found = [str(d) for d in range(1, shape[0] + 1) if shape[0] % d == 0]
        raise ShapeError(
            f"Groups {groups} must divide the {shape[0]} channels of {fmt_shape(shape)} — "
            f"use one of {', '.join(found[:8])}",
            param="groups",
        )
    return shape


def _group_norm_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.GroupNorm(int(params["groups"]), inputs[0][0], eps=float(params["eps"]))


def _group_norm_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    norm = chain[0]
    if type(norm) is not nn.GroupNorm or not norm.affine:
        return None
    return 1, {"groups": norm.num_groups, "eps": norm.eps}


GROUPNORM = LayerSpec(
    type="GroupNorm",
    title="GroupNorm",
    category="Normalization",
    summary="Normalises groups of channels within each sample: batch-size independent.",
    doc="""\
GroupNorm splits the channels into Groups groups and normalises each group of each
sample to mean 0 and variance 1 over its channels and positions, then applies a
learned scale and shift per channel (2 parameters per channel). Unlike BatchNorm2D
it never looks across the batch, so it behaves the same in training and evaluation
and works with batches of one or two images.

- Groups: must divide the channels. 1 group normalises each sample as a whole
  (a LayerNorm with per-channel scale); as many groups as channels normalises each
  channel on its own (InstanceNorm). 32 is the usual choice for wide layers.
- Eps: a small number added to the variance to avoid dividing by zero.
""",
    params=(
        ParamSpec(
            "groups",
            ParamKind.INT,
            8,
            "Number of channel groups normalised separately.",
            title="Groups",
            minimum=1,
            maximum=65536,
        ),
        _eps_param(),
    ),
    shape=_group_norm_shape,
    build=_group_norm_build,
    from_torch=_group_norm_from_torch,
    count_params=lambda params, inputs, output: 2 * inputs[0][0],
)


OVER_SAMPLE = "Sample"
OVER_CHANNELS = "Channels"


def _per_pixel(params: Params, inputs: Sequence[Shape]) -> bool:
    """True when the layer normalises the channels at each position of a CxHxW map."""
    return params["over"] == OVER_CHANNELS and len(inputs[0]) == 3


def _layer_norm_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    if _per_pixel(params, inputs):
        from nodes.torch_modules import ChannelLayerNorm

        return ChannelLayerNorm(inputs[0][0], eps=float(params["eps"]))
    # over the whole sample; for a vector its features are its channels: the same
    return nn.LayerNorm(list(inputs[0]), eps=float(params["eps"]))


def _layer_norm_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_modules import ChannelLayerNorm

    norm = chain[0]
    wanted: tuple[int, ...]
    if type(norm) is ChannelLayerNorm and len(shape) == 3:
        over, wanted = OVER_CHANNELS, (shape[0],)
    elif type(norm) is nn.LayerNorm:
        over, wanted = OVER_SAMPLE, tuple(shape)
    else:
        return None
    if tuple(norm.normalized_shape) != wanted:
        return None
    if not norm.elementwise_affine or (norm.bias is None):
        return None
    params: dict[str, Any] = {"eps": norm.eps}
    if over != OVER_SAMPLE:
        params["over"] = over
    return 1, params


def _layer_norm_params(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 2 * (inputs[0][0] if _per_pixel(params, inputs) else math.prod(inputs[0]))


LAYERNORM = LayerSpec(
    type="LayerNorm",
    title="LayerNorm",
    category="Normalization",
    summary="Normalises each sample, or the channels at each pixel (ConvNeXt).",
    doc="""LayerNorm normalises each sample on its own to mean 0 and variance 1, then applies a
learned scale and shift. Like GroupNorm it ignores the batch, so training and
evaluation behave alike. Over says which values are normalised together:

- Sample: all values of the sample — the features of a vector, or every channel and
  position of a CxHxW map (torch's nn.LayerNorm over the whole sample, with a scale
  and shift per value: 2 parameters per value). On feature maps, GroupNorm with 1
  group normalises the same values but learns one scale and shift per channel,
  which is usually what a CNN wants.
- Channels: the C channels at each position of a CxHxW map, separately for every
  pixel, with a scale and shift per channel (2 parameters per channel) — the
  channels-first LayerNorm of ConvNeXt and of vision transformers' convolutional
  stages (in torch: permute to NxHxWxC, nn.LayerNorm(C), permute back). On a
  vector it is the same as Sample.
- Eps: a small number added to the variance to avoid dividing by zero.
""",
    params=(
        ParamSpec(
            "over",
            ParamKind.CHOICE,
            OVER_SAMPLE,
            "Values normalised together: the whole sample, or the channels at each pixel.",
            title="Over",
            choices=(OVER_SAMPLE, OVER_CHANNELS),
            face=FaceHint(show=FaceShow.CHANGED, fmt="over {value}"),
            optional=True,
        ),
        _eps_param(),
    ),
    shape=_same_shape,
    build=_layer_norm_build,
    from_torch=_layer_norm_from_torch,
    count_params=_layer_norm_params,
    presets=(
        Preset(
            "LayerNorm2d (channels)",
            "Normalises the channels at each pixel, as ConvNeXt does (LayerNorm over Channels).",
            {"over": OVER_CHANNELS},
        ),
    ),
)

register(BATCHNORM2D, DROPOUT, GROUPNORM, LAYERNORM)
