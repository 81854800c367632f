"""Pure functions from runs to what the pages say: smoothing, config diffs, facts, colours.

Nothing here reads files or draws; every function takes plain data and returns plain
data, so each is tested on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import runformat
from .read_runs import Run

# Keys that name or describe a version rather than set up its training: never a "change".
IDENTITY_KEYS = {"study", "study_title", "version", "title", "description", "order", "parent"}
# Shown on their own (the profile note; `overrides` only records --set, whose values are
# in the settings already), not as dozens of dotted keys.
SKIPPED_PREFIXES = ("profile.changed", "overrides")

# Mid-tone colours (about 50% lightness) that keep contrast on white and on near-black.
PALETTE = [
    "#3d8bd9",  # blue
    "#e0782b",  # orange
    "#2fa37a",  # green
    "#b65fcf",  # purple
    "#d1495b",  # red
    "#b8a11a",  # olive
    "#2a9bb0",  # teal
    "#8a7a6a",  # taupe
]

HUMAN_KEYS = {
    "dataset.image_size": "image size",
    "train.epochs": "epochs",
    "train.batch_size": "batch size",
    "dataset.count": "images",
    "model.g_features": "G width",
    "model.d_features": "D width",
    "train.log_every": "log every",
    "train.sample_every": "samples every",
    "train.checkpoint_every": "checkpoint every",
}


@dataclass(frozen=True)
class Change:
    """One setting that differs: dotted key, value before (parent) and after."""

    key: str
    before: Any
    after: Any


MISSING = "—"


def ema(values: list[float | None], smoothing: float) -> list[float | None]:
    """Exponential moving average with bias correction (TensorBoard-style).

    Gaps (None or non-finite: a diverged step) stay gaps and do not poison later values.
    """
    smoothed: list[float | None] = []
    average, weight = 0.0, 0.0
    for value in values:
        if value is None or not math.isfinite(value):
            smoothed.append(None)
            continue
        average = smoothing * average + (1 - smoothing) * value
        weight = smoothing * weight + (1 - smoothing)
        smoothed.append(average / weight)
    return smoothed


def flatten_config(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> {dotted.key: leaf}; lists stay whole values (e.g. label ranges)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if dotted.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(value, dict) and value:
            flat.update(flatten_config(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flatten_config(config).items() if k not in IDENTITY_KEYS}


def config_diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Settings that differ from `before` to `after` (added/removed keys show as MISSING)."""
    old, new = _settings(before), _settings(after)
    keys = sorted(set(old) | set(new))
    return [
        Change(key, old.get(key, MISSING), new.get(key, MISSING))
        for key in keys
        if old.get(key, MISSING) != new.get(key, MISSING)
    ]


def differing_settings(runs: list[Run]) -> list[tuple[str, list[Any]]]:
    """(key, value per run) for every setting not equal across all runs; the rest is omitted."""
    flats = [_settings(run.config) for run in runs]
    keys = sorted(set().union(*flats)) if flats else []
    rows = []
    for key in keys:
        values = [flat.get(key, MISSING) for flat in flats]
        if any(value != values[0] for value in values[1:]):
            rows.append((key, values))
    return rows


