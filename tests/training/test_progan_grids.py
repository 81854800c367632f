"""A progan run's grids show each stage at its own resolution, upsampled to the run's size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training.cli import main

VERSION = str(EXPERIMENTS / "best-artworks" / "progan.yaml")
SIZE, PAD = 16, 2  # px per image in the grid, make_grid's padding
# 48 images, batch 8: stage 0 (4 px) for 24 images, then 8 px fades in over 48
ARGS = ["--profile", "smoke", "--device", "cpu", "--no-progress",
        "--set", "dataset.kind=procedural", "--set", f"dataset.image_size={SIZE}",
        "--set", "progan.start=4", "--set", "progan.batch_sizes=[8]",
        "--set", "progan.fade_images=48", "--set", "progan.stabilise_images=24",
        "--set", "train.batch_size=8", "--set", "train.epochs=1", "--set", "train.log_every=1"]


def _tiles(grid: Path) -> list[np.ndarray]:
    """The 64 images of an 8x8 grid PNG, each (SIZE, SIZE, C)."""
    pixels = np.asarray(Image.open(grid).convert("RGB"))
    step = SIZE + PAD
    corners = [(PAD + row * step, PAD + col * step) for row in range(8) for col in range(8)]
    return [pixels[top:top + SIZE, left:left + SIZE] for top, left in corners]


def _block_size(tile: np.ndarray) -> int:
    """The largest power-of-two block the tile is made of (1: full detail)."""
    block = SIZE
    while block > 1:
        coarse = tile[::block, ::block]
        if np.array_equal(np.repeat(np.repeat(coarse, block, 0), block, 1), tile):
            return block
        block //= 2
    return 1


def test_the_untrained_grid_is_drawn_at_the_start_resolution_and_upsampled(
    tmp_path: Path,
) -> None:
    assert main([VERSION, "--out", str(tmp_path), *ARGS]) == 0
    folder = tmp_path / "best-artworks" / "progan"
    tiles = _tiles(folder / rf.sample_name(0))
    assert {_block_size(tile) for tile in tiles} == {SIZE // 4}  # 4 px, each pixel 4x4
    assert len({tile.tobytes() for tile in tiles}) > 1  # G's images, not one flat colour
    rows = [json.loads(line) for line in (folder / rf.METRICS).read_text().splitlines()]
    assert rows[0]["resolution"] == 4 and rows[-1]["resolution"] == 8
    assert {_block_size(tile) for tile in _tiles(folder / rf.sample_name(1))} == {SIZE // 8}
