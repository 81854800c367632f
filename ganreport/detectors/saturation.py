"""D saturation (BCE runs only): D(x) → 1 and D(G(z)) → 0, so G's gradient vanishes.

A row counts when the running medians (over WINDOW logged rows, centred) of D(x) and
D(G(z)) are past HIGH and LOW; a stretch of at least MIN_ROWS such rows is a finding,
critical when it lasts to the end of the run (D won and G never came back).
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
    row_span,
    true_runs,
)

HIGH, LOW = 0.95, 0.05
WINDOW = 9  # logged rows in the running median
MIN_ROWS = 5  # at least this many rows ...
MIN_SHARE = 0.02  # ... and this share of the run
MERGE_GAP = 2


def running_median(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Centred running median ignoring NaN; NaN where the window holds no finite value."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    around = sliding_window_view(padded, 2 * half + 1)
    out = np.full(values.shape, np.nan)
    some = np.isfinite(around).any(axis=1)
    out[some] = np.nanmedian(around[some], axis=1)
    return out


def find_saturation(rows: list[Row], loss: str) -> list[Finding]:
    """Stretches where D wins outright; nothing for losses other than BCE."""
    if loss != "bce" or not rows:
        return []
    d_x, d_g_z = running_median(column(rows, "d_x")), running_median(column(rows, "d_g_z"))
    won = np.nan_to_num(d_x, nan=0.0) > HIGH
    won &= np.nan_to_num(d_g_z, nan=1.0) < LOW
    shortest = max(MIN_ROWS, int(MIN_SHARE * len(rows)))
    findings = []
    for first, last in true_runs(won, MERGE_GAP):
        if last - first + 1 < shortest:
            continue
        steps, epochs = row_span(rows, first, last)
        to_end = last >= len(rows) - 1 - MERGE_GAP
        mean_x = float(np.nanmean(d_x[first:last + 1]))
        mean_g = float(np.nanmean(d_g_z[first:last + 1]))
        until = "until the end of the run" if to_end else f"until step {steps[1]}"
        findings.append(Finding(
            kind="d_saturation", severity="critical" if to_end else "warning",
            steps=steps, epochs=epochs,
            evidence={"d_x": mean_x, "d_g_z": mean_g, "rows": last - first + 1,
                      "to_end": to_end},
            sentence=(f"D won outright from step {steps[0]}"
                      + (f" ({epochs_text(epochs)})" if epochs else "")
                      + f" {until}: D(x) stayed near {fmt(mean_x)} and D(G(z)) near "
                      f"{fmt(mean_g)}, so G got almost no gradient."),
            quantity="d_g_z",
        ))
    return findings


def detect(series: RunSeries) -> list[Finding]:
    return find_saturation(series.metrics, series.loss)
