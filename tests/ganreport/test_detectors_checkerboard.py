"""Checkerboard: period-2 patterns found against the real grid; smooth or noisy samples not.

Tolerance: exact epochs (each grid is judged on its own).
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors import RunSeries, checkerboard, split_grid

from .test_detectors_synthetic import make_grid, smooth_images


def with_checkerboard(tiles: np.ndarray, amplitude: float) -> np.ndarray:
    y, x = np.mgrid[0:tiles.shape[1], 0:tiles.shape[2]]
    pattern = ((-1.0) ** (x + y))[None, :, :, None]
    return np.clip(tiles.astype(float) + amplitude * pattern, 0, 255).astype(np.uint8)


REAL = make_grid(smooth_images(64, 32, 100))


def test_smooth_and_noisy_samples_are_not_checkerboards():
    rng = np.random.default_rng(0)
    noisy = smooth_images(64, 32, 3).astype(float) + rng.normal(0, 20, (64, 32, 32, 3))
    grids = {1: make_grid(smooth_images(64, 32, 1)), 2: make_grid(smooth_images(64, 32, 2)),
             3: make_grid(np.clip(noisy, 0, 255).astype(np.uint8))}
    assert checkerboard.detect(RunSeries("bce", grids=grids, real_grid=REAL)) == []


def test_checkerboard_epochs_are_found():
    grids = {0: make_grid(with_checkerboard(smooth_images(64, 32, 0), 20)),  # not judged
             1: make_grid(smooth_images(64, 32, 1)),
             2: make_grid(with_checkerboard(smooth_images(64, 32, 2), 4)),
             3: make_grid(with_checkerboard(smooth_images(64, 32, 3), 12)),
             4: make_grid(smooth_images(64, 32, 4))}
    (found,) = checkerboard.detect(RunSeries("bce", grids=grids, real_grid=REAL))
    assert found.epochs == (2, 3) and found.evidence["worst_epoch"] == 3
    assert found.evidence["ratio"] > 10 and found.severity == "critical"
    assert "checkerboard" in found.sentence


def test_grey_digit_sized_grids_and_no_real_grid():
    grey_real = make_grid(smooth_images(64, 28, 50, channels=1))[:, :, 0]
    tiles = with_checkerboard(smooth_images(64, 28, 51, channels=1), 10)
    series = RunSeries("bce", grids={5: make_grid(tiles)[:, :, 0]}, real_grid=grey_real)
    assert [f.epochs for f in checkerboard.detect(series)] == [(5, 5)]
    assert checkerboard.detect(RunSeries("bce", grids=series.grids)) == []


def test_share_and_peak_of_a_pure_pattern():
    tiles = with_checkerboard(np.full((4, 16, 16, 1), 128, np.uint8), 50)
    tiles = split_grid(make_grid(tiles))  # one row: 4 pattern tiles and 4 blank ones
    assert checkerboard.nyquist_share(tiles) > 0.8 and checkerboard.nyquist_peak(tiles) > 100
    assert checkerboard.nyquist_share(np.zeros((2, 16, 16, 1))) == 0.0


def test_grids_are_cut_by_the_geometry_the_run_drew_them_with():
    """A run drawn 4 wide with 3 px of padding (Run.grid) is cut as drawn: 8 columns of
    2 px do not even fit its width."""
    real = make_grid(smooth_images(64, 32, 100), columns=4, padding=3)
    grids = {1: make_grid(smooth_images(64, 32, 1), columns=4, padding=3),
             2: make_grid(with_checkerboard(smooth_images(64, 32, 2), 12), columns=4, padding=3)}
    series = RunSeries("bce", grids=grids, real_grid=real, grid=(4, 3))
    (found,) = checkerboard.detect(series)
    assert found.epochs == (2, 2)
