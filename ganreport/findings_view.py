"""Setbacks on the site: the detectors' findings of each run, each with a small plot.

`run_series(run)` turns a read run into the detectors' plain input (ganreport/detectors/);
`run_findings(run)` runs them; `finding_chart(run, finding, colour)` zooms on the curve the
finding is about, with vertical marks where it starts and ends. No torch, no run files
read here except the sample grids (as arrays, for the grid-based detectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import runformat, urls
from .charts import EPOCH_LABEL, STEP_LABEL, Chart, Mark, Panel, Reference, Series, series_of
from .detectors import DETECTORS, Finding, RunSeries, load_grid
from .detectors.registry import _order
from .read_runs import Run

SMALL_WIDTH = 4.2  # inches: a setback's plot sits beside its sentence
PAD = 3  # show this many times the finding's own width on each side (at least 5 x units)
FALLBACK_QUANTITY = "loss_g"  # findings from grids alone are marked on G's loss


def run_series(run: Run) -> RunSeries:
    """What the detectors read about one run (grids decoded as arrays)."""
    grids = {}
    for epoch, grid in run.samples.items():
        try:
            grids[epoch] = load_grid(grid.path)
        except (OSError, ValueError):
            continue
    real = None
    if run.real_grid is not None:
        try:
            real = load_grid(run.real_grid.path)
        except (OSError, ValueError):
            real = None
    floor = run.quality_summary.get("floor")
    return RunSeries(loss=run.loss or runformat.DEFAULT_LOSS, metrics=run.metrics,
                     epochs=run.epochs, quality=run.quality,
                     floor=floor if isinstance(floor, dict) else None,
                     grids=grids, real_grid=real, grid=run.grid)


def run_findings(run: Run) -> list[Finding]:
    """Every detector's findings on the run, in the order they happened."""
    series = run_series(run)
    found = [finding for detect in DETECTORS.values() for finding in detect(series)]
    return sorted(found, key=_order)


def status_note(run: Run) -> str | None:
    """A run that did not finish says so (the detectors look at numbers, not at status)."""
    if run.status.state in ("complete", "running"):
        return None
    done = run.summary.get("epochs_completed", "?")
    planned = run.summary.get("epochs_planned", "?")
    return f"Run {run.status.text}: {done} of {planned} epochs finished."


def _where(run: Run, finding: Finding) -> tuple[list[dict[str, Any]], str, str, tuple | None]:
    """(rows, x key, the quantity, its span) a finding's plot draws."""
    key = finding.quantity or FALLBACK_QUANTITY
    if any(key in row for row in run.quality):
        return run.quality, "epoch", key, finding.epochs
    if any(key in row for row in run.metrics) and finding.steps:
        return run.metrics, "step", key, finding.steps
    if any(key in row for row in run.epochs):
        return run.epochs, "epoch", key, finding.epochs
    return run.metrics, "step", FALLBACK_QUANTITY, finding.steps


def finding_chart(run: Run, finding: Finding, colour: str, index: int) -> Chart | None:
    """The finding's quantity around where it happened, its start and end marked."""
    rows, x, key, span = _where(run, finding)
    xs, values = series_of(rows, key, x)
    if not any(value is not None for value in values) or span is None:
        return None
    quantity = runformat.quantity(key, run.loss or runformat.DEFAULT_LOSS)
    label = quantity.label if quantity else key
    first, last = span
    width = max(last - first, 5)
    x_range = (max(min(xs), first - PAD * width), min(max(xs), last + PAD * width))
    if x_range[0] >= x_range[1]:
        x_range = None
    marks = [Mark(first, "from" if last != first else "here")]
    if last != first:
        marks.append(Mark(last, "to"))
    floor = run.quality_summary.get("floor") if x == "epoch" and rows is run.quality else None
    value = floor.get(key) if isinstance(floor, dict) else None
    references = (Reference(float(value), "real vs real"),) \
        if isinstance(value, (int, float)) and not isinstance(value, bool) else ()
    where = f"{x}s {first}–{last}" if last != first else f"{x} {first}"
    return Chart(
        name=urls.figure_name(f"setback-{index}-{finding.kind}", [run.key]),
        title="", xlabel=EPOCH_LABEL if x == "epoch" else STEP_LABEL,
        panels=(Panel(label, quantity.kind.name if quantity else "unknown",
                      (Series(label, xs, (), values, colour),), references=references,
                      legend=bool(references)),),
        marks=tuple(marks), width=SMALL_WIDTH, x_range=x_range,
        alt=f"{run.key}: {label} around {where}, where the {finding.kind.replace('_', ' ')} "
            f"was found",
        caption=f"{label} around {where} (dashed lines).")


@dataclass(frozen=True)
class Shown:
    """A finding as the setbacks page shows it."""

    finding: Finding
    plot: dict[str, Any] | None

    @property
    def title(self) -> str:
        return self.finding.kind.replace("_", " ").capitalize()
