"""Flatten, Dense and stand-alone activations: the classifier end of a CNN."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nodes.activations import activation_params, build_activation, check_activation
from nodes.errors import ShapeError
from nodes.geometry import fmt_shape
from nodes.registry import register
from nodes.spec import HIDDEN_FACE, LayerSpec, ParamKind, Params, ParamSpec, Shape


def _flatten_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (math.prod(inputs[0]),)


def _flatten_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    return nn.Flatten()


def _flatten_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    module = chain[0]
    if type(module) is nn.Flatten and (module.start_dim, module.end_dim) == (1, -1):
        return 1, {}
    return None


FLATTEN = LayerSpec(
    type="Flatten",
    title="Flatten",
    category="Core",
    summary="Unrolls a CxHxW tensor into one long vector for Dense layers.",
    doc="""\
Flatten lays out every value of a CxHxW tensor in one row of C*H*W numbers. Dense
layers need such a vector, so Flatten sits between the convolutional part of a
network and its classifier. It has no parameters; the number it produces tells
you how big the next Dense layer's weight matrix will be.
""",
    params=(),
    shape=_flatten_shape,
    build=_flatten_build,
    from_torch=_flatten_from_torch,
)


def _dense_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 1:
        raise ShapeError(
            f"needs a vector but receives a {len(shape)}-D tensor {fmt_shape(shape)} — "
            "insert a Flatten (or GlobalAvgPool2D) before it"
        )
    check_activation(params, "activation")
    return (int(params["units"]),)


def _dense_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    parts: OrderedDict[str, Any] = OrderedDict(
        linear=nn.Linear(inputs[0][0], int(params["units"]), bias=bool(params["bias"]))
    )
    act = build_activation(params, "activation")
    if act is not None:
        parts["act"] = act
    return nn.Sequential(parts)


def _dense_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from torch import nn

    from nodes.torch_match import trailing_activation

    if type(chain[0]) is not nn.Linear:
        return None
    params = {"units": chain[0].out_features, "bias": chain[0].bias is not None}
    count, activation = trailing_activation(chain, 1, 2)
    return count, params | activation


DENSE = LayerSpec(
    type="Dense",
    title="Dense",
    category="Core",
    summary="Fully connected: every output is a weighted sum of every input.",
    doc="""\
Dense (fully connected) computes each of its Units outputs as a weighted sum of all
its inputs plus a bias. After the convolutions have found features, Dense layers
combine them into a decision. The last Dense layer of a classifier has one unit per
class.

- Units: the number of outputs.
- Activation: ReLU for hidden layers; None for the last layer when training with
  cross-entropy (which applies Softmax itself). LeakyReLU takes a Negative slope
  and ELU an Alpha.
- Bias: adds one learned constant per unit.

It needs a vector input: put Flatten or GlobalAvgPool2D before it.
Parameters: Units x (inputs + 1 for bias).
""",
    params=(
        ParamSpec(
            "units",
            ParamKind.INT,
            10,
            "Number of outputs.",
            title="Units",
            minimum=1,
            maximum=1_000_000,
        ),
        *activation_params("activation", "None"),
        ParamSpec(
            "bias",
            ParamKind.BOOL,
            True,
            "Learn one constant per unit.",
            title="Bias",
            face=HIDDEN_FACE,
        ),
    ),
    shape=_dense_shape,
    build=_dense_build,
    from_torch=_dense_from_torch,
    count_params=lambda p, i, o: int(p["units"]) * i[0][0] + (int(p["units"]) if p["bias"] else 0),
    count_macs=lambda p, i, o: int(p["units"]) * i[0][0],
)


def _activation_build(params: Params, inputs: Sequence[Shape]) -> Any:
    from torch import nn

    module = build_activation(params, "function")
    return nn.Identity() if module is None else module


def _activation_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    check_activation(params, "function")
    return inputs[0]


def _activation_from_torch(chain: Sequence[Any], shape: Shape) -> tuple[int, dict[str, Any]] | None:
    from nodes.torch_match import activation_match

    found = activation_match(chain[0], len(shape) + 1, "function")
    return None if found is None else (1, found)


ACTIVATION = LayerSpec(
    type="Activation",
    title="Activation",
    category="Core",
    summary="Applies a non-linearity to every value; the shape does not change.",
    doc="""\
Activation applies one function to every value of its input. Without
non-linearities a stack of layers would collapse into a single linear map, so
every block of a CNN ends with one. Use this node when the activation must come
after another layer, e.g. Conv2D -> BatchNorm2D -> Activation(ReLU).

- Function: ReLU (the usual choice); LeakyReLU (with its Negative slope) and ELU
  (with its Alpha) let a little signal through for negative inputs; GELU and SiLU
  (swish, x * sigmoid(x)) are smooth variants, Hardswish and Hardsigmoid their cheap
  piecewise-linear versions used by mobile networks; Sigmoid and Tanh squash into
  (0, 1) and (-1, 1) — Sigmoid makes the gates of squeeze-and-excitation blocks;
  Softmax gives probabilities over the channel or feature axis and LogSoftmax their
  logarithms.
""",
    params=activation_params("function", "ReLU"),
    shape=_activation_shape,
    build=_activation_build,
    from_torch=_activation_from_torch,
)

register(FLATTEN, DENSE, ACTIVATION)
