"""What the built-in datasets are — names, image shapes, classes — known without
loading them.

The editor asks these questions at start-up (does the Input node fit the dataset?),
so they live apart from the loaders, which need numpy, Pillow or scikit-learn.
"""

from __future__ import annotations

Shape3 = tuple[int, int, int]
"""An image shape without the batch dimension: channels, height, width."""

BUILTIN_DATASETS = ("digits", "shapes")
"""Datasets that ship with Convas (no files needed)."""

DIGITS_SHAPE: Shape3 = (1, 8, 8)
DIGITS_COUNT = 1797
DIGITS_CLASSES = tuple(str(d) for d in range(10))

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
SHAPES_COUNT = 2000
"""How many shapes are drawn when the training settings name no number of samples."""
DEFAULT_SHAPE: Shape3 = (1, 28, 28)
"""The shapes dataset's size when nothing asks for another (it is drawn at any size)."""
