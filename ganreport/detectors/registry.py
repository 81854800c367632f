"""The detectors by name; `detect` runs them all over one run's series."""

from __future__ import annotations

from collections.abc import Callable

from ganreport.detectors import (
    checkerboard,
    collapse,
    divergence,
    nonfinite,
    regression,
    saturation,
    spikes,
)
from ganreport.detectors.finding import SEVERITIES, Finding, RunSeries

Detector = Callable[[RunSeries], list[Finding]]

DETECTORS: dict[str, Detector] = {
    "non_finite": nonfinite.detect,
    "loss_spike": spikes.detect,
    "divergence": divergence.detect,
    "d_saturation": saturation.detect,
    "mode_collapse": collapse.detect,
    "quality_regression": regression.detect,
    "checkerboard": checkerboard.detect,
}


def _order(finding: Finding) -> tuple:
    start = finding.steps[0] if finding.steps else float("inf")
    epoch = finding.epochs[0] if finding.epochs else float("inf")
    return (start, epoch, -SEVERITIES.index(finding.severity), finding.kind)


def detect(series: RunSeries, names: tuple[str, ...] | None = None) -> list[Finding]:
    """Every finding of the named detectors (all by default), in the order they happened."""
    chosen = DETECTORS if names is None else {name: DETECTORS[name] for name in names}
    return sorted((finding for run in chosen.values() for finding in run(series)), key=_order)
