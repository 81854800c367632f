"""The metrics by name: adding one is a module with a METRIC and a line here."""

from __future__ import annotations

from training.metrics import coverage, fid, msssim, swd
from training.metrics.base import Metric

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (swd.METRIC, msssim.METRIC, fid.METRIC, coverage.METRIC)
}


def get(name: str) -> Metric:
    """The registered metric `name`; ValueError naming the known ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown quality metric {name!r}; known: {', '.join(METRICS)}") from None
