"""Sample grids as arrays: read a PNG, cut it into its tiles.

The trainer saves 64 images as a grid (torchvision's make_grid) whose columns and padding
the run records (Run.grid; 8 and 2 so far), so a tile's side follows from the grid's width.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganreport.runformat import UNRECORDED_GRID

COLUMNS, PADDING = UNRECORDED_GRID  # unless told otherwise


def load_grid(path: Path) -> np.ndarray:
    """A grid PNG as (H, W, 3) uint8 (grey grids are repeated to RGB)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def split_grid(grid: np.ndarray, columns: int = COLUMNS, padding: int = PADDING) -> np.ndarray:
    """(count, S, S, C) float tiles in [0, 1] from an (H, W[, C]) uint8 grid."""
    if grid.ndim == 2:
        grid = grid[:, :, None]
    height, width = grid.shape[:2]
    side = (width - padding) // columns - padding
    rows = (height - padding) // (side + padding) if side > 0 else 0
    if side <= 0 or padding + columns * (side + padding) != width or rows < 1 \
            or padding + rows * (side + padding) != height:
        raise ValueError(f"a {width}x{height} image is not a grid of {columns} columns "
                         f"with {padding} px padding")
    corners = [(padding + r * (side + padding), padding + c * (side + padding))
               for r in range(rows) for c in range(columns)]
    tiles = [grid[top:top + side, left:left + side] for top, left in corners]
    return np.stack(tiles).astype(np.float64) / 255.0


def grey(tiles: np.ndarray) -> np.ndarray:
    """(count, S, S, C) -> (count, S, S): the mean over channels."""
    return tiles.mean(axis=-1)
