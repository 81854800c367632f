"""The growth stages of a progressive (ProGAN) run, read back from its run folder.

A stage starts where events.jsonl has a `stage` row (its step and epoch are exact); its
resolution and how long it trained come from the metrics rows (`stage`, `resolution`,
`elapsed_s`), and its final grid is the last sample grid drawn while it was running, i.e.
the last epoch whose closing metrics row is in that stage. A stage that began and ended
inside one epoch has no grid of its own. The stage rows are one per stage, in order (a
resume or rollback trims the rows after its checkpoint, so none repeats); a stage too short
to have a metrics row of its own takes its resolution from `progan.start`. Runs without
stage rows have no stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .read_runs import Run


@dataclass(frozen=True)
class Stage:
    """One stage of the growth, as the run recorded it."""

    index: int  # 0 = the start resolution
    resolution: int  # px
    start_step: int  # first step trained in it
    start_epoch: int  # epoch of that step (1-based)
    seconds: float | None  # training seconds in it (to the nearest logged row)
    epoch: int | None  # epoch of its final grid; None when no grid was drawn inside it
    alpha: float | None  # the fade-in weight when that grid was drawn


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _starts(run: Run) -> list[tuple[int, int]]:
    """(step, epoch) of each `stage` event, in step order, one per step."""
    starts = {row["step"]: row["epoch"] for row in run.events
              if row.get("kind") == "stage" and _int(row.get("step")) and _int(row.get("epoch"))}
    return sorted(starts.items())


def _start(run: Run) -> int:
    """progan.start from the run's config (4 when it does not say)."""
    progan = run.config.get("progan")
    start = progan.get("start") if isinstance(progan, dict) else None
    return start if _int(start) else 4


def _elapsed_before(rows: list[dict[str, Any]], step: int) -> float:
    """Training seconds at the last logged row before `step` (0 before any)."""
    elapsed = 0.0
    for row in rows:
        if row["step"] >= step:
            break
        if _number(row.get("elapsed_s")):
            elapsed = float(row["elapsed_s"])
    return elapsed


def _grid_ends(run: Run, rows: list[dict[str, Any]]) -> dict[int, tuple[int, float | None]]:
    """stage -> (epoch, alpha) of the last grid drawn in it: the grid of epoch E shows the
    state of E's last metrics row (the loop logs one at every epoch's end)."""
    last_row_of_epoch: dict[int, dict[str, Any]] = {}
    for row in rows:
        if _int(row.get("epoch")):
            last_row_of_epoch[row["epoch"]] = row
    ends: dict[int, tuple[int, float | None]] = {}
    for epoch in run.sample_epochs:
        row = last_row_of_epoch.get(epoch)
        if row is not None and _int(row.get("stage")):
            alpha = float(row["alpha"]) if _number(row.get("alpha")) else None
            ends[row["stage"]] = (epoch, alpha)
    return ends


def stages(run: Run) -> list[Stage]:
    """The run's stages in order ([] unless events.jsonl has stage rows and metrics rows
    carry the stage and resolution)."""
    rows = [row for row in run.metrics if _int(row.get("step"))]
    starts = _starts(run)
    if not starts or not any(_int(row.get("stage")) for row in rows):
        return []
    ends = _grid_ends(run, rows)
    final_elapsed = next((float(row["elapsed_s"]) for row in reversed(rows)
                          if _number(row.get("elapsed_s"))), None)
    resolutions = {row["stage"]: row.get("resolution") for row in reversed(rows)
                   if _int(row.get("stage"))}
    found = []
    for stage, (step, epoch) in enumerate(starts):  # one stage row per stage, in order
        until = starts[stage + 1][0] if stage + 1 < len(starts) else None
        end_s = _elapsed_before(rows, until) if until is not None else final_elapsed
        begin_s = _elapsed_before(rows, step)
        resolution = resolutions.get(stage)
        if not _int(resolution):  # shorter than log_every: no row of its own
            resolution = _start(run) * 2**stage
        grid_epoch, alpha = ends.get(stage, (None, None))
        found.append(Stage(
            index=stage, resolution=resolution,
            start_step=step, start_epoch=epoch,
            seconds=None if end_s is None else max(0.0, end_s - begin_s),
            epoch=grid_epoch, alpha=alpha))
    return found
