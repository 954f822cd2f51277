"""A folder with one subfolder of images per class, read with Pillow.

Class names are the sorted subfolder names, so the label order is the same on every
machine. Images may be greyscale or colour and of any size: each is converted and
resized on the way in, and a file Pillow cannot decode stops loading with its path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from app.training.datasets.base import Dataset, DatasetError, from_numpy, sample_indices
from app.training.datasets.builtin import Shape3

_COMMON_EXTENSIONS = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".gif", ".tif", ".tiff",
        ".webp", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".qoi", ".avif",
    }
)  # fmt: skip
"""Raster formats people keep datasets in; Pillow also registers PDF, EPS and the like,
which are not images to train on."""

_SKIPPED_DIRS = frozenset({"__MACOSX"})
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F"})
_READ_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def _image_extensions() -> frozenset[str]:
    registered = Image.registered_extensions()
    return frozenset(ext for ext in _COMMON_EXTENSIONS if registered.get(ext) in Image.OPEN)


def _is_grey(mode: str) -> bool:
    return mode in _GREY_MODES or mode.startswith("I;16")


def _images_under(folder: Path, extensions: frozenset[str]) -> list[Path]:
    """Image files anywhere below ``folder``, hidden files and folders skipped, sorted."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        found.extend(
            Path(root, name)
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() in extensions
        )
    return sorted(found)


def class_folders(root: Path) -> list[tuple[str, list[Path]]]:
    """``(class name, image files)`` for each class subfolder of ``root``, sorted by name."""
    if not root.is_dir():
        raise DatasetError(f"'{root}' is not a folder of class subfolders")
    try:
        subdirs = sorted(
            entry
            for entry in root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".") and entry.name not in _SKIPPED_DIRS
        )
    except OSError as exc:
        raise DatasetError(f"cannot list folder '{root}': {exc.strerror or exc}") from exc
    if not subdirs:
        raise DatasetError(
            f"'{root}' has no class subfolders; put each class's images in a subfolder "
            f"named after the class, e.g. '{root / 'cat' / '0001.png'}'"
        )
    extensions = _image_extensions()
    classes: list[tuple[str, list[Path]]] = []
    for subdir in subdirs:
        files = _images_under(subdir, extensions)
        if not files:
            raise DatasetError(
                f"class folder '{subdir}' holds no images (looked for "
                f"{', '.join(sorted(extensions))}); add images or remove the folder"
            )
        classes.append((subdir.name, files))
    return classes


def _read_image(path: Path, channels: int, height: int, width: int) -> np.ndarray:
    """One image as (channels, height, width) float32 in [0, 1]."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            if image.mode.startswith("I"):
                # 16-bit greyscale (e.g. scientific PNGs): keep the precision.
                image, scale = image.convert("F"), 65535.0
            elif image.mode == "F":
                scale = 1.0
            else:
                grey = _is_grey(image.mode)
                target = "L" if channels == 1 or (grey and channels != 3) else "RGB"
                image, scale = image.convert(target), 255.0
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32) / np.float32(scale)
    except _READ_ERRORS as exc:
        raise DatasetError(
            f"cannot read image '{path}': {exc}; delete or replace the file"
        ) from exc
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    if pixels.shape[0] == 1 and channels != 1:
        pixels = np.repeat(pixels, channels, axis=0)
    elif pixels.shape[0] != channels:
        raise DatasetError(
            f"'{path}' is a colour image and cannot be loaded with {channels} channels; "
            "set the Input node to 1 (greyscale) or 3 (RGB) channels"
        )
    clipped: np.ndarray = np.clip(pixels, 0.0, 1.0)
    return clipped


def load_folder(
    root: Path, *, channels: int, height: int, width: int, seed: int = 0, size: int | None = None
) -> Dataset:
    """Every image below ``root/<class>/`` (or a stratified ``size`` of them)."""
    classes = class_folders(root)
    files = [path for _, paths in classes for path in paths]
    labels = np.concatenate(
        [np.full(len(paths), label, dtype=np.int64) for label, (_, paths) in enumerate(classes)]
    )
    chosen = sample_indices(labels, size, seed)
    if chosen is not None:
        files, labels = [files[i] for i in chosen], labels[chosen]
    x = np.empty((len(files), channels, height, width), dtype=np.float32)
    for i, path in enumerate(files):
        x[i] = _read_image(path, channels, height, width)
    return Dataset(
        x=from_numpy(x),
        y=from_numpy(labels),
        classes=[name for name, _ in classes],
        name=root.name or str(root),
        source=str(root),
    )


def folder_natural_shape(root: Path) -> Shape3:
    """The (C, H, W) of the first image: the size the folder's images were made at."""
    first = class_folders(root)[0][1][0]
    try:
        with Image.open(first) as image:
            width, height = image.size
            return (1 if _is_grey(image.mode) else 3, height, width)
    except _READ_ERRORS as exc:
        raise DatasetError(
            f"cannot read image '{first}': {exc}; delete or replace the file"
        ) from exc
