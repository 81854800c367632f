"""What a detector returns and what it reads: a Finding, and a run's series as plain data.

Detectors are pure functions over plain rows (the dicts of metrics.jsonl, epochs.jsonl
and quality.jsonl), the loss name, and grid images as numpy arrays: no reader, no
files, no torch, so each is tested on synthetic series with known events.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ganreport.runformat import UNRECORDED_GRID, quantity

SEVERITIES = ("info", "warning", "critical")  # in rising order

Row = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One setback: what, where (steps and epochs, inclusive), how bad, the numbers, in words."""

    kind: str  # the detector's name: 'loss_spike', 'divergence', ...
    severity: str  # one of SEVERITIES
    steps: tuple[int, int] | None  # first and last step concerned; None when unknown
    epochs: tuple[int, int] | None  # first and last epoch concerned; None when unknown
    evidence: dict[str, Any]  # the numbers behind the sentence, JSON-ready
    sentence: str  # one plain-English sentence for the setbacks page
    quantity: str | None = None  # the logged key it is about ('loss_g', 'swd'), for a plot

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunSeries:
    """Everything the detectors read about one run, as plain data."""

    loss: str  # the loss name from config ('bce', 'wgan-gp', ...)
    metrics: list[Row] = field(default_factory=list)  # metrics.jsonl rows
    epochs: list[Row] = field(default_factory=list)  # epochs.jsonl rows
    quality: list[Row] = field(default_factory=list)  # quality.jsonl rows
    floor: Row | None = None  # the study's real-against-real quality row
    grids: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> grid image
    real_grid: np.ndarray | None = None  # samples/real.png as an array
    grid: tuple[int, int] = UNRECORDED_GRID  # (columns, padding) the grids were drawn with


def number(value: Any) -> float | None:
    """A finite int or float as float; None for null, NaN, infinity, text, booleans."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def column(rows: list[Row], key: str) -> np.ndarray:
    """The key's values row by row as floats, NaN where missing or non-finite."""
    values = [number(row.get(key)) for row in rows]
    return np.array([np.nan if value is None else value for value in values], dtype=float)


def step_of(rows: list[Row], index: int) -> int:
    """A row's step (1-based row number when the row has none)."""
    step = rows[index].get("step")
    return int(step) if isinstance(step, int) else index + 1


def epoch_of(rows: list[Row], index: int) -> int | None:
    epoch = rows[index].get("epoch")
    return int(epoch) if isinstance(epoch, int) else None


Span = tuple[int, int]


def row_span(rows: list[Row], first: int, last: int) -> tuple[Span, Span | None]:
    """(steps, epochs) covered by rows[first..last]."""
    epochs = [epoch_of(rows, first), epoch_of(rows, last)]
    return ((step_of(rows, first), step_of(rows, last)),
            (epochs[0], epochs[1]) if None not in epochs else None)


def epoch_steps(series: RunSeries, first: int, last: int) -> tuple[int, int] | None:
    """Steps of epochs first..last, from metrics rows, else from epochs rows' last steps."""
    steps = [step_of(series.metrics, i) for i, row in enumerate(series.metrics)
             if isinstance(row.get("epoch"), int) and first <= row["epoch"] <= last]
    if steps:
        return min(steps), max(steps)
    ends = {row.get("epoch"): row["step"] for row in series.epochs
            if isinstance(row.get("step"), int)}  # epoch -> its last step
    if last not in ends:
        return None
    before = ends.get(first - 1)
    return (before + 1 if before is not None else ends.get(first, ends[last]), ends[last])


def true_runs(mask: np.ndarray, merge_gap: int = 0) -> list[tuple[int, int]]:
    """(first, last) index of each run of True, runs at most `merge_gap` apart joined."""
    runs: list[tuple[int, int]] = []
    for index in np.flatnonzero(mask):
        if runs and index - runs[-1][1] <= merge_gap + 1:
            runs[-1] = (runs[-1][0], int(index))
        else:
            runs.append((int(index), int(index)))
    return runs


def robust_sigma(values: np.ndarray) -> float:
    """1.4826 x median absolute deviation: the standard deviation for Gaussian noise."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def label(key: str, loss: str) -> str:
    """The quantity's label from the contract ('G loss (BCE, non-saturating)'), else the key."""
    found = quantity(key, loss)
    return found.label if found else key


def fmt(value: float) -> str:
    """Numbers in sentences: three significant digits."""
    return f"{value:.3g}"


def epochs_text(epochs: tuple[int, int] | None) -> str:
    if not epochs:
        return ""
    return f"epoch {epochs[0]}" if epochs[0] == epochs[1] else f"epochs {epochs[0]}–{epochs[1]}"
