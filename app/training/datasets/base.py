"""The in-memory dataset every loader returns, its split and its normalization.

Loaders differ only in how they read files. Once read, every dataset is one
``(N, C, H, W)`` float32 tensor in [0, 1] plus int64 labels, so the training engine
never needs to know where the images came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.training.datasets.builtin import Shape3
from nodes.errors import ConvasError

if TYPE_CHECKING:  # numpy and torch are imported where arrays and tensors are made:
    import numpy as np  # the editor, which only asks about shapes, starts without them
    import torch

_STD_FLOOR = 1e-6
"""Below this a channel is constant; dividing by its std would blow noise up to inf."""

_CHUNK_ELEMENTS = 1 << 22
"""Work on about this many values at a time so large datasets don't double in memory."""


class DatasetError(ConvasError):
    """Data that cannot be loaded or used; the message names the file or dataset."""


def format_shape(shape: Sequence[int]) -> str:
    """``(1, 28, 28)`` -> ``1x28x28``, the way the editor shows shapes."""
    return "x".join(str(int(d)) for d in shape)


def check_request(channels: int, height: int, width: int, size: int | None = None) -> None:
    """Reject an impossible target shape before any file is read."""
    if channels < 1 or height < 1 or width < 1:
        raise DatasetError(
            f"cannot load images as {channels}x{height}x{width}: "
            "channels, height and width must all be at least 1"
        )
    if size is not None and size < 1:
        raise DatasetError(f"dataset size must be at least 1 sample, got {size}")


