"""Images stored as arrays: NumPy ``.npz`` archives and MNIST-style IDX files.

Both are parsed without pickle (an ``.npz`` with object arrays is refused, since
unpickling can run code) and checked against their own headers, so a truncated
download or a swapped file gets a message naming it instead of a NumPy traceback.
"""

from __future__ import annotations

import gzip
import math
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.training.datasets.base import (
    Dataset,
    DatasetError,
    conform,
    from_numpy,
    sample_indices,
)
from app.training.datasets.builtin import Shape3

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_SAVE_HINT = "save it with np.savez(path, x=images, y=labels)"
_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
_IMAGES_NAME = re.compile(r"images([-.])idx3", re.IGNORECASE)
_LABELS_NAME = re.compile(r"labels([-.])idx1", re.IGNORECASE)


# --------------------------------------------------------------------------- shared


def _images_to_nchw(x: np.ndarray, where: str) -> np.ndarray:
    """Accept N×H×W, N×C×H×W or N×H×W×C (C = 1 or 3); channels-first wins a tie."""
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x
    if x.ndim == 4 and x.shape[3] in (1, 3):
        return x.transpose(0, 3, 1, 2)
    raise DatasetError(
        f"{where}: images have shape {x.shape}; expected N×H×W, N×H×W×C or N×C×H×W "
        "with C = 1 (greyscale) or 3 (RGB)"
    )


def _to_unit_float(x: np.ndarray, where: str) -> np.ndarray:
    """uint8 0..255 or float 0..1 (or bool) -> float32 in [0, 1]."""
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    if x.dtype == np.bool_:
        return x.astype(np.float32)
    if x.dtype.kind != "f":
        raise DatasetError(
            f"{where}: images have dtype {x.dtype}; expected uint8 (0..255) or float (0..1)"
        )
    values = x.astype(np.float32)
    finite = np.isfinite(values)
    if values.size and not finite.all():
        bad = int(values.size - np.count_nonzero(finite))
        raise DatasetError(
            f"{where}: {bad:,} of {values.size:,} pixel values are NaN or infinite; "
            "fix or drop those images"
        )
    if values.size and not (values.min() >= 0 and values.max() <= 1):
        raise DatasetError(
            f"{where}: float images must lie in [0, 1] but range from {values.min():g} "
            f"to {values.max():g}; divide by 255 or store uint8"
        )
    return values


def _labels_and_classes(
    y: np.ndarray, names: Sequence[str] | None, where: str
) -> tuple[np.ndarray, list[str]]:
    """int64 labels 0..K-1 and their names.

    Without names, labels are renumbered in sorted order and named by their original
    value, so labels {1, 5, 7} give 3 outputs named '1', '5', '7' rather than 8.
    """
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise DatasetError(
            f"{where}: labels must be a vector of integer class indices, got dtype "
            f"{y.dtype} with shape {y.shape}"
        )
    labels = y.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise DatasetError(f"{where}: labels must be >= 0, found {int(labels.min())}")
    if names is not None:
        if labels.size and labels.max() >= len(names):
            raise DatasetError(
                f"{where}: label {int(labels.max())} has no name: 'classes' lists only "
                f"{len(names)} names"
            )
        return labels, list(names)
    present, renumbered = np.unique(labels, return_inverse=True)
    return renumbered.astype(np.int64).reshape(-1), [str(int(v)) for v in present]


def renumbering_note(classes: Sequence[str], where: str) -> str | None:
    """Say so when labels were renumbered: {0, 15, 200} train as classes 0, 1, 2.

    Renumbering is right (a model needs one output per class, not 201), but a user
    who compares predictions with the file's own label values must know about it.
    """
    if not all(c.isdigit() for c in classes):
        return None
    values = [int(c) for c in classes]
    if values == list(range(len(values))):
        return None
    shown = ", ".join(classes[:6]) + (", ..." if len(classes) > 6 else "")
    return (
        f"{where}: labels {{{shown}}} are not 0..{len(values) - 1}; they were renumbered "
        f"0..{len(values) - 1} in sorted order (class names keep the original values)"
    )


