"""The graph's entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nodes.registry import register
from nodes.spec import HIDDEN_FACE, LayerSpec, ParamKind, Params, ParamSpec, Shape


def _shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (int(params["channels"]), int(params["height"]), int(params["width"]))


def _build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.Identity()


def _from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    if len(shape) != 3:
        return None
    return 0, {"channels": shape[0], "height": shape[1], "width": shape[2]}


INPUT = LayerSpec(
    type="Input",
    title="Input",
    category="Input",
    summary="The image tensor fed to the network: channels x height x width.",
    doc="""\
Input is where data enters the network. Every graph has exactly one.

It declares the shape of one sample, without the batch dimension: a grayscale
28x28 digit is 1x28x28, a colour 32x32 photo is 3x32x32. Every other shape in the
graph is computed from this one, so change it here and all labels update.

When training, the dataset's images are resized to Height x Width and converted to
the number of Channels given here.
""",
    params=(
        ParamSpec(
            "channels",
            ParamKind.INT,
            1,
            "Colour channels: 1 for grayscale, 3 for RGB.",
            title="Channels",
            minimum=1,
            maximum=4096,
            face=HIDDEN_FACE,  # the face shows the output shape, which is the same
        ),
        ParamSpec(
            "height",
            ParamKind.INT,
            28,
            "Image height in pixels.",
            title="Height",
            minimum=1,
            maximum=8192,
            face=HIDDEN_FACE,
        ),
        ParamSpec(
            "width",
            ParamKind.INT,
            28,
            "Image width in pixels.",
            title="Width",
            minimum=1,
            maximum=8192,
            face=HIDDEN_FACE,
        ),
    ),
    shape=_shape,
    build=_build,
    min_inputs=0,
    max_inputs=0,
    is_source=True,
    from_torch=_from_torch,
)

register(INPUT)
