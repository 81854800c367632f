"""Loss spikes: a logged value far above its neighbours, by a robust z-score.

Each value is compared with the median of the `window` logged rows around it (itself
left out) and scaled by their MAD, so a slow trend or a level shift is not a spike but a
value well above both its past and its future is. Rows flagged within `merge_gap` rows of
each other are one finding.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ganreport.detectors.finding import (
    Finding,
    Row,
    RunSeries,
    column,
    epochs_text,
    fmt,
    label,
    row_span,
    true_runs,
)

KEYS = ("loss_d", "loss_g")
WINDOW = 50  # logged rows around a value (25 each side)
THRESHOLD = 10.0  # robust standard deviations above the local median
MIN_NEIGHBOURS = 10  # finite neighbours needed before a value is judged
RELATIVE_FLOOR = 0.02  # the scale is at least 2% of the local level (near-constant losses)
MERGE_GAP = 5  # flagged rows this close are one event
STRONG = 20.0  # z at which a spike is a warning rather than a note


def robust_z(values: np.ndarray, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """(z, local median) of each value against the window centred on it, itself excluded.
    NaN where fewer than MIN_NEIGHBOURS finite neighbours exist."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    around = sliding_window_view(padded, 2 * half + 1).copy()  # (n, 2*half+1)
    around[:, half] = np.nan  # leave the value itself out
    enough = np.sum(np.isfinite(around), axis=1) >= MIN_NEIGHBOURS
    z, median = np.full(values.shape, np.nan), np.full(values.shape, np.nan)
    if not enough.any():
        return z, median
    rows = around[enough]
    median[enough] = np.nanmedian(rows, axis=1)
    mad = np.nanmedian(np.abs(rows - median[enough, None]), axis=1)
    scale = np.maximum(1.4826 * mad, RELATIVE_FLOOR * np.abs(median[enough]))
    scale = np.maximum(scale, 1e-12)
    z[enough] = (values[enough] - median[enough]) / scale
    return z, median


def find_spikes(rows: list[Row], key: str, loss: str, window: int = WINDOW,
                threshold: float = THRESHOLD) -> list[Finding]:
    """Upward spikes of `key` in metrics rows, one finding per burst."""
    values = column(rows, key)
    if values.size == 0:
        return []
    z, median = robust_z(values, window)
    flagged = np.nan_to_num(z, nan=-np.inf) > threshold
    findings = []
    for first, last in true_runs(flagged, MERGE_GAP):
        burst = np.arange(first, last + 1)
        peak = int(burst[np.nanargmax(np.where(flagged[burst], z[burst], -np.inf))])
        steps, epochs = row_span(rows, first, last)
        peak_steps, _ = row_span(rows, peak, peak)
        count = int(flagged[burst].sum())
        where = f"at step {peak_steps[0]}" + (f" ({epochs_text(epochs)})" if epochs else "")
        more = f", one of {count} flagged steps in {steps[0]}–{steps[1]}" if count > 1 else ""
        findings.append(Finding(
            kind="loss_spike",
            severity="warning" if z[peak] >= STRONG else "info",
            steps=steps, epochs=epochs,
            evidence={"peak": float(values[peak]), "peak_step": peak_steps[0],
                      "local_median": float(median[peak]), "robust_z": float(z[peak]),
                      "flagged_rows": count, "window": window},
            sentence=(f"{label(key, loss)} spiked to {fmt(values[peak])} {where}, "
                      f"{z[peak]:.0f} robust standard deviations above the median "
                      f"{fmt(median[peak])} of the steps around it{more}."),
            quantity=key,
        ))
    return findings


def detect(series: RunSeries) -> list[Finding]:
    return [finding for key in KEYS for finding in find_spikes(series.metrics, key, series.loss)]
