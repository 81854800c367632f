"""Divergence: the gap between G's and D's losses drifting one way until the end.

"The generator loss was continually increasing": a healthy run's losses wander around a
level; a diverging one has a trend that does not stop. The gap loss_g − loss_d is binned
(medians of equal runs of rows, which removes the step noise), and the earliest start
from which the binned gap rises (or falls) steadily to the end is reported: Kendall's
tau of the bins against time at least MIN_TAU, and a Theil–Sen rise larger than both the
bins' scatter around the trend and half the per-step noise of the gap.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors.finding import (
    Finding,
    Row,
    RunSeries,
    column,
    epochs_text,
    fmt,
    robust_sigma,
    row_span,
)

BINS = 40
MIN_BINS = 8  # a trend needs at least this many bins (and the run 5 rows per bin)
MIN_SHARE = 0.25  # ... and must cover at least this share of the run
MIN_TAU = 0.6
MIN_RISE_OVER_SCATTER = 6.0
MIN_RISE_OVER_NOISE = 1.0
WARM_UP = 0.1  # the first tenth of the run is left out: losses move fast at the start
END_SHARE = 0.3  # over the last bins the slope keeps at least this share of the trend's


def kendall_tau(values: np.ndarray) -> float:
    """Kendall's tau of values against their order (no ties correction: bins are medians)."""
    signs = np.sign(values[None, :] - values[:, None])[np.triu_indices(values.size, 1)]
    return float(signs.mean()) if signs.size else 0.0


def theil_sen(values: np.ndarray) -> tuple[float, float]:
    """(slope per bin, intercept): median of pairwise slopes, robust to outliers."""
    index = np.arange(values.size, dtype=float)
    first, second = np.triu_indices(values.size, 1)
    slope = float(np.median((values[second] - values[first]) / (second - first)))
    return slope, float(np.median(values - slope * index))


def binned(values: np.ndarray, bins: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Medians of `bins` equal runs of finite values, and each bin's (first, last) index."""
    finite = np.flatnonzero(np.isfinite(values))
    edges = np.linspace(0, finite.size, bins + 1).astype(int)
    parts = [finite[start:end] for start, end in zip(edges[:-1], edges[1:], strict=True)]
    return (np.array([np.median(values[part]) for part in parts]),
            [(int(part[0]), int(part[-1])) for part in parts])


def change_point(gap: np.ndarray, shortest: int) -> int:
    """The bin where a 'flat, then a straight line' fit (a hinge) leaves the least error."""
    index = np.arange(gap.size, dtype=float)
    errors = []
    for start in range(gap.size - shortest + 1):
        design = np.stack([np.ones_like(index), np.maximum(index - start, 0)], axis=1)
        fitted = design @ np.linalg.lstsq(design, gap, rcond=None)[0]
        errors.append(float(np.sum((gap - fitted) ** 2)))
    return int(np.argmin(errors))


def trend_from(gap: np.ndarray, noise: float) -> tuple[int, dict] | None:
    """Where the gap starts trending steadily to the end, with its numbers; None if it does
    not (too weak, too scattered, or settled before the end)."""
    shortest = max(MIN_BINS, int(MIN_SHARE * gap.size))
    start = change_point(gap, shortest)
    part = gap[start:]
    tau = kendall_tau(part)
    slope, intercept = theil_sen(part)
    rise = slope * (part.size - 1)
    scatter = robust_sigma(part - (intercept + slope * np.arange(part.size)))
    end_slope, _ = theil_sen(gap[-MIN_BINS:])  # still moving at the end, the same way
    if (abs(tau) >= MIN_TAU and abs(rise) >= MIN_RISE_OVER_SCATTER * max(scatter, 1e-12)
            and abs(rise) >= MIN_RISE_OVER_NOISE * noise
            and end_slope * slope > 0 and abs(end_slope) >= END_SHARE * abs(slope)):
        return start, {"kendall_tau": tau, "rise": rise, "bin_scatter": scatter,
                       "end_slope_per_bin": end_slope}
    return None


def find_divergence(rows: list[Row], loss: str, bins: int = BINS) -> list[Finding]:
    """At most one finding: the gap's steady trend to the end of the run."""
    loss_g, loss_d = column(rows, "loss_g"), column(rows, "loss_d")
    gap = loss_g - loss_d
    count = int(np.isfinite(gap).sum())
    bins = min(bins, count // 5)
    if bins < MIN_BINS:
        return []
    binned_gap, spans = binned(gap, bins)
    skip = int(WARM_UP * bins)
    noise = robust_sigma(np.diff(gap[np.isfinite(gap)])) / np.sqrt(2)
    found = trend_from(binned_gap[skip:], noise)
    if found is None:
        return []
    start, numbers = found[0] + skip, found[1]
    first, last = spans[start][0], spans[-1][1]
    steps, epochs = row_span(rows, first, last)
    g_start, g_end = binned(loss_g, bins)[0][[start, -1]]
    d_start, d_end = binned(loss_d, bins)[0][[start, -1]]
    direction = "rose" if numbers["rise"] > 0 else "fell"
    sentence = (f"From step {steps[0]}" + (f" ({epochs_text(epochs)})" if epochs else "")
                + f", G's loss went from {fmt(g_start)} to {fmt(g_end)} and D's from "
                f"{fmt(d_start)} to {fmt(d_end)}: the gap between them {direction} steadily "
                f"by {fmt(abs(numbers['rise']))} and had not settled by the end of the run.")
    evidence = {**numbers, "loss_g_start": float(g_start), "loss_g_end": float(g_end),
                "loss_d_start": float(d_start), "loss_d_end": float(d_end), "bins": bins}
    return [Finding("divergence", "warning", steps, epochs, evidence, sentence, "loss_g")]


def detect(series: RunSeries) -> list[Finding]:
    return find_divergence(series.metrics or series.epochs, series.loss)
