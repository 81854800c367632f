"""Mode collapse: generated samples far more alike than real ones.

Two signals. From quality rows: the diversity of generated pairs, 1 − MS-SSIM, falling
below RATIO times the real pairs' diversity. From grids: many tiles with a near-identical
twin (RMS difference below TWIN_RATIO times the real grid's typical nearest-neighbour
distance, or TWIN_ABSOLUTE without a real grid). Epoch 0 (an untrained G, whose outputs
are often alike) is not judged.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors.finding import (
    Finding,
    Row,
    RunSeries,
    epoch_steps,
    epochs_text,
    fmt,
    number,
    true_runs,
)
from ganreport.detectors.grids import split_grid
from ganreport.runformat import UNRECORDED_GRID

RATIO = 0.5  # generated diversity below half the real one
SEVERE_RATIO = 0.25
TWIN_RATIO = 0.3  # a twin is closer than 0.3 x the real tiles' median nearest distance
TWIN_ABSOLUTE = 0.04  # RMS in [0, 1] units, without a real grid
MIN_TWIN_SHARE = 0.25  # a quarter of the tiles have a twin
SEVERE_TWIN_SHARE = 0.75


def _epochs(rows: list[Row]) -> list[int | None]:
    return [row.get("epoch") if isinstance(row.get("epoch"), int) else None for row in rows]


def _grouped(series: RunSeries, epochs: list[int], flagged: np.ndarray):
    """(first epoch, last epoch, steps, index range) of each run of consecutive flags."""
    for first, last in true_runs(flagged):
        span = (epochs[first], epochs[last])
        yield span, epoch_steps(series, *span), (first, last)


def from_quality(series: RunSeries) -> list[Finding]:
    """Runs of measured epochs whose generated diversity is well below the real one."""
    rows = [row for row, epoch in zip(series.quality, _epochs(series.quality), strict=True)
            if epoch and number(row.get("msssim_fake")) is not None
            and number(row.get("msssim_real")) is not None]
    if not rows:
        return []
    fake = np.array([1 - row["msssim_fake"] for row in rows])
    real = np.array([1 - row["msssim_real"] for row in rows])
    flagged = fake < RATIO * real
    findings = []
    for span, steps, (first, last) in _grouped(series, _epochs(rows), flagged):
        worst = first + int(np.argmin(fake[first:last + 1] / real[first:last + 1]))
        share = float(fake[worst] / real[worst])
        findings.append(Finding(
            kind="mode_collapse", severity="critical" if share < SEVERE_RATIO else "warning",
            steps=steps, epochs=span,
            evidence={"signal": "msssim", "worst_epoch": rows[worst]["epoch"],
                      "msssim_fake": rows[worst]["msssim_fake"],
                      "msssim_real": rows[worst]["msssim_real"], "diversity_share": share},
            sentence=(f"Samples were far less varied than real images in {epochs_text(span)}: "
                      f"the MS-SSIM of generated pairs reached {fmt(rows[worst]['msssim_fake'])} "
                      f"against {fmt(rows[worst]['msssim_real'])} for real pairs (diversity "
                      f"{share:.0%} of the real one), a sign of mode collapse."),
            quantity="msssim_fake",
        ))
    return findings


def nearest_distances(tiles: np.ndarray) -> np.ndarray:
    """Each tile's RMS distance to its nearest other tile: (count,)."""
    flat = tiles.reshape(tiles.shape[0], -1)
    squared = (flat**2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * flat @ flat.T
    distances = np.sqrt(np.maximum(distances, 0) / flat.shape[1])
    np.fill_diagonal(distances, np.inf)
    return distances.min(axis=1)


def twin_share(grid: np.ndarray, real_grid: np.ndarray | None,
               geometry: tuple[int, int] = UNRECORDED_GRID) -> tuple[float, float]:
    """(share of tiles with a near-identical twin, the distance threshold used); the grids
    are cut by `geometry`, (columns, padding)."""
    threshold = TWIN_ABSOLUTE
    if real_grid is not None:
        real = split_grid(real_grid, *geometry)
        threshold = TWIN_RATIO * float(np.median(nearest_distances(real)))
    return float((nearest_distances(split_grid(grid, *geometry)) < threshold).mean()), threshold


def from_grids(series: RunSeries) -> list[Finding]:
    """Runs of sampled epochs whose grid is full of near-identical tiles."""
    epochs = sorted(epoch for epoch in series.grids if epoch > 0)
    shares = [twin_share(series.grids[epoch], series.real_grid, series.grid) for epoch in epochs]
    flagged = np.array([share >= MIN_TWIN_SHARE for share, _ in shares], dtype=bool)
    findings = []
    for span, steps, (first, last) in _grouped(series, epochs, flagged):
        worst = max(range(first, last + 1), key=lambda index: shares[index][0])
        share, threshold = shares[worst]
        findings.append(Finding(
            kind="mode_collapse",
            severity="critical" if share >= SEVERE_TWIN_SHARE else "warning",
            steps=steps, epochs=span,
            evidence={"signal": "grid", "worst_epoch": epochs[worst], "twin_share": share,
                      "twin_threshold": threshold, "compared_with_real": series.real_grid
                      is not None},
            sentence=(f"The sample grid of {epochs_text((epochs[worst], epochs[worst]))} has "
                      f"near-identical twins for {share:.0%} of its tiles"
                      + (f" ({epochs_text(span)} flagged)" if span[0] != span[1] else "")
                      + ": the generator draws the same few images, a sign of mode collapse."),
        ))
    return findings


def detect(series: RunSeries) -> list[Finding]:
    return from_quality(series) + from_grids(series)
