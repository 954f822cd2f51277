"""The activation functions a layer can apply, by their display name."""

from __future__ import annotations

from typing import Any

ACTIVATIONS = ("None", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax")

ACTIVATION_HELP = (
    "Non-linearity applied to the output. ReLU is the usual choice for hidden layers; "
    "Softmax turns the last layer's scores into probabilities (leave it None when "
    "training with cross-entropy, which applies it itself)."
)


def build_activation(name: str) -> Any:
    """The torch module for an activation name, or None for 'None'."""
    from torch import nn

    if name == "None":
        return None
    if name == "Softmax":
        return nn.Softmax(dim=1)
    factory: Any = getattr(nn, name)
    return factory()
