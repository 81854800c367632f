"""NaN or infinity in the logged numbers, and the step where it started.

The writer stores non-finite numbers as null, so a quantity key that is present with a
null value (or a NaN/inf, should a reader produce one) is non-finite; a key that is
missing was simply not logged. Only logged quantities of the contract are looked at
(not counters, schedules or times). Each stretch of rows with a non-finite value is one
critical finding, with the last finite values before it.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors.finding import (
    Finding,
    Row,
    RunSeries,
    epochs_text,
    fmt,
    number,
    row_span,
    true_runs,
)
from ganreport.runformat import COUNTER, METRICS, RATE, SCHEDULE, SECONDS, quantities_for

BOOKKEEPING = (COUNTER, SCHEDULE, SECONDS, RATE)


def watched_keys(loss: str, file: str = METRICS) -> list[str]:
    """The loss's logged quantities in `file` that must be finite."""
    return [q.name for q in quantities_for(loss, file) if q.kind not in BOOKKEEPING]


def bad_keys(row: Row, keys: list[str]) -> list[str]:
    return [key for key in keys if key in row and number(row[key]) is None]


def find_non_finite(rows: list[Row], loss: str, file: str = METRICS) -> list[Finding]:
    """One finding per stretch of rows holding a non-finite value."""
    keys = watched_keys(loss, file)
    bad = [bad_keys(row, keys) for row in rows]
    findings = []
    for first, last in true_runs(np.array([bool(b) for b in bad]), 0):
        steps, epochs = row_span(rows, first, last)
        names = sorted({key for row_keys in bad[first:last + 1] for key in row_keys})
        before = {}
        for key in bad[first]:
            earlier = [number(row.get(key)) for row in rows[:first]]
            finite = [value for value in earlier if value is not None]
            if finite:
                before[key] = finite[-1]
        recovered = last < len(rows) - 1
        last_values = ", ".join(f"{key} {fmt(value)}" for key, value in before.items())
        findings.append(Finding(
            kind="non_finite", severity="critical", steps=steps, epochs=epochs,
            evidence={"first_step": steps[0], "keys": names, "rows": last - first + 1,
                      "last_finite": before, "recovered": recovered},
            sentence=(f"{', '.join(bad[first])} became non-finite (NaN or infinity) at step "
                      f"{steps[0]}" + (f" ({epochs_text((epochs[0], epochs[0]))})"
                                       if epochs else "")
                      + (f"; the last finite values were {last_values}" if last_values else "")
                      + ("; later steps were finite again." if recovered
                         else "; training did not recover.")),
            quantity=bad[first][0],
        ))
    return findings


def detect(series: RunSeries) -> list[Finding]:
    return find_non_finite(series.metrics, series.loss)
