"""What a Conv2D layer has learned, as pictures: its kernels and its feature maps.

Qt-free so that the maths is tested without a window and the editor only turns the
arrays into images. Kernels are shown with zero as mid-grey (a weight's sign matters
more than its size); feature maps are scaled per map so every filter's response is
visible, whatever its range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class ConvViewError(ValueError):
    """The node cannot be shown as a convolution (wrong type, or not in the model)."""


@dataclass(frozen=True)
class KernelTile:
    """One filter as an image: H×W greyscale or H×W×3 RGB, uint8."""

    image: np.ndarray
    note: str  # what the tile shows, for a tooltip


def conv_module(model: nn.Module, node_id: str) -> nn.Conv2d:
    """The ``nn.Conv2d`` inside a compiled Conv2D node (which may add padding and an
    activation around it)."""
    try:
        layer = model.get_submodule(node_id)
    except AttributeError:
        raise ConvViewError(f"'{node_id}' is not a layer of the compiled model") from None
    found = [m for m in layer.modules() if isinstance(m, nn.Conv2d)]
    if len(found) != 1:
        raise ConvViewError(f"'{node_id}' is not a Conv2D layer")
    return found[0]


def signed_to_uint8(values: np.ndarray, scale: float) -> np.ndarray:
    """Map [-scale, scale] to [0, 255] with 0 at 128."""
    scale = scale if scale > 0 else 1.0
    return np.clip(np.rint(127.5 + 127.5 * values / scale), 0, 255).astype(np.uint8)


def range_to_uint8(values: np.ndarray) -> np.ndarray:
    """Map a map's own [min, max] to [0, 255]; a constant map becomes black."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint(255 * (values - low) / (high - low)).astype(np.uint8)


def kernel_tiles(model: nn.Module, node_id: str) -> list[KernelTile]:
    """One tile per filter. Three input channels are shown as colour; any other count
    as the mean over input channels, all tiles on one shared scale so they compare."""
    weight = conv_module(model, node_id).weight.detach().float().cpu().numpy()
    filters, channels = weight.shape[:2]
    scale = float(np.abs(weight).max())
    tiles = []
    for index in range(filters):
        w = weight[index]
        if channels == 3:
            image = signed_to_uint8(np.transpose(w, (1, 2, 0)), scale)
            note = "RGB"
        elif channels == 1:
            image = signed_to_uint8(w[0], scale)
            note = "grey = 0, light = positive, dark = negative"
        else:
            mean = w.mean(axis=0)
            image = signed_to_uint8(mean, float(np.abs(weight.mean(axis=1)).max()))
            note = f"mean over {channels} input channels"
        tiles.append(
            KernelTile(image, f"filter {index + 1} of {filters}: {w.shape[1]}×{w.shape[2]}, {note}")
        )
    return tiles


def feature_maps(model: nn.Module, node_id: str, sample: torch.Tensor) -> torch.Tensor:
    """The node's output (F×H×W, after its activation) for one C×H×W input image."""
    layer = model.get_submodule(node_id)
    captured: list[torch.Tensor] = []

    def keep(_module: nn.Module, _args: object, output: torch.Tensor) -> None:
        captured.append(output.detach())

    handle = layer.register_forward_hook(keep)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            model(sample.unsqueeze(0))
    finally:
        handle.remove()
        model.train(was_training)
    if not captured or captured[0].dim() != 4:
        raise ConvViewError(f"'{node_id}' did not produce feature maps")
    return captured[0][0].cpu()


def feature_map_images(maps: torch.Tensor) -> list[np.ndarray]:
    return [range_to_uint8(m.numpy()) for m in maps.float()]


def sample_image(sample: torch.Tensor) -> np.ndarray:
    """A (normalised) C×H×W input as uint8 greyscale or RGB for display."""
    values = sample.detach().float().cpu().numpy()
    if values.shape[0] == 3:
        return range_to_uint8(np.transpose(values, (1, 2, 0)))
    return range_to_uint8(values.mean(axis=0))
