"""One entry point from a dataset spec (built-in name or path) to a loaded dataset.

The training config names its data with one string, so this module decides what the
string means — a built-in dataset, a class folder, an .npz or MNIST IDX files — and
answers the questions the editor asks before training: the images' own shape, the
number of classes, and whether the graph's Input node fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from app.training.datasets.base import Dataset, DatasetError, check_request, format_shape
from app.training.datasets.builtin import (
    BUILTIN_DATASETS,
    DEFAULT_SHAPE,
    DIGITS_CLASSES,
    DIGITS_COUNT,
    DIGITS_SHAPE,
    SHAPE_CLASSES,
    SHAPES_COUNT,
    Shape3,
)

# The loaders (numpy, Pillow, scikit-learn) are imported where a dataset is read: the
# editor asks for shapes and class counts at start-up, which built-ins answer alone.


class SourceKind(StrEnum):
    """How a dataset spec is read."""

    DIGITS = "digits"
    SHAPES = "shapes"
    FOLDER = "folder"
    NPZ = "npz"
    IDX = "idx"


_IDX_NAME_PARTS = ("idx3", "idx1")


def _looks_like_idx_file(path: Path) -> bool:
    """By name, else by the IDX magic number (gzipped or not)."""
    if any(part in path.name.lower() for part in _IDX_NAME_PARTS):
        return True
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError:
        return False
    return int.from_bytes(head, "big") in (2049, 2051)


def resolve(spec: str, path: str | None = None) -> tuple[SourceKind, Path | None]:
    """What a spec refers to: a built-in, or the kind of file at a path.

    ``path`` (when given) is the location of file-based data and wins over ``spec``;
    otherwise a spec that is not a built-in name is itself the path.
    """
    if not path:
        name = spec.strip().lower()
        if name in BUILTIN_DATASETS:
            return SourceKind(name), None
        if not spec.strip():
            raise DatasetError(
                f"no dataset given; choose a built-in ({', '.join(BUILTIN_DATASETS)}) or a "
                "folder / .npz / MNIST IDX path"
            )
    location = Path(path or spec.strip()).expanduser()
    if not location.exists():
        where = f"'{location}'"
        if not location.is_absolute():
            where += f" (relative to '{Path.cwd()}')"
        if path:
            raise DatasetError(f"dataset '{spec}': no file or folder at {where}")
        raise DatasetError(
            f"unknown dataset '{spec}': it is not a built-in ({', '.join(BUILTIN_DATASETS)}) "
            f"and there is no file or folder at {where}"
        )
    if location.is_dir():
        try:
            has_idx = any(
                "images-idx3" in p.name.lower() or "images.idx3" in p.name.lower()
                for p in location.iterdir()
                if p.is_file()
            )
        except OSError as exc:
            raise DatasetError(f"cannot list folder '{location}': {exc.strerror or exc}") from exc
        return (SourceKind.IDX if has_idx else SourceKind.FOLDER), location
    if not location.is_file():  # a FIFO or device would block or never end
        raise DatasetError(
            f"dataset '{location}' is not a regular file or folder; point the dataset at "
            "an image folder, an .npz file or MNIST IDX files"
        )
    if location.suffix.lower() == ".npz":
        return SourceKind.NPZ, location
    if _looks_like_idx_file(location):
        return SourceKind.IDX, location
    raise DatasetError(
        f"unsupported dataset file '{location}': expected a folder with one subfolder of "
        "images per class, a .npz file with arrays x and y, or an MNIST IDX file "
        "(*-images-idx3-ubyte[.gz])"
    )


def load_dataset(
    spec: str,
    *,
    channels: int,
    height: int,
    width: int,
    seed: int = 0,
    path: str | None = None,
    size: int | None = None,
) -> Dataset:
    """Load images as ``channels``×``height``×``width`` float32 in [0, 1] with labels.

    ``size`` is the number of samples for ``shapes`` and an optional stratified
    subset (chosen with ``seed``) for every other dataset. Nothing is downloaded.
    """
    from app.training.datasets.arrays import load_idx, load_npz
    from app.training.datasets.digits import load_digits
    from app.training.datasets.folder import load_folder
    from app.training.datasets.shapes import load_shapes

    check_request(channels, height, width, size)
    kind, location = resolve(spec, path)
    if kind is SourceKind.DIGITS:
        return load_digits(channels=channels, height=height, width=width, seed=seed, size=size)
    if kind is SourceKind.SHAPES:
        return load_shapes(channels=channels, height=height, width=width, seed=seed, size=size)
    assert location is not None  # every file-based kind has a location
    loader = {SourceKind.NPZ: load_npz, SourceKind.IDX: load_idx}.get(kind, load_folder)
    return loader(location, channels=channels, height=height, width=width, seed=seed, size=size)


def natural_shape(
    spec: str, path: str | None = None, *, request: Sequence[int] | None = None
) -> Shape3:
    """The dataset's own (C, H, W), before any resizing.

    ``shapes`` is drawn at whatever size is asked, so its natural shape is the
    requested height and width (``request`` = the Input node's C, H, W) in greyscale,
    or 1x28x28 without a request.
    """
    kind, location = resolve(spec, path)
    if kind is SourceKind.DIGITS:
        return DIGITS_SHAPE
    if kind is SourceKind.SHAPES:
        if request is not None and len(request) == 3:
            return (1, int(request[1]), int(request[2]))
        return DEFAULT_SHAPE
    from app.training.datasets.arrays import idx_natural_shape, npz_natural_shape
    from app.training.datasets.folder import folder_natural_shape

    assert location is not None
    if kind is SourceKind.NPZ:
        return npz_natural_shape(location)
    if kind is SourceKind.IDX:
        return idx_natural_shape(location)
    return folder_natural_shape(location)


def num_classes(spec: str, path: str | None = None) -> int:
    """How many outputs the classifier needs, without decoding any images."""
    kind, location = resolve(spec, path)
    if kind is SourceKind.DIGITS:
        return len(DIGITS_CLASSES)
    if kind is SourceKind.SHAPES:
        return len(SHAPE_CLASSES)
    from app.training.datasets.arrays import idx_num_classes, npz_num_classes
    from app.training.datasets.folder import class_folders

    assert location is not None
    if kind is SourceKind.NPZ:
        return npz_num_classes(location)
    if kind is SourceKind.IDX:
        return idx_num_classes(location)
    return len(class_folders(location))


def sample_count(spec: str, path: str | None = None, size: int | None = None) -> int | None:
    """How many images loading will hold in memory, known without decoding any
    (None for .npz and IDX files, whose count needs their arrays read)."""
    kind, location = resolve(spec, path)
    if kind is SourceKind.SHAPES:
        return size or SHAPES_COUNT
    if kind is SourceKind.DIGITS:
        total = DIGITS_COUNT
    elif kind is SourceKind.FOLDER and location is not None:
        from app.training.datasets.folder import class_folders

        total = sum(len(files) for _, files in class_folders(location))
    else:
        return None
    return min(total, size) if size else total


def display_name(spec: str, path: str | None = None) -> str:
    """The short name used in messages: the built-in name or the file/folder name."""
    if not path and spec.strip().lower() in BUILTIN_DATASETS:
        return spec.strip().lower()
    location = Path(path or spec.strip())
    return location.name or str(location)


def check_input_shape(spec: str, natural: Sequence[int], input_shape: Sequence[int]) -> str | None:
    """A fix-it message when the Input node's shape differs from the dataset's images.

    Training still works (images are converted and resized), so this is advice the
    editor shows with a one-click fix, not an error.
    """
    if tuple(int(d) for d in natural) == tuple(int(d) for d in input_shape):
        return None
    want = format_shape(natural)
    return (
        f"Input is {format_shape(input_shape)} but dataset '{display_name(spec)}' has "
        f"{want} images; set the Input node to {want} or choose another dataset"
    )
