"""A likely input shape for a torch model, so the import dialog can suggest one.

A model does not say what image size it expects; its first convolution or linear
layer says how many channels, and trying the usual image sizes finds one its forward
accepts. This runs the user's model (already loaded by ``torch_target``) on zeros, in
no_grad mode, a few times at most.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

SIZES = (28, 32, 64, 224, 8, 16, 96, 128, 299)


def first_channels(model: nn.Module) -> int | None:
    """Input channels of the first convolution (or features of the first linear layer)."""
    for module in model.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            return int(module.in_channels)
        if isinstance(module, nn.Linear):
            return None  # a flat model: no image shape to guess
    return None


def guess_input_shape(model: nn.Module) -> tuple[int, int, int] | None:
    """The first CxHxW (C from the model, H = W from common sizes) the model runs on."""
    channels = first_channels(model)
    if channels is None:
        return None
    was_training = model.training
    model.eval()
    try:
        for size in SIZES:
            with contextlib.suppress(Exception), torch.no_grad():
                model(torch.zeros(1, channels, size, size))
                return (channels, size, size)
    finally:
        model.train(was_training)
    return None
