"""Grid images: PNGs read back, tiles cut at the trainer's geometry (8 columns, 2 px)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganreport.detectors import load_grid, split_grid

from .test_detectors_synthetic import make_grid, smooth_images


@pytest.mark.parametrize("side", [16, 28, 32, 64])
def test_tiles_come_back_exactly(side, tmp_path):
    tiles = smooth_images(64, side, side)
    path = tmp_path / "grid.png"
    Image.fromarray(make_grid(tiles)).save(path)
    back = split_grid(load_grid(path))
    assert back.shape == (64, side, side, 3)
    assert np.array_equal((back * 255).round().astype(np.uint8), tiles)


def test_grey_grids_and_fewer_rows(tmp_path):
    tiles = smooth_images(16, 28, 1, channels=1)
    grid = make_grid(tiles)[:, :, 0]  # two rows, grey
    path = tmp_path / "grey.png"
    Image.fromarray(grid).save(path)
    assert load_grid(path).shape == grid.shape + (3,)
    assert split_grid(grid).shape == (16, 28, 28, 1)


def test_a_picture_that_is_not_a_grid_is_refused():
    with pytest.raises(ValueError, match="not a grid of 8 columns"):
        split_grid(np.zeros((100, 101, 3), np.uint8))
