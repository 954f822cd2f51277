"""Datasets for training, loaded into memory without Qt and without any download.

A dataset spec is a built-in name (``digits``, ``shapes``) or a path to a folder of
class subfolders, an ``.npz`` file with arrays ``x`` and ``y``, or MNIST-style IDX
files. Every loader returns the same ``Dataset``: float32 images N×C×H×W in [0, 1],
already converted to the channel count and size the graph's Input node asks for.
"""

from app.training.datasets.base import (
    Dataset,
    DatasetError,
    Normalization,
    format_shape,
    split,
)
from app.training.datasets.builtin import BUILTIN_DATASETS, Shape3
from app.training.datasets.load import (
    SourceKind,
    check_input_shape,
    display_name,
    load_dataset,
    natural_shape,
    num_classes,
    resolve,
)

__all__ = [
    "BUILTIN_DATASETS",
    "Dataset",
    "DatasetError",
    "Normalization",
    "Shape3",
    "SourceKind",
    "check_input_shape",
    "display_name",
    "format_shape",
    "load_dataset",
    "natural_shape",
    "num_classes",
    "resolve",
    "split",
]