def from_numpy(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing ``array``'s memory. Loaders go through this so that only
    building a dataset imports torch: listing datasets and checking shapes (which the
    editor does at start-up) must not."""
    import torch

    return torch.from_numpy(array)


def _chunk_samples(x: torch.Tensor) -> int:
    per_sample = max(1, math.prod(x.shape[1:]))
    return max(1, _CHUNK_ELEMENTS // per_sample)


@dataclass(frozen=True)
class Normalization:
    """Per-channel mean and std, fitted on the training part only.

    Fitting on the training part alone keeps validation numbers honest; the values
    are stored with the checkpoint (``to_dict``) so inference normalizes the same way.
    """

    mean: list[float]
    std: list[float]

    def __post_init__(self) -> None:
        if not self.mean or len(self.mean) != len(self.std):
            raise DatasetError(
                f"normalization needs one mean and one std per channel, got "
                f"{len(self.mean)} mean(s) and {len(self.std)} std(s)"
            )
        bad = [s for s in self.std if not (math.isfinite(s) and s > 0)]
        if bad or not all(math.isfinite(m) for m in self.mean):
            raise DatasetError(
                f"normalization values must be finite with std > 0, got mean={self.mean} "
                f"std={self.std}"
            )

    @classmethod
    def fit(cls, x: torch.Tensor) -> Normalization:
        """Mean and population std of each channel of an ``(N, C, H, W)`` tensor."""
        import torch

        if x.ndim != 4 or x.shape[0] == 0:
            raise DatasetError(
                "cannot fit a normalization: the training set is empty or not N×C×H×W "
                f"(got shape {tuple(x.shape)})"
            )
        channels = x.shape[1]
        total = torch.zeros(channels, dtype=torch.float64)
        squares = torch.zeros(channels, dtype=torch.float64)
        step = _chunk_samples(x)
        for start in range(0, x.shape[0], step):
            chunk = x[start : start + step].to(torch.float64)
            total += chunk.sum(dim=(0, 2, 3))
            squares += chunk.square().sum(dim=(0, 2, 3))
        count = x.shape[0] * x.shape[2] * x.shape[3]
        mean = total / count
        std = (squares / count - mean.square()).clamp(min=0.0).sqrt()
        std = torch.where(std < _STD_FLOOR, torch.ones_like(std), std)
        return cls([float(m) for m in mean], [float(s) for s in std])

    @classmethod
    def identity(cls, channels: int) -> Normalization:
        """Leaves values unchanged; for runs with normalization switched off."""
        return cls([0.0] * channels, [1.0] * channels)

    @property
    def channels(self) -> int:
        return len(self.mean)

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize ``(N, C, H, W)`` or ``(C, H, W)`` images (returns a new tensor)."""
        import torch

        if x.ndim < 3 or x.shape[-3] != self.channels:
            raise DatasetError(
                f"normalization was fitted on {self.channels}-channel images but got a "
                f"tensor of shape {tuple(x.shape)}"
            )
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        return (x - mean) / std

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Normalization:
        """Read back ``to_dict`` output, e.g. from a checkpoint's JSON metadata."""
        try:
            mean = [float(v) for v in data["mean"]]
            std = [float(v) for v in data["std"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(
                "normalization must be a mapping with numeric lists 'mean' and 'std', "
                f"got {dict(data)!r}"
            ) from exc
        return cls(mean, std)


@dataclass(eq=False)
class Dataset:
    """Images ``x`` (N, C, H, W) float32 in [0, 1] and labels ``y`` (N,) int64.

    ``classes[i]`` names label ``i``; ``name`` is what the user sees, ``source`` where
    the data came from (a path, or how it was generated).
    """

    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    name: str
    source: str
    notes: tuple[str, ...] = ()
    """What a user should know about how the data was read (e.g. renumbered labels)."""

    def __post_init__(self) -> None:
        import torch

        where = f"dataset '{self.name}' ({self.source})"
        if self.x.ndim != 4 or self.x.dtype != torch.float32:
            raise DatasetError(
                f"{where}: images must be a float32 N×C×H×W tensor, got {self.x.dtype} "
                f"of shape {tuple(self.x.shape)}"
            )
        if self.y.ndim != 1 or self.y.dtype != torch.int64 or len(self.y) != len(self.x):
            raise DatasetError(
                f"{where}: labels must be an int64 vector with one label per image, got "
                f"{self.y.dtype} of shape {tuple(self.y.shape)} for {len(self.x)} images"
            )
        if not self.classes:
            raise DatasetError(f"{where}: has no classes")
        if len(self.y) and (int(self.y.min()) < 0 or int(self.y.max()) >= len(self.classes)):
            raise DatasetError(
                f"{where}: labels run from {int(self.y.min())} to {int(self.y.max())} but "
                f"there are only {len(self.classes)} classes"
            )

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def shape(self) -> Shape3:
        """One image's shape (C, H, W): what the graph's Input node must match."""
        c, h, w = self.x.shape[1:]
        return (int(c), int(h), int(w))

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> list[int]:
        import torch

        return [int(n) for n in torch.bincount(self.y, minlength=self.num_classes)]

    def subset(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> Dataset:
        import numpy as np
        import torch

        index = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        return Dataset(self.x[index], self.y[index], list(self.classes), self.name, self.source)

    def split(self, val_fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
        return split(self, val_fraction, seed)


def stratified_indices(
    labels: np.ndarray, count: int, seed: int, *, keep_one: bool = False
) -> np.ndarray:
    """Pick ``count`` indices with each class in proportion to its size.

    Quotas are rounded by largest remainder so the total is exact. ``keep_one``
    leaves at least one sample of every class unpicked, so a validation split never
    takes a class away from training. Returns sorted indices, the same for a seed.
    """
    import numpy as np

    labels = np.asarray(labels)
    present = np.unique(labels)
    members = [np.flatnonzero(labels == c) for c in present]
    capacity = np.array([len(m) - (1 if keep_one else 0) for m in members], dtype=np.int64)
    count = int(min(max(count, 0), capacity.sum()))
    if count == 0 or len(labels) == 0:
        return np.zeros(0, dtype=np.int64)
    quota = np.array([len(m) for m in members], dtype=np.float64) * count / len(labels)
    take = np.minimum(np.floor(quota).astype(np.int64), capacity)
    # Hand out what rounding left over, biggest fractional part first.
    order = sorted(range(len(members)), key=lambda i: (-(quota[i] - math.floor(quota[i])), i))
    while take.sum() < count:
        for i in order:
            if take.sum() == count:
                break
            if take[i] < capacity[i]:
                take[i] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(m)[:k] for m, k in zip(members, take, strict=True)]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def sample_indices(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray | None:
    """A stratified subset of ``size`` samples, or ``None`` when all are wanted.

    Loaders pick the subset before converting pixels, so asking for 1000 MNIST images
    doesn't decode or resize all 60000.
    """
    if size is None or size >= len(labels):
        return None
    return stratified_indices(labels, size, seed)


def split(dataset: Dataset, val_fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Deterministic stratified (train, validation) split; validation may be empty."""
    if not 0.0 <= val_fraction < 1.0:
        raise DatasetError(
            f"validation fraction must be at least 0 and below 1, got {val_fraction}"
        )
    n = len(dataset)
    n_val = math.floor(val_fraction * n + 0.5)
    if val_fraction > 0 and n_val == 0 and n >= 2:
        n_val = 1
    import numpy as np

    labels = dataset.y.numpy()
    val_index = stratified_indices(labels, n_val, seed, keep_one=True)
    mask = np.ones(n, dtype=bool)
    mask[val_index] = False
    return dataset.subset(np.flatnonzero(mask)), dataset.subset(val_index)


def convert_channels(x: torch.Tensor, channels: int, *, where: str) -> torch.Tensor:
    """Grey -> any count by repetition, RGB -> grey by ITU-R 601 luminance (as Pillow)."""
    import torch

    have = x.shape[1]
    if have == channels:
        return x
    if have == 1:
        return x.repeat(1, channels, 1, 1)
    if have == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)
        return (x * weights).sum(dim=1, keepdim=True)
    raise DatasetError(
        f"{where}: cannot turn {have}-channel images into {channels} channels; "
        "set the Input node to 1 (greyscale) or 3 (RGB) channels"
    )


def resize(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear resize with antialiasing, so shrinking doesn't alias fine strokes."""
    import torch
    from torch.nn import functional

    if x.shape[0] == 0:
        return x.new_zeros((0, x.shape[1], height, width))
    if tuple(x.shape[2:]) == (height, width):
        return x
    step = _chunk_samples(x)
    parts = [
        functional.interpolate(
            x[start : start + step],
            size=(height, width),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        for start in range(0, x.shape[0], step)
    ]
    return torch.cat(parts).clamp_(0.0, 1.0)


def conform(x: torch.Tensor, channels: int, height: int, width: int, *, where: str) -> torch.Tensor:
    """Bring float images in [0, 1] to the requested shape, the cheaper step first."""
    if channels < x.shape[1]:
        return resize(convert_channels(x, channels, where=where), height, width).contiguous()
    return convert_channels(resize(x, height, width), channels, where=where).contiguous()
