"""Kernel and feature-map pictures are the layer's real weights and outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from app.training.conv_views import (
    ConvViewError,
    feature_map_images,
    feature_maps,
    kernel_tiles,
    range_to_uint8,
    sample_image,
    signed_to_uint8,
)
from graph_io import Graph
from graph_io.compiler import compile_graph


def graph(channels: int = 1, padding: str = "Same") -> Graph:
    g = Graph("probe")
    g.add_node("Input", "x", {"channels": channels, "height": 9, "width": 7})
    g.add_node(
        "Conv2D",
        "c1",
        {"filters": 4, "kernel": 3, "stride": 2, "padding": padding, "activation": "ReLU"},
        ["x"],
    )
    g.add_node("Conv2D", "c2", {"filters": 5, "kernel": [3, 1], "activation": "None"}, ["c1"])
    return g


def test_feature_maps_are_the_layer_output_for_the_sample() -> None:
    model = compile_graph(graph(), seed=3)
    sample = torch.randn(1, 9, 7)
    maps = feature_maps(model, "c1", sample)
    conv = model.get_submodule("c1")
    weight, bias = next(m for m in conv.modules() if isinstance(m, torch.nn.Conv2d)).parameters()
    # TensorFlow "Same" for 9x7, kernel 3, stride 2: one pixel before and after
    expected = F.relu(F.conv2d(F.pad(sample.unsqueeze(0), (1, 1, 1, 1)), weight, bias, stride=2))[0]
    assert maps.shape == (4, 5, 4)
    assert torch.allclose(maps, expected, atol=1e-6)
    images = feature_map_images(maps)
    assert len(images) == 4
    assert images[0].dtype == np.uint8
    assert images[0].shape == (5, 4)


def test_kernel_tiles_show_every_filter_with_zero_as_grey() -> None:
    model = compile_graph(graph(), seed=0)
    tiles = kernel_tiles(model, "c1")
    assert len(tiles) == 4
    assert tiles[0].image.shape == (3, 3)
    conv = next(m for m in model.get_submodule("c1").modules() if isinstance(m, torch.nn.Conv2d))
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1, 1] = 2.0
        conv.weight[1, 0, 0, 0] = -2.0
    tiles = kernel_tiles(model, "c1")
    assert tiles[0].image[1, 1] == 255
    assert tiles[0].image[0, 0] == 128
    assert tiles[1].image[0, 0] == 0
    assert "filter 1 of 4: 3×3" in tiles[0].note
    many = kernel_tiles(model, "c2")  # 4 input channels: averaged, and said so
    assert len(many) == 5
    assert many[0].image.shape == (3, 1)
    assert "mean over 4 input channels" in many[0].note


def test_rgb_kernels_and_samples_are_colour_images() -> None:
    model = compile_graph(graph(channels=3), seed=0)
    assert kernel_tiles(model, "c1")[0].image.shape == (3, 3, 3)
    assert sample_image(torch.rand(3, 9, 7)).shape == (9, 7, 3)
    assert sample_image(torch.rand(1, 9, 7)).shape == (9, 7)


def test_only_conv_nodes_can_be_shown() -> None:
    model = compile_graph(graph(), seed=0)
    with pytest.raises(ConvViewError, match="'x' is not a layer"):
        kernel_tiles(model, "x")


def test_pixel_scaling() -> None:
    assert signed_to_uint8(np.array([-1.0, 0.0, 1.0]), 1.0).tolist() == [0, 128, 255]
    assert range_to_uint8(np.array([2.0, 4.0])).tolist() == [0, 255]
    assert range_to_uint8(np.full((2, 2), 7.0)).max() == 0
