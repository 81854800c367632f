"""Datasets: the registry, the procedural set, and the shaping every kind shares."""

from __future__ import annotations

import typing

import pytest
import torch

from training.config import DatasetConfig
from training.data import LOADERS, cache_dir, common, load_dataset, shape_images
from training.data.abstract_art import generate


def test_every_configurable_kind_has_a_loader() -> None:
    kinds = typing.get_args(typing.get_type_hints(DatasetConfig)["kind"])
    assert set(kinds) == set(LOADERS)


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
    dataset = load_dataset(config)
    assert len(list(cache_dir().glob("procedural-*.pt"))) == 1
    assert torch.equal(load_dataset(config).images, dataset.images)
    assert dataset.labels is None
    gray = load_dataset(DatasetConfig(image_size=32, count=24, seed=1, channels=1)).images
    assert gray.shape == (24, 1, 32, 32)


def test_shaping_resizes_crops_and_converts_channels() -> None:
    ramp = torch.arange(40, dtype=torch.uint8).repeat(3, 20, 1).unsqueeze(0)  # (1, 3, 20, 40)
    ramp[:, :, :, :10] = 0  # the left and right quarters are cropped away
    ramp[:, :, :, 30:] = 255
    square = shape_images(ramp, 20, 3)
    assert square.shape == (1, 3, 20, 20) and torch.equal(square, ramp[:, :, :, 10:30])
    gray = torch.tensor([[[[200]]], [[[10]]]], dtype=torch.uint8).expand(2, 1, 28, 28)
    rgb = shape_images(gray, 32, 3)
    assert rgb.shape == (2, 3, 32, 32) and rgb.dtype == torch.uint8
    assert rgb[0].unique().tolist() == [200] and rgb[1].unique().tolist() == [10]
    colour = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    colour[:, 0] = 255  # pure red: luma 0.299 * 255
    assert shape_images(colour, 8, 1).unique().tolist() == [76]


def test_shaping_in_chunks_matches_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8)
    whole = shape_images(images, 16, 1)
    monkeypatch.setattr(common, "CHUNK", 3)
    assert torch.equal(shape_images(images, 16, 1), whole)
    assert shape_images(images[:0], 16, 3).shape == (0, 3, 16, 16)
