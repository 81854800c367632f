"""The folder kind: odd image modes, corrupt files, the cache, missing folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from training.config import DatasetConfig
from training.data import cache_dir, load_dataset, to_rgb
from training.errors import UserError


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
    assert dataset.skipped == 2 and dataset.labels is None
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
        load_dataset(DatasetConfig(kind="folder", path=str(missing), download=True), "study.yaml")
    error = caught.value
    assert (error.source, error.key) == ("study.yaml", "dataset.path")
    assert str(missing) in error.message and "put your images there" in error.message
    assert "download" not in error.message  # a folder of one's own images cannot be fetched
    assert "\n" not in str(error)


def test_folder_without_a_path_is_a_user_error() -> None:
    with pytest.raises(UserError, match="dataset.path: not set; set it to a folder and put your "
                       "images there"):
        load_dataset(DatasetConfig(kind="folder", path=None), "study.yaml")


def test_dark_sixteen_bit_image_stays_dark() -> None:
    dark = np.full((8, 8), 200, dtype=np.uint16)  # 200 of 65535: nearly black
    converted = np.asarray(to_rgb(Image.fromarray(dark).convert("I;16")))
    assert converted.max() <= 1
