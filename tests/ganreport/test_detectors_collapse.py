"""Mode collapse from quality rows (MS-SSIM diversity) and from grids (near-identical tiles).

Tolerance: exact epochs (each measured epoch is judged on its own).
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors import RunSeries, collapse

from .test_detectors_synthetic import STEPS_PER_EPOCH, clean_run, make_grid, smooth_images


def quality_rows(fake: list[float], real: float = 0.08) -> list[dict]:
    """One row per epoch 0..n-1 with the given generated-pair MS-SSIM."""
    return [{"epoch": epoch, "msssim_fake": value, "msssim_real": real, "swd": 50.0}
            for epoch, value in enumerate(fake)]


def test_diversity_like_the_real_one_is_not_collapse():
    rng = np.random.default_rng(0)
    fake = list(0.9 - 0.8 * (1 - np.exp(-np.arange(30))) + rng.normal(0, 0.02, 30))
    fake[0] = 0.95  # the untrained G at epoch 0: alike, but not judged
    series = RunSeries("bce", quality=quality_rows(fake))
    assert collapse.from_quality(series) == []


def test_diversity_falling_below_half_the_real_one_is_found():
    fake = [0.9] + [0.12] * 10 + [0.6, 0.7, 0.65] + [0.15] * 4 + [0.96, 0.97]
    series = clean_run(20 * STEPS_PER_EPOCH, 0)
    series = RunSeries("bce", metrics=series.metrics, quality=quality_rows(fake))
    middle, end = collapse.from_quality(series)
    assert middle.epochs == (11, 13) and middle.kind == "mode_collapse"
    assert middle.steps == (1001, 1300)
    assert middle.evidence["worst_epoch"] == 12 and middle.severity == "warning"
    assert "mode collapse" in middle.sentence and "0.7" in middle.sentence
    assert end.epochs == (18, 19) and end.severity == "critical"  # diversity 3% of real


def test_rows_without_msssim_are_ignored():
    rows = [{"epoch": 1, "swd": 3.0}, {"epoch": 2, "msssim_fake": None, "msssim_real": 0.1}]
    assert collapse.from_quality(RunSeries("bce", quality=rows)) == []


def collapsed_tiles(seed: int, modes: int) -> np.ndarray:
    """64 tiles drawn from only `modes` images, with a little pixel noise."""
    base = smooth_images(modes, 32, seed)
    rng = np.random.default_rng(seed)
    tiles = base[rng.integers(0, modes, 64)].astype(float) + rng.normal(0, 2, (64, 32, 32, 3))
    return np.clip(tiles, 0, 255).astype(np.uint8)


def test_grids_of_varied_samples_are_not_collapse():
    real = make_grid(smooth_images(64, 32, 100))
    grids = {epoch: make_grid(smooth_images(64, 32, epoch)) for epoch in range(0, 5)}
    assert collapse.from_grids(RunSeries("bce", grids=grids, real_grid=real)) == []
    assert collapse.from_grids(RunSeries("bce", grids=grids)) == []  # absolute threshold


def test_grids_of_a_few_repeated_images_are_found():
    real = make_grid(smooth_images(64, 32, 100))
    grids = {0: make_grid(collapsed_tiles(0, 1)),  # epoch 0: not judged
             1: make_grid(smooth_images(64, 32, 1)),
             2: make_grid(collapsed_tiles(2, 3)),
             3: make_grid(collapsed_tiles(3, 2)),
             4: make_grid(smooth_images(64, 32, 4))}
    (found,) = collapse.from_grids(RunSeries("bce", grids=grids, real_grid=real))
    assert found.epochs == (2, 3) and found.evidence["twin_share"] == 1.0
    assert found.severity == "critical" and "near-identical" in found.sentence
    (alone,) = collapse.from_grids(RunSeries("bce", grids=grids))
    assert alone.epochs == (2, 3) and not alone.evidence["compared_with_real"]


def test_grids_drawn_4_wide_with_3px_are_cut_as_drawn():
    real = make_grid(smooth_images(64, 32, 100), columns=4, padding=3)
    grids = {1: make_grid(smooth_images(64, 32, 1), columns=4, padding=3),
             2: make_grid(collapsed_tiles(2, 3), columns=4, padding=3)}
    (found,) = collapse.from_grids(RunSeries("bce", grids=grids, real_grid=real, grid=(4, 3)))
    assert found.epochs == (2, 2) and found.evidence["twin_share"] == 1.0


def test_nearest_distances_by_hand():
    tiles = np.zeros((3, 2, 2, 1))
    tiles[1] += 0.5
    tiles[2] += 0.6
    assert np.allclose(collapse.nearest_distances(tiles), [0.5, 0.1, 0.1])
