"""scikit-learn's bundled 8×8 handwritten digits: real data that needs no download."""

from __future__ import annotations

import numpy as np

from app.training.datasets.base import Dataset, conform, from_numpy, sample_indices
from app.training.datasets.builtin import DIGITS_CLASSES


def load_digits(
    *, channels: int, height: int, width: int, seed: int = 0, size: int | None = None
) -> Dataset:
    """All 1797 digits (or a stratified ``size`` of them), pixels 0..16 scaled to [0, 1]."""
    # Imported here: scikit-learn takes a noticeable moment to import and only this
    # dataset needs it.
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)
    labels = np.asarray(bunch.target, dtype=np.int64)
    chosen = sample_indices(labels, size, seed)
    if chosen is not None:
        images, labels = images[chosen], labels[chosen]
    x = conform(from_numpy(images[:, None]), channels, height, width, where="dataset 'digits'")
    return Dataset(
        x=x,
        y=from_numpy(labels),
        classes=list(DIGITS_CLASSES),
        name="digits",
        source="scikit-learn load_digits (bundled 8x8 handwritten digits)",
    )
