"""Datasets: procedural, image folder (odd modes, corrupt files), MNIST IDX."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.training.conftest import MNIST_DIR
from training.config import DatasetConfig
from training.data import cache_dir, load_dataset, read_idx_images, to_rgb
from training.data_procedural import generate
from training.errors import UserError


def test_procedural_is_deterministic_distinct_and_varied() -> None:
    first, again = generate(3, 40, 32), generate(3, 40, 32)
    assert first.shape == (40, 3, 32, 32) and first.dtype == torch.uint8
    assert torch.equal(first, again)
    assert len({bytes(image.numpy()) for image in first}) == 40
    assert not torch.equal(first, generate(4, 40, 32))
    assert torch.equal(generate(3, 10, 32), first[:10])  # image i depends on (seed, i) only
    assert first.float().std(dim=0).mean() > 30  # not one picture repeated with noise


def test_procedural_dataset_is_cached() -> None:
    config = DatasetConfig(image_size=32, count=24, seed=1)
    images = load_dataset(config).images
    assert len(list(cache_dir().glob("procedural-*.pt"))) == 1
    assert torch.equal(load_dataset(config).images, images)
    gray = load_dataset(DatasetConfig(image_size=32, count=24, seed=1, channels=1)).images
    assert gray.shape == (24, 1, 32, 32)


def _odd_images(folder: Path) -> int:
    """One image per awkward mode, in nested folders; returns how many are valid."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    (folder / "a" / "b").mkdir(parents=True)
    Image.fromarray(rgb).save(folder / "rgb.jpg")
    Image.fromarray(rgb).convert("L").save(folder / "a" / "gray.png")
    Image.fromarray(rgb).convert("P").save(folder / "a" / "palette.png")
    Image.fromarray(rgb).convert("CMYK").save(folder / "a" / "b" / "cmyk.jpg")
    Image.fromarray(rgb).convert("RGBA").save(folder / "a" / "b" / "alpha.webp")
    deep = (rng.integers(0, 65535, (30, 30))).astype(np.uint16)
    Image.fromarray(deep).save(folder / "sixteen.png")  # mode I;16
    Image.fromarray(rgb).save(folder / "UPPER.PNG")
    (folder / "notes.txt").write_text("not an image, not even looked at")
    return 7


def _corrupt_images(folder: Path) -> None:
    (folder / "garbage.jpg").write_bytes(b"this is not a jpeg")
    good = folder / "rgb.jpg"
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[:300])


def test_image_folder_converts_modes_and_skips_corrupt_files(tmp_path, capsys) -> None:
    folder = tmp_path / "images"
    valid = _odd_images(folder)
    _corrupt_images(folder)
    config = DatasetConfig(kind="folder", path=str(folder), image_size=32)
    dataset = load_dataset(config)
    assert dataset.images.shape == (valid, 3, 32, 32) and dataset.images.dtype == torch.uint8
    assert dataset.skipped == 2
    assert "skipped 2" in capsys.readouterr().err
    cached = list(cache_dir().glob("folder-*.pt"))
    assert len(cached) == 1
    assert torch.equal(load_dataset(config).images, dataset.images)  # from the cache
    (folder / "new.png").write_bytes((folder / "a" / "gray.png").read_bytes())
    assert len(load_dataset(config)) == valid + 1  # a changed file list is a new cache key


def test_folder_of_only_corrupt_images_is_a_user_error(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(UserError, match="none of the 1 images could be read"):
        load_dataset(DatasetConfig(kind="folder", path=str(folder), image_size=32), "s.yaml")


def test_missing_folder_says_where_to_put_images(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "japanese-art"
    with pytest.raises(UserError) as caught:
        load_dataset(DatasetConfig(kind="folder", path=str(missing)), "study.yaml")
    error = caught.value
    assert (error.source, error.key) == ("study.yaml", "dataset.path")
    assert str(missing) in error.message and "put your images there" in error.message


def _write_idx(path: Path, digits: np.ndarray) -> None:
    header = struct.pack(">IIII", 2051, len(digits), 28, 28)
    with gzip.open(path, "wb") as handle:
        handle.write(header + digits.tobytes())


def test_idx_reader_and_mnist_dataset(tmp_path: Path) -> None:
    digits = np.random.default_rng(0).integers(0, 255, (12, 28, 28), dtype=np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", digits)
    assert np.array_equal(read_idx_images(tmp_path / "t10k-images-idx3-ubyte.gz"), digits)
    dataset = load_dataset(
        DatasetConfig(kind="mnist", path=str(tmp_path), image_size=32, channels=1, count=10)
    )
    assert dataset.images.shape == (10, 1, 32, 32)


def test_real_mnist_test_set() -> None:
    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST test set is not at {MNIST_DIR.resolve()}")
    digits = read_idx_images(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    assert digits.shape == (10000, 28, 28)
    dataset = load_dataset(
        DatasetConfig(kind="mnist", path=str(MNIST_DIR), image_size=32, channels=1, count=100)
    )
    assert dataset.images.shape == (100, 1, 32, 32) and dataset.images.max() > 200


def test_mnist_folder_with_gz_and_unpacked_copy_counts_each_digit_once(tmp_path: Path) -> None:
    digits = np.random.default_rng(1).integers(0, 255, (12, 28, 28), dtype=np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", digits)
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "rb") as packed:
        (tmp_path / "t10k-images-idx3-ubyte").write_bytes(packed.read())
    dataset = load_dataset(DatasetConfig(kind="mnist", path=str(tmp_path), image_size=28,
                                         channels=1, count=0))
    assert dataset.images.shape == (12, 1, 28, 28)


@pytest.mark.parametrize("content", [b"not gzip at all", b""])
def test_corrupt_idx_file_is_a_user_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(content)
    with pytest.raises(UserError) as caught:
        load_dataset(DatasetConfig(kind="mnist", path=str(tmp_path), image_size=32, channels=1))
    assert str(bad) in str(caught.value) and "dataset.path" in str(caught.value)


def test_dark_sixteen_bit_image_stays_dark() -> None:
    dark = np.full((8, 8), 200, dtype=np.uint16)  # 200 of 65535: nearly black
    converted = np.asarray(to_rgb(Image.fromarray(dark).convert("I;16")))
    assert converted.max() <= 1
