"""Layers that join branches: residual sums, gating products and channel concatenation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nodes.errors import ShapeError
from nodes.geometry import fmt_shape
from nodes.registry import register
from nodes.spec import LayerSpec, Params, Shape


def _add_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    first = inputs[0]
    for index, shape in enumerate(inputs[1:], start=2):
        if shape != first:
            raise ShapeError(
                f"adds tensors of equal shape but input 1 is {fmt_shape(first)} and input "
                f"{index} is {fmt_shape(shape)} — make both branches end with the same "
                "channels and size (e.g. a 1x1 Conv2D on the skip path)"
            )
    return first


def _multiply_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    """torch's broadcasting, limited to inputs of one rank: an axis of size 1 repeats.

    Equal ranks keep it unambiguous: torch would align a C vector with an image's
    width, not its channels.
    """
    out = list(inputs[0])
    for index, shape in enumerate(inputs[1:], start=2):
        if len(shape) != len(out):
            raise ShapeError(
                f"multiplies tensors of the same rank but input 1 is {fmt_shape(inputs[0])} "
                f"and input {index} is {fmt_shape(shape)} — for a channel gate from "
                "Dense, use a 1x1 Conv2D after an AdaptiveAvgPool2D (Cx1x1) instead"
            )
        for axis, (have, size) in enumerate(zip(out, shape, strict=True)):
            if have != size and 1 not in (have, size):
                raise ShapeError(
                    f"multiplies tensors whose sizes agree or are 1 on every axis, but input "
                    f"{index} is {fmt_shape(shape)} against {fmt_shape(tuple(out))} (axis "
                    f"{axis + 1}) — gate with a Cx1x1 tensor or match the shapes"
                )
            out[axis] = max(have, size)
    return tuple(out)


def _concat_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    first = inputs[0]
    for index, shape in enumerate(inputs[1:], start=2):
        if len(shape) != len(first) or shape[1:] != first[1:]:
            raise ShapeError(
                f"joins inputs along channels, so all must share their spatial size, but "
                f"input 1 is {fmt_shape(first)} and input {index} is {fmt_shape(shape)} — "
                "use Padding Same or matching strides on both branches"
            )
    return (sum(shape[0] for shape in inputs), *first[1:])


def _add_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from nodes.torch_modules import Add

    return Add()


def _multiply_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from nodes.torch_modules import Multiply

    return Multiply()


def _multiply_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from nodes.torch_modules import Multiply

    return (1, {}) if isinstance(chain[0], Multiply) else None


def _concat_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from nodes.torch_modules import Concat

    return Concat()


def _add_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from nodes.torch_modules import Add

    return (1, {}) if isinstance(chain[0], Add) else None


def _concat_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from nodes.torch_modules import Concat

    return (1, {}) if isinstance(chain[0], Concat) else None


ADD = LayerSpec(
    type="Add",
    title="Add",
    category="Merge",
    summary="Sums two or more tensors of the same shape (skip connections).",
    doc="""\
Add sums its inputs element by element. It is how a residual (skip) connection
rejoins the main path: the block only has to learn a correction to its input, which
lets very deep networks (ResNets) train. All inputs must have exactly the same
shape; when a block changes channels or size, put a 1x1 Conv2D with the same stride
on the skip path.
""",
    params=(),
    shape=_add_shape,
    build=_add_build,
    from_torch=_add_from_torch,
    min_inputs=2,
    max_inputs=None,
)

CONCAT = LayerSpec(
    type="Concat",
    title="Concat",
    category="Merge",
    summary="Stacks two or more tensors along the channel axis.",
    doc="""\
Concat places its inputs side by side along the channel axis, in input order: 16
channels and 32 channels make 48. Branches of different widths (as in Inception
or DenseNet) can be joined this way, but they must share height and width.
Vectors are joined end to end.
""",
    params=(),
    shape=_concat_shape,
    build=_concat_build,
    from_torch=_concat_from_torch,
    min_inputs=2,
    max_inputs=None,
)

MULTIPLY = LayerSpec(
    type="Multiply",
    title="Multiply",
    category="Merge",
    summary="Multiplies tensors element by element; a Cx1x1 gate scales each channel.",
    doc="""\
Multiply takes the element-wise product of its inputs. Its main use is gating: in
a squeeze-and-excitation block, AdaptiveAvgPool2D shrinks the feature maps to
Cx1x1, two 1x1 Conv2D layers ending in Sigmoid turn that into one weight between
0 and 1 per channel, and Multiply scales each channel of the CxHxW block output by
its weight. Swish (x * sigmoid(x)) is the same pattern with a Sigmoid activation.

Inputs must have the same number of axes; on each axis their sizes must be equal
or 1, and a size of 1 repeats across the other input (torch's broadcasting): Cx1x1
times CxHxW is CxHxW, 1xHxW times CxHxW weights every position.
""",
    params=(),
    shape=_multiply_shape,
    build=_multiply_build,
    from_torch=_multiply_from_torch,
    min_inputs=2,
    max_inputs=None,
)

register(ADD, CONCAT, MULTIPLY)