def _make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    *,
    path: Path,
    request: tuple[int, int, int, int, int | None],
    name: str | None = None,
) -> Dataset:
    """Subset first, then convert: cheap for a small ``size`` out of a large file."""
    channels, height, width, seed, size = request
    where = f"'{path}'"
    chosen = sample_indices(labels, size, seed)
    if chosen is not None:
        images, labels = images[chosen], labels[chosen]
    pixels = _to_unit_float(_images_to_nchw(images, where), where)
    x = conform(from_numpy(np.ascontiguousarray(pixels)), channels, height, width, where=where)
    if name is None:
        name = path.name.removesuffix(".gz").removesuffix(".npz") or str(path)
    note = renumbering_note(classes, where)
    return Dataset(x, from_numpy(labels), classes, name, str(path), notes=(note,) if note else ())


# --------------------------------------------------------------------------- npz


def _npz_array(data: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    if key not in data.files:
        held = ", ".join(repr(f) for f in data.files) or "no arrays"
        raise DatasetError(f"'{path}' has no array '{key}' (it holds {held}); {_SAVE_HINT}")
    _check_promised_size(data, key, path)
    try:
        array = data[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DatasetError(
                f"'{path}': array '{key}' holds pickled Python objects, which are not "
                f"loaded because unpickling can run code; {_SAVE_HINT} using numeric arrays"
            ) from exc
        raise DatasetError(f"'{path}': cannot read array '{key}': {exc}") from exc
    except _NPZ_ERRORS as exc:
        raise DatasetError(f"'{path}' is truncated or corrupt (array '{key}'): {exc}") from exc
    if not isinstance(array, np.ndarray):
        raise DatasetError(f"'{path}': '{key}' is not an array")
    return array


def _check_promised_size(data: np.lib.npyio.NpzFile, key: str, path: Path) -> None:
    """An array's header must not promise more bytes than its archive member holds.

    A damaged or hostile file can declare a shape of hundreds of gigabytes in a few
    bytes; reading it would try to allocate all of that before noticing.
    """
    archive = data.zip
    if archive is None:
        return
    try:
        member = archive.getinfo(f"{key}.npy")
        with archive.open(member) as stream:
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(stream)
            header_end = stream.tell()
    except (KeyError, *_NPZ_ERRORS):
        return  # reading the array reports the problem precisely
    if dtype.hasobject:
        return  # refused as pickled objects when read
    promised = int(np.prod(shape, dtype=object)) * dtype.itemsize
    present = member.file_size - header_end
    if promised > present:
        dims = "x".join(str(d) for d in shape)
        raise DatasetError(
            f"'{path}' is truncated or corrupt: its array '{key}' declares shape {dims} "
            f"({promised:,} bytes) but holds {max(present, 0):,} bytes; save it again"
        )


def _open_npz(path: Path) -> np.lib.npyio.NpzFile:
    _check_zip(path)
    try:
        data = np.load(path, allow_pickle=False)
    except _NPZ_ERRORS as exc:
        if "pickle" in str(exc).lower():
            raise DatasetError(
                f"'{path}' holds pickled Python objects, which are not loaded because "
                f"unpickling can run code; {_SAVE_HINT}"
            ) from exc
        raise DatasetError(f"cannot read '{path}' as a .npz archive: {exc}") from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise DatasetError(f"'{path}' is a single .npy array, not a .npz archive; {_SAVE_HINT}")
    return data


def _check_zip(path: Path) -> None:
    """An .npz is a zip archive: say so plainly when the file is something else.

    ``np.load`` treats any file that is neither zip nor .npy as a pickle and then
    reports "pickled Python objects", even for a 5-byte text file.
    """
    try:
        info = path.stat()
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError as exc:
        raise DatasetError(f"cannot read '{path}': {exc.strerror or exc}") from exc
    if head == b"PK\x03\x04" or (head == b"PK\x05\x06" and info.st_size >= 22):
        return
    if head[:1] == b"\x93" or head.startswith(b"\x80"):
        return  # a .npy array or a real pickle: np.load explains those precisely
    raise DatasetError(
        f"'{path}' is not a .npz archive ({info.st_size} bytes, not a zip file); {_SAVE_HINT}"
    )


def _npz_class_names(data: np.lib.npyio.NpzFile, path: Path) -> list[str] | None:
    if "classes" not in data.files:
        return None
    names = _npz_array(data, "classes", path)
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise DatasetError(
            f"'{path}': 'classes' must be a 1-D array of strings, got dtype {names.dtype} "
            f"with shape {names.shape}"
        )
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with _open_npz(path) as data:
        x = _npz_array(data, "x", path)
        y = _npz_array(data, "y", path)
        names = _npz_class_names(data, path)
    if len(x) != len(y):
        raise DatasetError(
            f"'{path}': x holds {len(x)} images but y holds {len(y)} labels; "
            "they must have the same length"
        )
    labels, classes = _labels_and_classes(y, names, f"'{path}'")
    return x, labels, classes


def load_npz(
    path: Path, *, channels: int, height: int, width: int, seed: int = 0, size: int | None = None
) -> Dataset:
    """Images ``x`` and labels ``y`` (and optional ``classes`` names) from an .npz file."""
    x, labels, classes = _read_npz(path)
    return _make_dataset(
        x, labels, classes, path=path, request=(channels, height, width, seed, size)
    )


def npz_natural_shape(path: Path) -> Shape3:
    """(C, H, W) of ``x`` from the array header alone, without reading the pixels."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("x.npy") as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, _ = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, _ = np.lib.format.read_array_header_2_0(member)
    except KeyError as exc:
        raise DatasetError(f"'{path}' has no array 'x'; {_SAVE_HINT}") from exc
    except _NPZ_ERRORS as exc:
        raise DatasetError(f"cannot read '{path}' as a .npz archive: {exc}") from exc
    header_only = np.empty((0, *tuple(shape)[1:]), dtype=np.uint8)
    _, c, h, w = _images_to_nchw(header_only, f"'{path}'").shape
    return (c, h, w)


def npz_num_classes(path: Path) -> int:
    """From ``y`` and ``classes`` alone: the images may be large and aren't needed."""
    with _open_npz(path) as data:
        y = _npz_array(data, "y", path)
        names = _npz_class_names(data, path)
    return len(_labels_and_classes(y, names, f"'{path}'")[1])


# --------------------------------------------------------------------------- IDX


_READ_CHUNK = 1 << 24


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (at most ``limit``), gunzipped when it starts with the gzip magic.

    Read in chunks: a header may promise any size, and 3 MB of gzip can unpack to
    3 GB, so nothing is allocated beyond what the file really holds up to ``limit``.
    """
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rb") if gzipped else path.open("rb") as stream:
            if limit < 0:
                return stream.read()
            parts, remaining = [], limit
            while remaining > 0:
                part = stream.read(min(remaining, _READ_CHUNK))
                if not part:
                    break
                parts.append(part)
                remaining -= len(part)
            return b"".join(parts)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"cannot read '{path}' (truncated or corrupt?): {exc}") from exc


def _idx_header(data: bytes, path: Path, magic: int) -> tuple[int, tuple[int, ...]]:
    """Header size and dimensions, after checking the magic number."""
    what = {IDX_IMAGES_MAGIC: "images", IDX_LABELS_MAGIC: "labels"}
    if len(data) < 4:
        raise DatasetError(f"'{path}' is truncated: {len(data)} bytes, too short for an IDX file")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        actually = f" (it is an IDX {what[found]} file)" if found in what else ""
        raise DatasetError(
            f"'{path}' is not an IDX {what[magic]} file: magic number {found}, expected "
            f"{magic}{actually}"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"'{path}' is truncated inside its header ({len(data)} bytes)")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return header, dims


def read_idx(path: Path, magic: int) -> np.ndarray:
    """A uint8 IDX array, its length checked against the header.

    The header is read first and then at most one byte more than it promises, so
    an unpacked size far beyond the promise is refused without reading it all.
    """
    header, dims = _idx_header(_read_bytes(path, 4 + 4 * 255), path, magic)
    expected = math.prod(dims)
    data = _read_bytes(path, header + expected + 1)
    present = len(data) - header
    if present != expected:
        problem, found = (
            ("is truncated", f"only {present} follow")
            if present < expected
            else ("has extra bytes", "more follow")
        )
        raise DatasetError(
            f"'{path}' {problem}: its header promises {'x'.join(map(str, dims))} = "
            f"{expected} bytes of data but {found}; download the file again"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def _pick_images_file(folder: Path) -> Path:
    """The training images file of a folder holding MNIST-style IDX pairs."""
    found = sorted(p for p in folder.iterdir() if p.is_file() and _IMAGES_NAME.search(p.name))
    if not found:
        raise DatasetError(f"'{folder}' holds no IDX images file (*-images-idx3-ubyte[.gz])")
    train = [p for p in found if p.name.lower().startswith("train")] or found
    # Unpacking a .gz often leaves both copies; they hold the same data.
    plain = [p for p in train if p.suffix.lower() != ".gz"] or train
    if len(plain) > 1:
        names = ", ".join(p.name for p in plain)
        raise DatasetError(f"'{folder}' holds several IDX images files ({names}); pass one file")
    return plain[0]


def _existing(candidate: Path) -> Path | None:
    """The file itself, else its gzipped or gunzipped twin (downloads come either way)."""
    if candidate.is_file():
        return candidate
    name = candidate.name
    twin = candidate.with_name(name[:-3] if name.lower().endswith(".gz") else name + ".gz")
    return twin if twin.is_file() else None


def find_idx_pair(path: Path) -> tuple[Path, Path]:
    """(images file, labels file) for an images file, a labels file or their folder."""
    if path.is_dir():
        wanted = _pick_images_file(path)
    elif _LABELS_NAME.search(path.name):
        wanted = path.with_name(_LABELS_NAME.sub(r"images\1idx3", path.name))
    elif _IMAGES_NAME.search(path.name):
        wanted = path
    else:
        raise DatasetError(
            f"cannot tell which labels belong to '{path}': IDX files must be named like "
            "'train-images-idx3-ubyte' with 'train-labels-idx1-ubyte' beside it"
        )
    expected_labels = wanted.with_name(_IMAGES_NAME.sub(r"labels\1idx1", wanted.name))
    images, labels = _existing(wanted), _existing(expected_labels)
    if images is None or labels is None:
        missing, role = (wanted, "images") if images is None else (expected_labels, "labels")
        raise DatasetError(
            f"IDX {role} file '{missing}' not found; MNIST-style data needs an images "
            "file (*-images-idx3-ubyte) and a labels file (*-labels-idx1-ubyte) side by side"
        )
    return images, labels


def _idx_classes(labels: np.ndarray, images: Path, where: Path) -> tuple[np.ndarray, list[str]]:
    # Fashion-MNIST uses MNIST's file names; its folder name is the only hint. Only
    # the nearest folders count (e.g. FashionMNIST/raw/), not a distant ancestor.
    fashion = any("fashion" in part.lower() for part in images.absolute().parts[-3:])
    names = FASHION_MNIST_CLASSES if fashion and labels.size and labels.max() < 10 else None
    return _labels_and_classes(labels, names, f"'{where}'")


def load_idx(
    path: Path, *, channels: int, height: int, width: int, seed: int = 0, size: int | None = None
) -> Dataset:
    """An MNIST/Fashion-MNIST images+labels pair (the training pair of a folder)."""
    images_path, labels_path = find_idx_pair(path)
    images = read_idx(images_path, IDX_IMAGES_MAGIC)
    raw_labels = read_idx(labels_path, IDX_LABELS_MAGIC)
    if len(images) != len(raw_labels):
        raise DatasetError(
            f"'{images_path}' holds {len(images)} images but '{labels_path}' holds "
            f"{len(raw_labels)} labels; the two files don't belong together"
        )
    labels, classes = _idx_classes(raw_labels, images_path, labels_path)
    return _make_dataset(
        images,
        labels,
        classes,
        path=images_path,
        name=path.name if path.is_dir() else None,
        request=(channels, height, width, seed, size),
    )


def idx_natural_shape(path: Path) -> Shape3:
    images_path, _ = find_idx_pair(path)
    _, dims = _idx_header(_read_bytes(images_path, 16), images_path, IDX_IMAGES_MAGIC)
    return (1, dims[1], dims[2])


def idx_num_classes(path: Path) -> int:
    images_path, labels_path = find_idx_pair(path)
    labels = read_idx(labels_path, IDX_LABELS_MAGIC)
    return len(_idx_classes(labels, images_path, labels_path)[1])
