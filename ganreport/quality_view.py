"""Sample quality on the site: curves against the real floor, the best epoch, rankings.

Reads only what the trainer wrote (quality.jsonl rows and quality.json, via read_runs);
never torch. Builders return plain data or `charts.Chart`s; pages/templates show them.

- `quality_chart(run, ...)`: one panel per metric family (SWD, MS-SSIM, FID, KID, MNIST
  coverage), the EMA twin dashed beside the raw G, the real-against-real floor as a
  dotted line, the best epoch as a mark;
- `best_epoch(run)`, `metric_of(run)`, `notes(run)`: what the version page says in words
  (FID off and why, the share of time spent measuring);
- `ranking(runs)`: the compare page's table, versions ranked by the study's metric at
  their best and at their last measured epoch;
- `compare_quality_chart(runs, ...)`: the chosen metric of every version over epochs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from . import runformat, urls
from .charts import DASHES, EPOCH_LABEL, Chart, Mark, Panel, Reference, Series, series_of
from .read_runs import Grid, Run

# Panels: (quality.jsonl key, the floor key it is compared with). Each panel also draws
# the key's EMA twin (`ema_<key>`) when the run has one.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("swd", "swd"),
    ("msssim_fake", "msssim_fake"),  # the floor's generated side is a second real sample
    ("fid", "fid"),
    ("kid", "kid"),
    ("coverage", "coverage"),
    ("class_kl", "class_kl"),
)
NAMES = {"swd": "SWD", "fid": "FID", "kid": "KID"}
FID_HOW_TO = ("no Inception weights were found where the run was trained, and the trainer "
              "never downloads them. To turn them on, put the torch-fidelity file "
              "weights-inception-2015-12-05-6726825d.pth (or pytorch-fid's "
              "pt_inception-2015-12-05-6726825d.pth) in torch's hub cache "
              "($TORCH_HOME/hub/checkpoints, normally ~/.cache/torch/hub/checkpoints), or set "
              "quality.inception_weights to its path, and train again")
PATH = re.compile(r"(?:~|\.{0,2})?(?:/[^\s/,;:]+)+/?")  # local paths stay off the site


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def floor(run: Run) -> dict[str, Any]:
    """The study's real-against-real row stored with the run ({} for older runs)."""
    value = run.quality_summary.get("floor")
    return value if isinstance(value, dict) else {}


def metric_of(run: Run) -> str:
    """The key that picks the run's best epoch (quality.json, else config, else swd)."""
    stored = run.quality_summary.get("metric")
    if isinstance(stored, str) and stored:
        return stored
    section = run.config.get("quality")
    configured = section.get("metric") if isinstance(section, dict) else None
    return configured if isinstance(configured, str) else "swd"


def _label(key: str, run: Run) -> str:
    found = runformat.quantity(key, run.loss or runformat.DEFAULT_LOSS)
    return found.label if found else key


@dataclass(frozen=True)
class Point:
    """A measured epoch and the metric's value there."""

    epoch: int
    value: float


def measured(run: Run, key: str) -> list[Point]:
    """(epoch, value) of every quality.jsonl row that has the key, in epoch order."""
    points = [Point(row["epoch"], _number(row.get(key))) for row in run.quality
              if isinstance(row.get("epoch"), int) and _number(row.get(key)) is not None]
    return sorted(points, key=lambda point: point.epoch)


def best_epoch(run: Run) -> Point | None:
    """The best epoch as the trainer recorded it, else the lowest value measured."""
    best = run.quality_summary.get("best")
    if isinstance(best, dict) and isinstance(best.get("epoch"), int) \
            and _number(best.get("value")) is not None:
        return Point(best["epoch"], float(best["value"]))
    points = measured(run, metric_of(run))
    return min(points, key=lambda point: point.value) if points else None


def last_point(run: Run) -> Point | None:
    points = measured(run, metric_of(run))
    return points[-1] if points else None


def fid_off(run: Run) -> str | None:
    """Why FID/KID are off for this run, or None when they ran (or nothing was measured).

    The trainer's line names folders of the training machine; the site says the same
    without them (no local path is published)."""
    if not run.quality or any("fid" in row for row in run.quality):
        return None
    skipped = run.quality_summary.get("skipped")
    reason = skipped.get("fid") if isinstance(skipped, dict) else None
    if not isinstance(reason, str) or "no Inception weights" in reason:
        return FID_HOW_TO
    reason = reason.removeprefix("FID/KID off: ")
    return PATH.sub("<path>", reason) if isinstance(reason, str) else FID_HOW_TO


def notes(run: Run) -> list[str]:
    """Sentences for the version page: FID off and why, the metric used, the time share."""
    lines = []
    reason = fid_off(run)
    if reason:
        lines.append(f"FID and KID are off for this run: {reason}.")
    note = run.quality_summary.get("metric_note")
    if isinstance(note, str) and note:
        section = run.config.get("quality")
        asked = section.get("metric") if isinstance(section, dict) else None
        metric = NAMES.get(metric_of(run), metric_of(run))
        lines.append(f"The config asks for the best epoch by {NAMES.get(asked, asked)}, which "
                     f"is off here, so it is chosen by {metric} instead.")
    share = _number(run.quality_summary.get("metric_share"))
    seconds = _number(run.quality_summary.get("metric_time_s"))
    epochs = run.quality_summary.get("measured_epochs")
    if share is not None and seconds is not None and isinstance(epochs, list):
        lines.append(f"Measuring took {share:.1%} of this run's time ({seconds:.0f} s for "
                     f"{len(epochs)} measured epochs).")
    return lines


