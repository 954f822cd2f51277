"""The activation functions a layer can apply, declared once for every layer using them.

Conv2D, ConvTranspose2D, Dense and the stand-alone Activation layer all offer the
same functions through ``activation_params``. Two functions take a setting:
LeakyReLU its negative slope, ELU its alpha. They are two separate optional
parameters rather than one shared "alpha" because their defaults differ (torch's
0.01 and 1.0): a single parameter would have to change meaning with the function,
and files that name ELU without a value would silently change behaviour. Being
optional, they are written to YAML only when changed, and ``check_activation``
refuses a changed value the chosen function would ignore.
"""

from __future__ import annotations

from typing import Any

from nodes.errors import ShapeError
from nodes.spec import ParamKind, Params, ParamSpec

ACTIVATIONS = (
    "None",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Hardswish",
    "Sigmoid",
    "Hardsigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
)

ACTIVATION_HELP = (
    "Non-linearity applied to the output. ReLU is the usual choice for hidden layers; "
    "SiLU (swish) and Hardswish for mobile networks; Sigmoid for gates; Softmax turns "
    "the last layer's scores into probabilities over the channel or feature axis (leave "
    "it None when training with cross-entropy, which applies it itself) and LogSoftmax "
    "into their logarithms (for a negative log-likelihood loss)."
)

NEGATIVE_SLOPE = "negative_slope"
ALPHA = "alpha"

_SETTINGS = {NEGATIVE_SLOPE: ("LeakyReLU", 0.01, "Negative slope"), ALPHA: ("ELU", 1.0, "Alpha")}
"""Each function setting: the one function that reads it, torch's default, its title."""

_PER_CHANNEL = ("Softmax", "LogSoftmax")
"""Functions over the channel (or feature) axis, not value by value."""


def activation_params(name: str, default: str) -> tuple[ParamSpec, ...]:
    """The choice of function (called ``name``) and the two function settings."""
    return (
        ParamSpec(
            name,
            ParamKind.CHOICE,
            default,
            ACTIVATION_HELP,
            title="Activation" if name == "activation" else "Function",
            choices=ACTIVATIONS,
        ),
        ParamSpec(
            NEGATIVE_SLOPE,
            ParamKind.FLOAT,
            _SETTINGS[NEGATIVE_SLOPE][1],
            "LeakyReLU only: the slope for negative inputs (0.01 keeps a small gradient; "
            "0.1-0.3 are also common).",
            title=_SETTINGS[NEGATIVE_SLOPE][2],
            minimum=0.0,
            maximum=10.0,
            optional=True,
            only_when=(name, ("LeakyReLU",)),
        ),
        ParamSpec(
            ALPHA,
            ParamKind.FLOAT,
            _SETTINGS[ALPHA][1],
            "ELU only: the value approached for very negative inputs is -alpha.",
            title=_SETTINGS[ALPHA][2],
            minimum=0.0,
            maximum=100.0,
            optional=True,
            only_when=(name, ("ELU",)),
        ),
    )


def check_activation(params: Params, name: str) -> None:
    """Raise ``ShapeError`` for a function setting the chosen function would ignore."""
    function = str(params[name])
    for setting, (owner, default, title) in _SETTINGS.items():
        value = params.get(setting, default)
        if function != owner and value != default:
            raise ShapeError(
                f"{title} {value} applies to {owner} only, but the function is "
                f"{function} — choose {owner} or reset {title} to {default}",
                param=setting,
            )


def build_activation(params: Params, name: str) -> Any:
    """The torch module for the function chosen in ``params[name]``, or None."""
    from torch import nn

    function = str(params[name])
    if function == "None":
        return None
    if function in _PER_CHANNEL:
        return getattr(nn, function)(dim=1)
    if function == "LeakyReLU":
        return nn.LeakyReLU(float(params.get(NEGATIVE_SLOPE, _SETTINGS[NEGATIVE_SLOPE][1])))
    if function == "ELU":
        return nn.ELU(float(params.get(ALPHA, _SETTINGS[ALPHA][1])))
    factory: Any = getattr(nn, function)
    return factory()


def setting_of(function: str, module: Any) -> dict[str, Any]:
    """The Convas settings of ``function`` read off a torch module (for importing);
    torch's defaults where the module has no such attribute."""
    return {
        setting: float(getattr(module, setting, default))
        for setting, (owner, default, _) in _SETTINGS.items()
        if owner == function
    }
