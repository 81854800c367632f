"""Synthetic runs for the detector tests: noisy but event-free series, and grids.

Clean series look like a healthy BCE run: an early transient, then losses that wander
around a level with autocorrelated, right-skewed noise (G's loss has a long upper tail).
Events are injected by the tests themselves at known rows. The generators' own checks
are at the end.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors import RunSeries

STEPS_PER_EPOCH = 100


def ar1(rng: np.random.Generator, count: int, phi: float, sigma: float) -> np.ndarray:
    """Autocorrelated Gaussian noise with stationary standard deviation `sigma`."""
    noise = rng.normal(0, sigma * np.sqrt(1 - phi**2), count)
    out = np.empty(count)
    out[0] = rng.normal(0, sigma)
    for index in range(1, count):
        out[index] = phi * out[index - 1] + noise[index]
    return out


def clean_columns(count: int = 2000, seed: int = 0) -> dict[str, np.ndarray]:
    """loss_d, loss_g, d_x, d_g_z of a healthy-looking BCE run, one value per logged row."""
    rng = np.random.default_rng(seed)
    t = np.arange(count)
    loss_d = 0.7 + 0.6 * np.exp(-t / 80) + ar1(rng, count, 0.6, 0.08)
    skew = rng.gamma(16.0, 1 / 16.0, count)  # mean 1, long upper tail
    loss_g = (2.2 - 1.2 * np.exp(-t / 120) + ar1(rng, count, 0.6, 0.15)) * skew
    d_x = np.clip(0.75 + ar1(rng, count, 0.5, 0.06), 0.01, 0.99)
    d_g_z = np.clip(0.3 + ar1(rng, count, 0.5, 0.06), 0.01, 0.99)
    return {"loss_d": loss_d, "loss_g": loss_g, "d_x": d_x, "d_g_z": d_g_z}


def rows_from(columns: dict[str, np.ndarray]) -> list[dict]:
    """metrics.jsonl rows: step, epoch and the columns (non-finite as null, like the writer)."""
    count = len(next(iter(columns.values())))
    rows = []
    for index in range(count):
        row = {"step": index + 1, "epoch": index // STEPS_PER_EPOCH + 1}
        for key, values in columns.items():
            value = float(values[index])
            row[key] = round(value, 6) if np.isfinite(value) else None
        rows.append(row)
    return rows


def clean_run(count: int = 2000, seed: int = 0, loss: str = "bce") -> RunSeries:
    return RunSeries(loss=loss, metrics=rows_from(clean_columns(count, seed)))


def smooth_images(count: int, side: int, seed: int, channels: int = 3) -> np.ndarray:
    """Natural-looking images: 1/f² noise fields, (count, side, side, channels) uint8."""
    rng = np.random.default_rng(seed)
    freq = np.fft.fftfreq(side)
    radius = np.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2)
    radius[0, 0] = 1.0
    spectrum = rng.normal(size=(count, channels, side, side)) + 1j * rng.normal(
        size=(count, channels, side, side))
    fields = np.fft.ifft2(spectrum / radius**1.5).real  # (count, channels, side, side)
    fields -= fields.mean(axis=(2, 3), keepdims=True)
    fields /= fields.std(axis=(2, 3), keepdims=True)
    pixels = np.clip(128 + 40 * fields, 0, 255).astype(np.uint8)
    return pixels.transpose(0, 2, 3, 1)


def make_grid(tiles: np.ndarray, columns: int = 8, padding: int = 2) -> np.ndarray:
    """Tiles (count, S, S, C) -> one grid image with black padding, like torchvision's."""
    count, side, _, channels = tiles.shape
    rows = -(-count // columns)
    grid = np.zeros((padding + rows * (side + padding), padding + columns * (side + padding),
                     channels), dtype=np.uint8)
    for index in range(count):
        top = padding + (index // columns) * (side + padding)
        left = padding + (index % columns) * (side + padding)
        grid[top:top + side, left:left + side] = tiles[index]
    return grid


def test_the_clean_series_look_like_a_healthy_run():
    columns = clean_columns(2000, 0)
    assert 0.5 < np.median(columns["loss_d"][500:]) < 0.9
    assert 1.7 < np.median(columns["loss_g"][500:]) < 2.7
    assert columns["loss_g"][500:].max() > 3.0  # a long upper tail, yet no event
    rows = rows_from({"a": np.array([1.0, np.nan, np.inf])})
    assert [row["a"] for row in rows] == [1.0, None, None] and rows[2]["step"] == 3
    grid = make_grid(smooth_images(64, 16, 0))
    assert grid.shape == (2 + 8 * 18, 2 + 8 * 18, 3) and grid[:2].max() == 0
