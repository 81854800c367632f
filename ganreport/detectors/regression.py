"""Quality regression: the best epoch by SWD (or FID) is well before the last one.

"The images around the middle were significantly better than the later ones." The end
of the run is the median of its last TAIL measurements (one bad measurement is not a
regression); it is a finding when the best epoch has at least TAIL measurements after it,
lies in the first 80% of the run, and the end is farther from the real-data floor than
the best by at least MIN_WORSENING of the best's own distance, and by more than 3 times
the measurement noise.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors.finding import (
    Finding,
    Row,
    RunSeries,
    epoch_steps,
    fmt,
    number,
    robust_sigma,
)

KEYS = ("swd", "fid")
NAMES = {"swd": "SWD", "fid": "FID"}
TAIL = 3
MIN_MEASUREMENTS = 5
EARLY = 0.8  # the best epoch lies in the first 80% of the run
MIN_WORSENING = 0.25
SEVERE_WORSENING = 1.0
NOISE_FACTOR = 3.0


def find_regression(rows: list[Row], key: str, floor: Row | None = None) -> Finding | None:
    """The regression of a lower-is-better metric `key`, or None."""
    points = [(row["epoch"], number(row.get(key))) for row in rows
              if isinstance(row.get("epoch"), int) and number(row.get(key)) is not None]
    if len(points) < MIN_MEASUREMENTS:
        return None
    epochs = np.array([epoch for epoch, _ in points])
    values = np.array([value for _, value in points])
    best = int(np.argmin(values))
    end = float(np.median(values[-TAIL:]))
    floor_value = number((floor or {}).get(key))
    base = floor_value if floor_value is not None and floor_value < values[best] else 0.0
    worsening = (end - values[best]) / max(values[best] - base, 1e-12)
    noise = robust_sigma(np.diff(values)) / np.sqrt(2)
    if (best >= len(values) - TAIL or epochs[best] > EARLY * epochs[-1]
            or worsening < MIN_WORSENING or end - values[best] <= NOISE_FACTOR * noise):
        return None
    name = NAMES.get(key, key)
    floor_text = f" against a real-data floor of {fmt(floor_value)}" if floor_value else ""
    return Finding(
        kind="quality_regression",
        severity="critical" if worsening >= SEVERE_WORSENING else "warning",
        steps=None, epochs=(int(epochs[best]), int(epochs[-1])),
        evidence={"metric": key, "best_epoch": int(epochs[best]), "best": float(values[best]),
                  "last_epoch": int(epochs[-1]), "end": end, "floor": floor_value,
                  "worsening": float(worsening), "noise": noise},
        sentence=(f"{name} was best at epoch {epochs[best]} ({fmt(values[best])}{floor_text}) "
                  f"and worse at the end ({fmt(end)} over the last {TAIL} measurements, up "
                  f"to epoch {epochs[-1]}): the samples from the middle of the run were "
                  f"better than the last ones."),
        quantity=key,
    )


def detect(series: RunSeries) -> list[Finding]:
    findings = []
    for key in KEYS:
        found = find_regression(series.quality, key, series.floor)
        if found:
            steps = epoch_steps(series, *found.epochs)
            findings.append(Finding(**{**found.as_dict(), "steps": steps}))
    return findings
