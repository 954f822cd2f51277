"""Spatial arithmetic shared by convolution and pooling layers.

``Same`` padding follows TensorFlow/Keras: the output is ``ceil(size / stride)`` for
any kernel and stride, padding asymmetrically (the extra pixel goes after) where the
total is odd. torch's own ``padding='same'`` refuses stride > 1, so the builders pad
explicitly with the amounts computed here. A dilated kernel counts with the span it
covers, ``dilation * (kernel - 1) + 1``, exactly as torch slides it.
"""

from __future__ import annotations

from typing import Any

from nodes.errors import ShapeError
from nodes.spec import Shape


def pair(value: Any) -> tuple[int, int]:
    if isinstance(value, list | tuple):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def fmt_pair(value: tuple[int, int]) -> str:
    return f"{value[0]}x{value[1]}"


def fmt_shape(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def span(params: Any) -> tuple[int, int]:
    """(height, width) of the input a kernel covers, dilation included."""
    kh, kw = pair(params["kernel"])
    dh, dw = pair(params.get("dilation", 1))
    return dh * (kh - 1) + 1, dw * (kw - 1) + 1


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero padding that makes the output ``ceil(size / stride)``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def padding_amounts(params: Any, height: int, width: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding for a layer's ``padding`` parameter."""
    padding = params["padding"]
    if padding == "None":
        return 0, 0, 0, 0
    kh, kw = span(params)
    sh, sw = pair(params["stride"])
    if padding == "Same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        return left, right, top, bottom
    p = int(padding)
    return p, p, p, p


def sliding_output(kind: str, params: Any, shape: Shape) -> tuple[int, int]:
    """Output (height, width) of a kernel sliding over a CxHxW input, or ShapeError."""
    if len(shape) != 3:
        raise ShapeError(
            f"needs a CxHxW image tensor but receives a {len(shape)}-D tensor "
            f"{fmt_shape(shape)} — place it before Flatten/Dense"
        )
    _, height, width = shape
    kh, kw = span(params)
    sh, sw = pair(params["stride"])
    padding = params["padding"]
    if padding == "Same":
        return -(-height // sh), -(-width // sw)
    left, right, top, bottom = padding_amounts(params, height, width)
    ph, pw = height + top + bottom, width + left + right
    if kh > ph or kw > pw:
        padded = "input" if padding == "None" else "padded input"
        kernel = fmt_pair(pair(params["kernel"]))
        if pair(params.get("dilation", 1)) == (1, 1):
            raise ShapeError(
                f"kernel {kernel} is larger than its {padded} {ph}x{pw} — "
                f"reduce Kernel or use Padding Same",
                param="kernel",
            )
        raise ShapeError(
            f"kernel {kernel} at dilation {fmt_pair(pair(params['dilation']))} spans "
            f"{fmt_pair((kh, kw))}, larger than its {padded} {ph}x{pw} — "
            f"reduce Dilation or Kernel, or use Padding Same",
            param="dilation",
        )
    return (ph - kh) // sh + 1, (pw - kw) // sw + 1


def build_padding(params: Any, shape: Shape, fill: float = 0.0) -> Any:
    """A torch padding module for asymmetric amounts, or None when none is needed."""
    from torch import nn

    left, right, top, bottom = padding_amounts(params, shape[1], shape[2])
    if left == right == top == bottom == 0:
        return None
    return nn.ConstantPad2d((left, right, top, bottom), fill)
