"""Dataset loaders on real files written by the tests: folders, npz, MNIST IDX."""

from __future__ import annotations

import gzip
import json
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.training.datasets import (
    BUILTIN_DATASETS,
    Dataset,
    DatasetError,
    Normalization,
    check_input_shape,
    load_dataset,
    natural_shape,
    num_classes,
    split,
)
from app.training.datasets.base import stratified_indices
from app.training.datasets.shapes import SHAPE_CLASSES
from nodes.errors import ConvasError

# --------------------------------------------------------------------------- helpers


def write_image(path: Path, pixels: np.ndarray) -> Path:
    """A PNG/JPEG (by suffix) from HxW (grey) or HxWx3 (RGB) uint8 pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def write_idx(path: Path, magic: int, array: np.ndarray, *, gz: bool = False) -> Path:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_mnist_pair(
    folder: Path, prefix: str = "train", count: int = 30, *, gz: bool = False, side: int = 28
) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(len(prefix) + count)
    images = rng.integers(0, 256, size=(count, side, side), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    images_path = write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", 2051, images, gz=gz)
    labels_path = write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", 2049, labels, gz=gz)
    return images_path, labels_path, images, labels


def make_dataset(labels: list[int], channels: int = 1, side: int = 2) -> Dataset:
    y = torch.tensor(labels, dtype=torch.int64)
    x = torch.arange(len(labels) * channels * side * side, dtype=torch.float32)
    x = (x / max(1, x.numel())).reshape(len(labels), channels, side, side)
    classes = [str(c) for c in range(max(labels) + 1)]
    return Dataset(x=x, y=y, classes=classes, name="toy", source="test")


def load(spec: str, c: int = 1, h: int = 28, w: int = 28, **kwargs: object) -> Dataset:
    return load_dataset(spec, channels=c, height=h, width=w, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def pets(tmp_path: Path) -> Path:
    """cat: 3 grey PNGs (10x12) + hidden and text files; dog: 2 RGB (one JPEG, one nested)."""
    root = tmp_path / "pets"
    for i in range(3):
        write_image(root / "cat" / f"{i}.png", np.full((10, 12), 128, dtype=np.uint8))
    (root / "cat" / ".DS_Store").write_bytes(b"\x00junk")
    (root / "cat" / "notes.txt").write_text("not an image")
    red = np.zeros((20, 16, 3), dtype=np.uint8)
    red[..., 0] = 255
    write_image(root / "dog" / "a.png", red)
    write_image(root / "dog" / "more" / "b.jpg", red)
    (root / ".hidden_class").mkdir()
    write_image(root / ".hidden_class" / "x.png", red)
    return root


# --------------------------------------------------------------------------- digits


def test_digits_are_sklearn_digits_scaled_to_unit_range() -> None:
    from sklearn.datasets import load_digits

    data = load("digits", 1, 8, 8)
    reference = load_digits()
    assert data.x.shape == (1797, 1, 8, 8)
    assert data.x.dtype == torch.float32
    assert data.y.dtype == torch.int64
    assert data.classes == [str(d) for d in range(10)]
    assert torch.allclose(data.x[:, 0] * 16, torch.tensor(reference.images, dtype=torch.float32))
    assert data.y.tolist() == reference.target.tolist()
    assert float(data.x.min()) == 0.0
    assert float(data.x.max()) == 1.0


def test_digits_resized_to_rgb_repeat_grey_into_every_channel() -> None:
    data = load("digits", 3, 16, 20)
    assert data.x.shape == (1797, 3, 16, 20)
    assert torch.equal(data.x[:, 0], data.x[:, 1])
    assert torch.equal(data.x[:, 0], data.x[:, 2])
    assert float(data.x.min()) >= 0.0
    assert float(data.x.max()) <= 1.0


def test_size_takes_a_stratified_subset_of_a_real_dataset() -> None:
    data = load("digits", 1, 8, 8, size=100, seed=3)
    assert len(data) == 100
    assert data.class_counts() == [10] * 10
    again = load("digits", 1, 8, 8, size=100, seed=3)
    assert torch.equal(data.x, again.x)


# --------------------------------------------------------------------------- shapes


def test_shapes_are_deterministic_for_a_seed_and_differ_across_seeds() -> None:
    first = load("shapes", 1, 32, 32, seed=7, size=200)
    second = load("shapes", 1, 32, 32, seed=7, size=200)
    other = load("shapes", 1, 32, 32, seed=8, size=200)
    assert torch.equal(first.x, second.x)
    assert torch.equal(first.y, second.y)
    assert not torch.equal(first.x, other.x)
    assert first.classes == list(SHAPE_CLASSES)
    assert {"circle", "square", "triangle", "cross"} <= set(first.classes)
    assert first.class_counts() == [50, 50, 50, 50]


def test_shapes_default_count_and_requested_size_drawn_directly() -> None:
    start = time.perf_counter()
    data = load("shapes", 3, 32, 32)
    elapsed = time.perf_counter() - start
    assert data.x.shape == (2000, 3, 32, 32)
    assert elapsed < 2.0  # ~0.1 s measured; the brief asks for ~1 s or less
    wide = load("shapes", 1, 12, 40, size=8)
    assert wide.x.shape == (8, 1, 12, 40)


def test_shapes_vary_in_position_and_brightness_like_a_real_task() -> None:
    data = load("shapes", 1, 24, 24, size=400)
    circles = data.x[data.y == 0, 0]
    centres = (circles > circles.mean(dim=(1, 2), keepdim=True)).float()
    # The bright pixels sit in different places and with different brightness.
    assert centres.std(dim=0).max() > 0.3
    assert circles.amax(dim=(1, 2)).std() > 0.05
    assert not torch.equal(circles[0], circles[1])


def test_shapes_refuse_images_smaller_than_8_pixels() -> None:
    with pytest.raises(DatasetError, match=r"shapes.*at least 8x8"):
        load("shapes", 1, 6, 28)


# --------------------------------------------------------------------------- folders


def test_folder_classes_are_sorted_subfolders_and_hidden_files_skipped(pets: Path) -> None:
    data = load(str(pets), 1, 8, 8)
    assert data.classes == ["cat", "dog"]
    assert data.class_counts() == [3, 2]
    assert data.x.shape == (5, 1, 8, 8)
    assert data.name == "pets"
    assert data.source == str(pets)


def test_folder_converts_channels_and_resizes(pets: Path) -> None:
    grey = load(str(pets), 1, 6, 6)
    # Uniform images stay uniform through resizing; RGB -> grey is ITU-R 601 luminance.
    cat, dog = grey.x[grey.y == 0], grey.x[grey.y == 1]
    assert torch.allclose(cat, torch.full_like(cat, 128 / 255), atol=1e-6)
    assert torch.allclose(dog, torch.full_like(dog, 76 / 255), atol=0.02)  # JPEG is lossy
    rgb = load(str(pets), 3, 9, 7)
    assert rgb.x.shape == (5, 3, 9, 7)
    cat_rgb = rgb.x[rgb.y == 0]
    assert torch.allclose(cat_rgb, torch.full_like(cat_rgb, 128 / 255), atol=1e-6)
    dog_rgb = rgb.x[rgb.y == 1]
    assert float(dog_rgb[:, 0].min()) > 0.9
    assert float(dog_rgb[:, 1:].max()) < 0.1


def test_folder_natural_shape_and_class_count(pets: Path) -> None:
    assert natural_shape(str(pets)) == (1, 10, 12)
    assert num_classes(str(pets)) == 2


def test_folder_without_class_subfolders_names_the_folder(tmp_path: Path) -> None:
    write_image(tmp_path / "flat" / "a.png", np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(DatasetError, match="no class subfolders") as info:
        load(str(tmp_path / "flat"))
    assert str(tmp_path / "flat") in str(info.value)


def test_class_folder_without_images_names_the_subfolder(pets: Path) -> None:
    (pets / "empty").mkdir()
    (pets / "empty" / "readme.md").write_text("no pictures")
    with pytest.raises(DatasetError, match="holds no images") as info:
        load(str(pets))
    assert str(pets / "empty") in str(info.value)


def test_unreadable_image_names_the_file(pets: Path) -> None:
    broken = pets / "dog" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(DatasetError, match="cannot read image") as info:
        load(str(pets))
    assert str(broken) in str(info.value)


def test_folder_refuses_colour_images_as_four_channels(pets: Path) -> None:
    with pytest.raises(DatasetError, match="1 \\(greyscale\\) or 3 \\(RGB\\)"):
        load(str(pets), 4, 8, 8)


# --------------------------------------------------------------------------- npz


def test_npz_grey_uint8_with_class_names(tmp_path: Path) -> None:
    x = np.arange(6 * 4 * 5, dtype=np.uint8).reshape(6, 4, 5)
    y = np.array([0, 1, 2, 0, 1, 2])
    path = tmp_path / "tiny.npz"
    np.savez(path, x=x, y=y, classes=np.array(["a", "b", "c"]))
    data = load(str(path), 1, 4, 5)
    assert data.classes == ["a", "b", "c"]
    assert torch.allclose(data.x[:, 0], torch.tensor(x, dtype=torch.float32) / 255)
    assert data.y.tolist() == y.tolist()
    assert data.name == "tiny"
    assert natural_shape(str(path)) == (1, 4, 5)
    assert num_classes(str(path)) == 3


@pytest.mark.parametrize(
    ("layout", "shape", "natural"),
    [("nhwc", (4, 6, 5, 3), (3, 6, 5)), ("nchw", (4, 3, 6, 5), (3, 6, 5))],
)
def test_npz_colour_layouts(
    tmp_path: Path, layout: str, shape: tuple[int, ...], natural: tuple[int, int, int]
) -> None:
    rng = np.random.default_rng(0)
    x = rng.random(shape, dtype=np.float32)
    path = tmp_path / f"{layout}.npz"
    np.savez_compressed(path, x=x, y=np.array([[3], [5], [3], [5]]))
    data = load(str(path), 3, 6, 5)
    expected = x if layout == "nchw" else x.transpose(0, 3, 1, 2)
    assert torch.allclose(data.x, torch.from_numpy(expected))
    # Without names, labels are renumbered and named by their original values.
    assert data.classes == ["3", "5"]
    assert data.y.tolist() == [0, 1, 0, 1]
    assert natural_shape(str(path)) == natural
    grey = load(str(path), 1, 3, 3)
    assert grey.x.shape == (4, 1, 3, 3)


def test_npz_mismatched_lengths_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((5, 4, 4), np.uint8), y=np.zeros(4, np.int64))
    with pytest.raises(DatasetError, match="5 images but y holds 4 labels") as info:
        load(str(path))
    assert str(path) in str(info.value)


def test_npz_with_pickled_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    objects = np.empty(2, dtype=object)
    objects[:] = [np.zeros((2, 2)), np.ones((2, 2))]
    np.savez(path, x=objects, y=np.array([0, 1]))
    with pytest.raises(DatasetError, match="pickled") as info:
        load(str(path))
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((2, 4, 4), np.int32), np.array([0, 1]), "dtype int32"),
        (np.zeros((2, 4, 4), np.uint8), np.array([0.0, 1.0]), "integer class indices"),
        (np.full((2, 4, 4), 255.0), np.array([0, 1]), r"must lie in \[0, 1\]"),
        (np.zeros((2, 4, 4, 5), np.uint8), np.array([0, 1]), "C = 1 \\(greyscale\\)"),
        (np.zeros((2, 4, 4), np.uint8), np.array([0, -1]), "must be >= 0"),
    ],
)
def test_npz_wrong_dtypes_and_shapes_name_the_file(
    tmp_path: Path, x: np.ndarray, y: np.ndarray, message: str
) -> None:
    path = tmp_path / "wrong.npz"
    np.savez(path, x=x, y=y)
    with pytest.raises(DatasetError, match=message) as info:
        load(str(path))
    assert str(path) in str(info.value)


def test_npz_missing_array_truncated_and_not_a_zip(tmp_path: Path) -> None:
    only_x = tmp_path / "only_x.npz"
    np.savez(only_x, x=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(DatasetError, match="no array 'y'") as info:
        load(str(only_x))
    assert str(only_x) in str(info.value)

    full = tmp_path / "full.npz"
    np.savez(full, x=np.zeros((50, 8, 8), np.uint8), y=np.zeros(50, np.int64))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(full.read_bytes()[:1500])
    with pytest.raises(DatasetError) as info:
        load(str(cut))
    assert str(cut) in str(info.value)

    garbage = tmp_path / "garbage.npz"
    garbage.write_text("hello")
    with pytest.raises(DatasetError) as info:
        load(str(garbage))
    assert str(garbage) in str(info.value)


# --------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [False, True])
def test_idx_pair_from_images_file_labels_file_or_folder(tmp_path: Path, gz: bool) -> None:
    folder = tmp_path / "mnist"
    images_path, labels_path, images, labels = write_mnist_pair(folder, gz=gz)
    write_mnist_pair(folder, "t10k", count=10, gz=gz)
    for where in (images_path, labels_path, folder):
        data = load(str(where), 1, 28, 28)
        assert data.x.shape == (30, 1, 28, 28)
        assert torch.allclose(data.x[:, 0], torch.tensor(images, dtype=torch.float32) / 255)
        assert data.y.tolist() == labels.tolist()
        assert data.classes == [str(d) for d in range(10)]
    assert natural_shape(str(folder)) == (1, 28, 28)
    assert num_classes(str(images_path)) == 10
    assert load(str(folder)).name == "mnist"


def test_idx_resized_to_rgb_and_path_overrides_spec(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    write_mnist_pair(folder, side=14)
    data = load("mnist", 3, 32, 32, path=str(folder))
    assert data.x.shape == (30, 3, 32, 32)
    assert torch.equal(data.x[:, 0], data.x[:, 2])


def test_idx_in_a_fashion_folder_gets_fashion_class_names(tmp_path: Path) -> None:
    folder = tmp_path / "FashionMNIST" / "raw"
    write_mnist_pair(folder, count=20)
    data = load(str(folder))
    assert data.classes[0] == "T-shirt/top"
    assert data.classes[9] == "Ankle boot"


def test_idx_bad_magic_names_the_file_and_what_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "swapped"
    images_path, _, _, labels = write_mnist_pair(folder)
    write_idx(images_path, 2049, labels)  # a labels file under the images name
    with pytest.raises(DatasetError, match="magic number 2049, expected 2051") as info:
        load(str(images_path))
    assert str(images_path) in str(info.value)
    assert "labels file" in str(info.value)


def test_idx_truncated_and_oversized_files_name_the_file(tmp_path: Path) -> None:
    images_path, _, _, _ = write_mnist_pair(tmp_path / "cut")
    raw = images_path.read_bytes()
    images_path.write_bytes(raw[:-100])
    with pytest.raises(DatasetError, match="is truncated") as info:
        load(str(images_path))
    assert str(images_path) in str(info.value)
    images_path.write_bytes(raw + b"\x00" * 7)
    with pytest.raises(DatasetError, match="has extra bytes"):
        load(str(images_path))
    images_path.write_bytes(raw[:10])
    with pytest.raises(DatasetError, match="truncated inside its header"):
        load(str(images_path))


def test_idx_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    images_path, _, _, _ = write_mnist_pair(tmp_path / "gz", gz=True)
    images_path.write_bytes(images_path.read_bytes()[:-40])
    with pytest.raises(DatasetError, match="truncated or corrupt") as info:
        load(str(images_path))
    assert str(images_path) in str(info.value)


def test_idx_mismatched_pair_and_missing_labels(tmp_path: Path) -> None:
    images_path, labels_path, _, _ = write_mnist_pair(tmp_path / "pair")
    write_idx(labels_path, 2049, np.zeros(29, np.uint8))
    with pytest.raises(DatasetError, match="30 images but") as info:
        load(str(images_path))
    assert str(labels_path) in str(info.value)
    labels_path.unlink()
    with pytest.raises(DatasetError, match="labels file") as info:
        load(str(images_path))
    assert str(labels_path) in str(info.value)


# --------------------------------------------------------------------------- dispatch


def test_unknown_name_lists_the_builtins_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DatasetError) as info:
        load(str(missing))
    message = str(info.value)
    assert str(missing) in message
    for name in BUILTIN_DATASETS:
        assert name in message
    assert isinstance(info.value, ConvasError)


def test_unsupported_file_type_names_the_file(tmp_path: Path) -> None:
    table = tmp_path / "data.csv"
    table.write_text("1,2,3\n")
    with pytest.raises(DatasetError, match="unsupported dataset file") as info:
        load(str(table))
    assert str(table) in str(info.value)


def test_impossible_request_is_refused_before_loading() -> None:
    with pytest.raises(DatasetError, match="at least 1"):
        load("digits", 0, 8, 8)
    with pytest.raises(DatasetError, match="size"):
        load("digits", 1, 8, 8, size=0)


def test_natural_shape_of_builtins_and_input_check_message() -> None:
    assert natural_shape("digits") == (1, 8, 8)
    assert natural_shape("shapes") == (1, 28, 28)
    assert natural_shape("shapes", request=(3, 40, 48)) == (1, 40, 48)
    assert num_classes("digits") == 10
    assert num_classes("shapes") == len(SHAPE_CLASSES)
    assert check_input_shape("digits", (1, 8, 8), (1, 8, 8)) is None
    assert check_input_shape("digits", (1, 8, 8), (1, 32, 32)) == (
        "Input is 1x32x32 but dataset 'digits' has 1x8x8 images; "
        "set the Input node to 1x8x8 or choose another dataset"
    )
    message = check_input_shape("/data/pets", (3, 64, 64), (1, 28, 28))
    assert message is not None
    assert "dataset 'pets' has 3x64x64" in message


# --------------------------------------------------------------------------- split


def test_split_is_deterministic_disjoint_and_stratified() -> None:
    data = load("digits", 1, 8, 8)
    train, val = data.split(0.2, seed=5)
    train_again, val_again = split(data, 0.2, 5)
    assert torch.equal(val.x, val_again.x)
    assert torch.equal(train.y, train_again.y)
    assert len(val) == round(0.2 * len(data))
    assert len(train) + len(val) == len(data)
    # Every image lands in exactly one part: together they hold the same pixels.
    assert torch.allclose(torch.cat([train.x, val.x]).sum(dim=0), data.x.sum(dim=0))
    assert torch.equal(torch.cat([train.y, val.y]).sort().values, data.y.sort().values)
    for total, in_val in zip(data.class_counts(), val.class_counts(), strict=True):
        assert abs(in_val - 0.2 * total) <= 1
    _, other_val = data.split(0.2, seed=6)
    assert not torch.equal(val.x, other_val.x)


def test_split_indices_are_disjoint() -> None:
    data = make_dataset([0, 1, 2] * 20)
    data.x = torch.arange(60, dtype=torch.float32).reshape(60, 1, 1, 1)
    train, val = data.split(0.25, seed=1)
    train_ids = set(train.x.flatten().tolist())
    val_ids = set(val.x.flatten().tolist())
    assert not train_ids & val_ids
    assert train_ids | val_ids == set(range(60))
    assert val.class_counts() == [5, 5, 5]


def test_zero_fraction_gives_empty_validation_and_bad_fraction_errors() -> None:
    data = make_dataset([0, 1, 1, 0, 1])
    train, val = data.split(0.0, seed=0)
    assert len(train) == 5
    assert len(val) == 0
    assert val.shape == train.shape
    with pytest.raises(DatasetError, match="validation fraction"):
        data.split(1.0, seed=0)


def test_split_never_takes_a_whole_class_from_training() -> None:
    data = make_dataset([0, 0, 0, 0, 0, 0, 0, 0, 1])
    train, val = data.split(0.5, seed=0)
    assert train.class_counts()[1] == 1
    assert val.class_counts()[1] == 0


@settings(deadline=None, max_examples=40)
@given(
    labels=st.lists(st.integers(0, 4), min_size=1, max_size=60),
    fraction=st.floats(0.0, 1.0),
    seed=st.integers(0, 1000),
)
def test_stratified_indices_take_exactly_the_quota(
    labels: list[int], fraction: float, seed: int
) -> None:
    array = np.array(labels)
    count = int(fraction * len(labels))
    chosen = stratified_indices(array, count, seed)
    assert len(chosen) == count
    assert len(set(chosen.tolist())) == count
    assert chosen.tolist() == sorted(chosen.tolist())
    for label in set(labels):
        members = int((array == label).sum())
        picked = int((array[chosen] == label).sum())
        quota = members * count / len(labels)
        assert np.floor(quota) - 1 <= picked <= np.ceil(quota) + 1


# --------------------------------------------------------------------------- normalization


def test_normalization_is_fitted_on_the_training_part_only() -> None:
    data = make_dataset([0, 1] * 10, channels=2)
    data.x[:, 1] += 5.0  # a channel with a different range
    train, val = data.split(0.3, seed=0)
    val.x += 100.0  # if val leaked into the fit, the mean would move
    norm = Normalization.fit(train.x)
    for c in range(2):
        assert norm.mean[c] == pytest.approx(float(train.x[:, c].double().mean()))
        assert norm.std[c] == pytest.approx(float(train.x[:, c].double().std(unbiased=False)))
    normalized = norm.apply(train.x)
    assert torch.allclose(normalized.mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(normalized.std(dim=(0, 2, 3), unbiased=False), torch.ones(2), atol=1e-4)
    assert norm.apply(train.x[0]).shape == train.x[0].shape


def test_normalization_round_trips_through_json_and_guards_constants() -> None:
    constant = torch.full((4, 1, 3, 3), 0.5)
    norm = Normalization.fit(constant)
    assert norm.std == [1.0]  # a constant channel must not divide by zero
    restored = Normalization.from_dict(json.loads(json.dumps(norm.to_dict())))
    assert restored == norm
    with pytest.raises(DatasetError, match="mean"):
        Normalization.from_dict({"std": [1.0]})
    with pytest.raises(DatasetError, match="std > 0"):
        Normalization.from_dict({"mean": [0.0], "std": [0.0]})
    with pytest.raises(DatasetError, match="1-channel"):
        norm.apply(torch.zeros(2, 3, 4, 4))
    with pytest.raises(DatasetError, match="empty"):
        Normalization.fit(torch.zeros(0, 1, 2, 2))


def test_dataset_rejects_inconsistent_tensors() -> None:
    with pytest.raises(DatasetError, match="float32"):
        Dataset(torch.zeros(2, 1, 2, 2, dtype=torch.float64), torch.zeros(2, dtype=torch.int64),
                ["a"], "bad", "test")  # fmt: skip
    with pytest.raises(DatasetError, match="one label per image"):
        Dataset(torch.zeros(2, 1, 2, 2), torch.zeros(3, dtype=torch.int64), ["a"], "bad", "test")
    with pytest.raises(DatasetError, match="only 1 classes"):
        Dataset(torch.zeros(2, 1, 2, 2), torch.tensor([0, 1]), ["a"], "bad", "test")