def _series(run: Run, key: str, colour: str, dashes=None, label: str | None = None
            ) -> Series | None:
    steps, values = series_of(run.quality, key, "epoch")
    if not any(value is not None for value in values):
        return None
    return Series(label or _label(key, run), steps, (), values, colour, dashes)


def quality_chart(run: Run, colour: str) -> Chart | None:
    """The run's quality curves, one panel per metric family, floor and best epoch marked."""
    base = floor(run)
    panels = []
    for key, floor_key in FAMILIES:
        raw = _series(run, key, colour, label=f"{_label(key, run)} (G)")
        if raw is None:
            continue
        ema = _series(run, f"{runformat.EMA_PREFIX}{key}", colour, DASHES[1],
                      label=f"{_label(key, run)} (EMA of G)")
        value = _number(base.get(floor_key))
        references = (Reference(value, f"real vs real: {value:.3g}"),) if value is not None \
            else ()
        lines = (raw,) if ema is None else (raw, ema)
        panels.append(Panel(_label(key, run), runformat.QUALITY_LOWER.name, lines,
                            references=references, legend=True))
    if not panels:
        return None
    best = best_epoch(run)
    marks = (Mark(best.epoch, f"best: epoch {best.epoch}"),) if best else ()
    metric = NAMES.get(metric_of(run), metric_of(run))
    return Chart(
        name=urls.figure_name("quality", [run.key]), title=f"{run.key}: sample quality",
        xlabel=EPOCH_LABEL, panels=tuple(panels), marks=marks,
        alt=f"{run.key} sample-quality metrics per measured epoch against the real-data "
            f"floor" + (f"; best epoch by {metric}: {best.epoch}" if best else ""),
        caption=f"{run.key}: quality of the samples at each measured epoch (lower is better "
                f"except classes covered). Dotted: the same metric for a second sample of "
                f"real images, the best a generator can reach with this many samples."
                + (f" Dashed vertical line: the best epoch by {metric}." if best else ""))


def compare_quality_chart(runs: list[Run], colours: dict[str, str]) -> Chart | None:
    """The study's metric for every version over epochs, with the floor."""
    if not runs:
        return None
    metric = metric_of(runs[0])
    lines = [line for run in runs
             if (line := _series(run, metric, colours[run.key],
                                 label=f"{run.key}: {run.title}")) is not None]
    if not lines:
        return None
    value = next((v for run in runs if (v := _number(floor(run).get(metric))) is not None),
                 None)
    references = (Reference(value, f"real vs real: {value:.3g}"),) if value is not None else ()
    name = NAMES.get(metric, metric)
    keys = [run.key for run in runs]
    return Chart(
        name=urls.figure_name("compare-quality", keys), title=f"{name} per epoch",
        xlabel=EPOCH_LABEL,
        panels=(Panel(_label(metric, runs[0]), runformat.QUALITY_LOWER.name, tuple(lines),
                      references=references, legend=True),),
        width=8.4,
        alt=f"{name} of " + ", ".join(keys) + " per measured epoch against the real floor",
        caption=f"{name} of each version per measured epoch (lower is better); dotted: "
                "real images against real images.")


@dataclass(frozen=True)
class Rank:
    """One row of the compare page's ranking."""

    run: Run
    best: Point | None
    last: Point | None
    rank_best: int | None
    rank_last: int | None


def ranking(runs: list[Run]) -> tuple[str, list[Rank], float | None]:
    """(metric, rows ordered by the value at the best epoch, floor value)."""
    metric = metric_of(runs[0]) if runs else "swd"
    same = [run for run in runs if metric_of(run) == metric]
    bests = {run.key: best_epoch(run) for run in same}
    lasts = {run.key: last_point(run) for run in same}

    def ranks(points: dict[str, Point | None]) -> dict[str, int]:
        ordered = sorted((p.value, key) for key, p in points.items() if p is not None)
        return {key: index + 1 for index, (_, key) in enumerate(ordered)}

    by_best, by_last = ranks(bests), ranks(lasts)
    rows = [Rank(run, bests[run.key], lasts[run.key], by_best.get(run.key),
                 by_last.get(run.key)) for run in same]
    rows.sort(key=lambda row: (row.rank_best is None, row.rank_best or 0, row.run.order))
    base = next((v for run in same if (v := _number(floor(run).get(metric))) is not None), None)
    return metric, rows, base


def ema_grid(run: Run, epoch: int) -> Grid | None:
    """samples/ema_epoch_NNNN.png of the run (quality.ema), when it exists and decodes."""
    path = run.path / runformat.ema_sample_name(epoch)
    if not path.is_file():
        return None
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError):
        return None
    return Grid(path, width, height)


def best_grid_epoch(run: Run) -> int | None:
    """The sampled epoch to show as the best: the best epoch's grid, else the nearest one
    drawn before it (grids are drawn every train.sample_every epochs)."""
    best = best_epoch(run)
    if best is None or not run.samples:
        return None
    before = [epoch for epoch in run.sample_epochs if epoch <= best.epoch]
    return before[-1] if before else None


def last_ema_epoch(run: Run) -> int | None:
    """The latest epoch with an EMA grid."""
    epochs = [point.epoch for point in measured(run, f"{runformat.EMA_PREFIX}swd")]
    return next((epoch for epoch in reversed(epochs) if ema_grid(run, epoch)), None)