def format_value(value: Any) -> str:
    """A config value as a reader would write it: lists as [a, b], booleans lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return str(value)


def version_colours(keys: list[str]) -> dict[str, str]:
    """One colour per run (by its position in its study), the same on every page and plot."""
    return {key: PALETTE[index % len(PALETTE)] for index, key in enumerate(keys)}


def profile_note(config: dict[str, Any]) -> str | None:
    """'trained with the cpu profile: image size 64→32, epochs 300→4'; None for the full recipe."""
    profile = config.get("profile") or {}
    changed = profile.get("changed") or {}
    if not changed:
        return None
    parts = []
    for key, pair in changed.items():
        label = HUMAN_KEYS.get(key, key)
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            parts.append(f"{label} {format_value(pair[0])}→{format_value(pair[1])}")
        else:
            parts.append(f"{label} {format_value(pair)}")
    return f"trained with the {profile.get('name', '?')} profile: " + ", ".join(parts)


def format_duration(seconds: Any) -> str:
    """12.3 -> '12 s', 754 -> '12 min 34 s', 7300 -> '2 h 1 min'."""
    if not isinstance(seconds, (int, float)):
        return MISSING
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def run_facts(run: Run) -> list[tuple[str, str]]:
    """(label, text) pairs for 'how long it took' and 'how to reproduce it'."""
    env, summary = run.env, run.summary
    speed = summary.get("images_per_s")
    commit = env.get("git_commit")
    if commit and env.get("git_dirty"):
        commit = f"{commit} (with uncommitted changes)"
    done, planned = summary.get("epochs_completed", MISSING), summary.get("epochs_planned", MISSING)
    epochs = f"{done} of {planned}"
    device = env.get("device_name") or env.get("device") or summary.get("device")
    return [
        ("Status", run.status.text),
        ("Loss", run.loss or MISSING),
        ("Device", str(device or MISSING)),
        ("Wall time", format_duration(summary.get("wall_time_s"))),
        ("Images/s", f"{speed:,.0f}" if isinstance(speed, (int, float)) else MISSING),
        ("Epochs", epochs),
        ("Steps", str(summary.get("steps", MISSING))),
        ("Seed", str(run.config.get("seed", env.get("seed", MISSING)))),
        ("Git commit", str(commit or MISSING)),
        ("Software", _software(env)),
        ("Started", str(env.get("started_at") or summary.get("started_at") or MISSING)),
    ]


def _software(env: dict[str, Any]) -> str:
    names = (("Python", "python"), ("torch", "torch"), ("torchvision", "torchvision"))
    parts = [f"{name} {env[key]}" for name, key in names if env.get(key)]
    return ", ".join(parts) or MISSING


def pick_evenly(items: list[int], count: int) -> list[int]:
    """Up to `count` items spread evenly, always keeping the first and the last."""
    if len(items) <= count:
        return list(items)
    if count <= 1:
        return [items[-1]]
    step = (len(items) - 1) / (count - 1)
    return sorted({items[round(index * step)] for index in range(count)})


def common_epochs(runs: list[Run]) -> list[int]:
    """Sample epochs every run has, so grids can be compared at the same epoch."""
    if not runs:
        return []
    shared = set(runs[0].samples)
    for run in runs[1:]:
        shared &= set(run.samples)
    return sorted(shared)


def findings(run: Run, smoothing: float) -> list[str]:
    """Setbacks the numbers show on their own: a run that stopped, diverged, or spiked.

    A first pass for the setbacks page; the author's own text says what they mean.
    """
    notes = []
    state = run.status.state
    if state not in ("complete", "running"):
        done = run.summary.get("epochs_completed", MISSING)
        planned = run.summary.get("epochs_planned", MISSING)
        notes.append(f"Run {run.status.text}: {done} of {planned} epochs finished.")
    if run.summary.get("diverged"):
        notes.append("A loss became non-finite (NaN or infinity): training diverged.")
    notes.extend(_spikes(run, "loss_g", "G loss", smoothing))
    notes.extend(_spikes(run, "loss_d", "D loss", smoothing))
    if run.epochs and run.loss == "bce":  # D(x) and D(G(z)) are probabilities only for BCE
        last = run.epochs[-1]
        d_x, d_g_z = last.get("d_x"), last.get("d_g_z")
        if isinstance(d_x, (int, float)) and isinstance(d_g_z, (int, float)):
            if d_x > 0.95 and d_g_z < 0.05:
                notes.append(
                    f"D wins outright by epoch {last.get('epoch')}: D(x) {d_x:.2f}, "
                    f"D(G(z)) {d_g_z:.2f}; G gets almost no gradient."
                )
    return notes


def _spikes(run: Run, key: str, label: str, smoothing: float, factor: float = 3.0) -> list[str]:
    """Steps where the raw value jumps above `factor` times the running average before it."""
    values = [row.get(key) for row in run.metrics]
    smoothed = ema(values, smoothing)
    steps = []
    for index in range(5, len(values)):
        value, before = values[index], smoothed[index - 1]
        if isinstance(value, (int, float)) and before and value > factor * abs(before):
            steps.append(run.metrics[index].get("step", index + 1))
    if not steps:
        return []
    shown = ", ".join(str(step) for step in steps[:5])
    if len(steps) == 1:
        return [f"{label} spiked above {factor:g}× its running average at step {shown}."]
    more = f" and {len(steps) - 5} more" if len(steps) > 5 else ""
    return [f"{label} spiked above {factor:g}× its running average {len(steps)} times: "
            f"at steps {shown}{more}."]


def final_values(run: Run) -> dict[str, float]:
    """Means over the last finished epoch (epochs.jsonl); summary.json's `final` holds the
    last step's values, which jump around, so it is used only when no epoch finished."""
    row = run.epochs[-1] if run.epochs else (run.summary.get("final") or {})
    return {key: value for key, value in row.items()
            if runformat.type_matches(value, "number") and key not in ("step", "epoch")}


def outcome_quantities(runs: list[Run]) -> list[tuple[str, str]]:
    """(name, label) of the loss and D quantities any of the runs logs, in table order; a name
    that means different things under different losses gets one row per meaning."""
    rows: dict[tuple[str, str], None] = {}
    for quantity in runformat.QUANTITIES:
        if quantity.figure not in (runformat.LOSS_FIGURE, runformat.D_FIGURE):
            continue
        if any(run.loss in quantity.losses and quantity.name in final_values(run)
               for run in runs):
            rows[(quantity.name, runformat.axis_label(quantity))] = None
    return list(rows)


def outcomes(runs: list[Run]) -> list[tuple[str, list[str]]]:
    """How each run ended, for the comparison table: (label, text per run)."""
    finals = [final_values(run) for run in runs]

    def cell(run: Run, final: dict[str, float], name: str, label: str) -> str:
        quantity = runformat.quantity(name, run.loss) if run.loss else None
        value = final.get(name)
        if quantity is None or runformat.axis_label(quantity) != label or value is None:
            return MISSING
        return f"{value:.3f}"

    rows = [
        ("Status", [run.status.text + (" (damaged)" if run.damaged else "") for run in runs]),
        ("Loss", [run.loss or MISSING for run in runs]),
        ("Epochs", [str(run.summary.get("epochs_completed", MISSING)) for run in runs]),
    ]
    for name, label in outcome_quantities(runs):
        rows.append((label, [cell(run, final, name, label)
                             for run, final in zip(runs, finals, strict=True)]))
    rows.append(("Wall time", [format_duration(run.summary.get("wall_time_s")) for run in runs]))
    return rows
