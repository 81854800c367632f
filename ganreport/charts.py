"""What a plot shows, as plain data: charts built from runs and the contract, drawn by plot.py.

A `Chart` is a stack of `Panel`s sharing the x axis; a panel holds `Series` of one kind
(runformat.Kind) only, so a probability never shares an axis with a critic score. Axis
labels, which quantities a version page draws for a loss, their targets and which ones
the compare page overlays all come from `runformat`'s table, never from names in code.

The builders here are pure (runs in, charts out); `plot.draw_chart(chart, path)` draws any
chart. New figures are new builders over the same types, not new drawing code: quality
curves against the real-data floor are `figure_panels(run, runformat.QUALITY_FIGURE, ...,
references={"swd": (Reference(floor, "real vs real"),)})` with `EPOCH_LABEL` on x; stage
boundaries and the best epoch are `marks`; the spot where a setback happened is a chart
with a `Mark` and an `x_range` around it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from . import runformat, urls
from .analyse import ema
from .read_runs import Run

STEP_LABEL = "iteration (optimizer step)"
EPOCH_LABEL = "epoch"
DASHES: tuple[tuple[int, int] | None, ...] = (None, (5, 3), (1, 2), (8, 2, 1, 2))
BAND_COLOURS = {"loss.real_label_range": "#2fa37a", "loss.fake_label_range": "#d1495b"}
# One sentence per kind on a discriminator chart, joined into its caption.
KIND_SENTENCES = {
    "probability": "D(x) and D(G(z)) are D's mean probability that a real, and a generated, "
                   "batch is real; 0.5 is a D that cannot tell them apart.",
    "raw_output": "D's mean raw output on real and on generated batches; the shaded bands are "
                  "the targets it is trained towards (the label ranges in config.yaml).",
    "critic_score": "The critic's mean score on real and on generated batches: unbounded "
                    "numbers, not probabilities; only their gap matters.",
    "wasserstein": "E[D(x)] − E[D(G(z))] is the critic's estimate of the distance between "
                   "real and generated images.",
    "penalty": "The gradient penalty keeps the critic's gradient norm near 1 "
               "(shown before its weight λ).",
}


@dataclass(frozen=True)
class Series:
    """One line: `raw` drawn thin and faint, `smoothed` thick on top (either may be empty)."""

    label: str
    steps: tuple[float, ...]
    raw: tuple[float | None, ...]
    smoothed: tuple[float | None, ...]
    colour: str
    dashes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Band:
    """A shaded horizontal range, e.g. the label range D is trained towards."""

    low: float
    high: float
    label: str
    colour: str


@dataclass(frozen=True)
class Reference:
    """A dotted horizontal line with a label, e.g. 0.5 for a D that cannot tell."""

    value: float
    label: str


@dataclass(frozen=True)
class Mark:
    """A vertical line across every panel at an x value: a stage start, an event."""

    x: float
    label: str


@dataclass(frozen=True)
class Panel:
    """One y axis: series of one kind (`kind` is a runformat.Kind name)."""

    ylabel: str
    kind: str
    series: tuple[Series, ...]
    limits: tuple[float | None, float | None] = (None, None)
    references: tuple[Reference, ...] = ()
    bands: tuple[Band, ...] = ()
    scale_to_smoothed: bool = False  # comparisons: raw spikes must not flatten the lines
    legend: bool = False


@dataclass(frozen=True)
class Chart:
    """A figure: panels stacked over one x axis, plus its file name, alt text and caption."""

    name: str
    title: str
    xlabel: str
    panels: tuple[Panel, ...]
    alt: str
    caption: str
    marks: tuple[Mark, ...] = ()
    figure_legend: bool = False  # one legend above all panels (comparisons)
    width: float = 7.2  # inches; 1 in = 96 px in the browser
    x_range: tuple[float, float] | None = None  # zoom, e.g. around a setback


def series_of(rows: list[dict[str, Any]], name: str, x: str = "step"
              ) -> tuple[tuple[float, ...], tuple[float | None, ...]]:
    """(x values, values) of `name` over rows that have it; non-numbers and NaN are gaps."""
    xs, values = [], []
    for index, row in enumerate(rows):
        if name not in row:
            continue
        value = row[name]
        number = float(value) if runformat.type_matches(value, "number") else None
        xs.append(float(row.get(x, index + 1)))
        values.append(number if number is None or math.isfinite(number) else None)
    return tuple(xs), tuple(values)


def stage_marks(run: Run) -> tuple[Mark, ...]:
    """A progressive run's stage starts, from the `stage` and `resolution` in its metrics rows
    (the step before the first row of a new stage); () for other runs."""
    marks, previous, last_step = [], None, 0
    for row in run.metrics:
        stage = row.get("stage")
        if isinstance(stage, int) and stage != previous:
            if previous is not None:
                marks.append(Mark(float(last_step), f"{row.get('resolution', '?')} px"))
            previous = stage
        if isinstance(row.get("step"), int):
            last_step = row["step"]
    return tuple(marks)


def schedule_label(run: Run, epoch: int) -> str:
    """ "16 px, α 0.5" for a progressive run's grid of `epoch` (its last metrics row at or
    before that epoch's end); the untrained G's grid of a progan run is at `progan.start`
    ("4 px"); "" for other runs."""
    label = ""
    config = run.config if isinstance(run.config, dict) else {}
    model, progan = config.get("model"), config.get("progan")
    if epoch == 0 and isinstance(model, dict) and model.get("arch") == "progan":
        start = progan.get("start", 4) if isinstance(progan, dict) else 4
        label = f"{start} px" if isinstance(start, int) else ""
    for row in run.metrics:
        if not isinstance(row.get("epoch"), int) or row["epoch"] > epoch:
            break
        if "resolution" in row and "alpha" in row:
            label = f"{row['resolution']} px, α {float(row['alpha']):.2g}"
    return label


def _rows(run: Run, file: str) -> list[dict[str, Any]]:
    return {runformat.METRICS: run.metrics, runformat.EPOCHS: run.epochs,
            runformat.QUALITY: run.quality}.get(file, [])


def _line(run: Run, quantity: runformat.Quantity, colour: str, smoothing: float,
          dashes=None, label: str | None = None) -> Series | None:
    x = "step" if quantity.file == runformat.METRICS else "epoch"
    steps, values = series_of(_rows(run, quantity.file), quantity.name, x)
    if not any(value is not None for value in values):
        return None
    return Series(label or quantity.label, steps, values, tuple(ema(list(values), smoothing)),
                  colour, dashes)


def _groups(quantities: tuple[runformat.Quantity, ...]) -> list[list[runformat.Quantity]]:
    """Quantities grouped by kind, in table order: one panel per kind."""
    groups: dict[str, list[runformat.Quantity]] = {}
    for quantity in quantities:
        groups.setdefault(quantity.kind.name, []).append(quantity)
    return list(groups.values())


def _limits(kind: runformat.Kind) -> tuple[float | None, float | None]:
    low, high = kind.bounds
    return (low, high) if low is not None and high is not None else (None, None)


# A run whose loss is unknown (damaged config) still shows its losses, labelled plainly.
UNKNOWN = runformat.Kind("unknown", "value", (None, None))
PLAIN_LOSSES = (runformat.Quantity("loss_d", "D loss", UNKNOWN, ()),
                runformat.Quantity("loss_g", "G loss", UNKNOWN, ()))


def loss_chart(run: Run, colour: str, smoothing: float, marks: tuple[Mark, ...] = ()
               ) -> Chart | None:
    """D's and G's loss, one panel each, labelled as the run's loss defines them."""
    quantities = runformat.quantities_in_figure(run.loss, runformat.LOSS_FIGURE) if run.loss \
        else PLAIN_LOSSES
    panels = []
    for quantity in quantities:
        line = _line(run, quantity, colour, smoothing)
        if line is not None:
            panels.append(Panel(runformat.axis_label(quantity), quantity.kind.name, (line,)))
    if not panels:
        return None
    return Chart(
        name=urls.figure_name("loss", [run.key]),
        title=f"{run.key}: losses (thin: raw, thick: smoothed)",
        xlabel=STEP_LABEL, panels=tuple(panels), marks=marks,
        alt=f"{run.key} discriminator and generator loss per iteration, raw and smoothed",
        caption=f"{run.key}: D and G loss per iteration ({run.loss or 'loss unknown'}). "
                "Thin: raw; thick: "
                f"smoothed (exponential moving average, {smoothing:g}).")


def figure_panels(run: Run, figure: str, colour: str, smoothing: float,
                  references: dict[str, tuple[Reference, ...]] | None = None
                  ) -> tuple[Panel, ...]:
    """One panel per kind of the quantities `runformat` puts on `figure` for the run's loss,
    with the values it logged. `references` adds lines by quantity name (e.g. a quality
    metric's real-data floor); a probability panel always marks 0.5, and a quantity with a
    `target` gets its band from config.yaml."""
    quantities = runformat.quantities_in_figure(run.loss, figure) if run.loss else ()
    panels = []
    for group in _groups(quantities):
        lines = [_line(run, q, colour, smoothing, DASHES[i % len(DASHES)])
                 for i, q in enumerate(group)]
        drawn = [q for q, line in zip(group, lines, strict=True) if line is not None]
        if not drawn:
            continue
        kind = group[0].kind
        extra = tuple(ref for q in drawn for ref in (references or {}).get(q.name, ()))
        half = (Reference(0.5, "cannot tell"),) if kind == runformat.PROBABILITY else ()
        panels.append(Panel(
            runformat.axis_label(*drawn), kind.name,
            tuple(line for line in lines if line is not None), _limits(kind),
            references=half + extra, bands=_target_bands(run, drawn), legend=len(drawn) > 1))
    return tuple(panels)


def discriminator_chart(run: Run, colour: str, smoothing: float,
                        marks: tuple[Mark, ...] = ()) -> Chart | None:
    """What D outputs under the run's loss: probabilities (bce), raw outputs against their
    targets (lsgan), or critic scores, the Wasserstein estimate and penalties (critics)."""
    panels = figure_panels(run, runformat.D_FIGURE, colour, smoothing)
    if not panels:
        return None
    names = ", ".join(s.label for panel in panels for s in panel.series)
    return Chart(
        name=urls.figure_name("d-outputs", [run.key]),
        title=f"{run.key}: what D outputs ({run.loss})",
        xlabel=STEP_LABEL, panels=panels, marks=marks,
        alt=f"{run.key} per iteration: {names}",
        caption=f"{run.key}: " + " ".join(KIND_SENTENCES.get(panel.kind, "")
                                          for panel in panels).strip())


def _target_bands(run: Run, quantities: list[runformat.Quantity]) -> tuple[Band, ...]:
    """The label range each quantity is trained towards, from the run's config.yaml."""
    bands = []
    for quantity in quantities:
        if quantity.target is None:
            continue
        section, _, key = quantity.target.partition(".")
        value = (run.config.get(section) or {}).get(key)
        if runformat.type_matches(value, "range"):
            low, high = float(value[0]), float(value[1])
            text = f"{low:g}" if low == high else f"{low:g}–{high:g}"
            bands.append(Band(low, high, f"target of {quantity.label}: {text}",
                              BAND_COLOURS.get(quantity.target, "#8a7a6a")))
    return tuple(bands)


def compare_chart(runs: list[Run], colours: dict[str, str], smoothing: float,
                  name: str | None = None) -> Chart | None:
    """Smoothed curves of several runs overlaid, one panel per (quantity, kind): a BCE loss
    and a critic loss never share an axis."""
    panels = []
    for quantity_name in runformat.compared_names():
        groups: dict[str, list[tuple[runformat.Quantity, Run]]] = {}
        for run in runs:
            quantity = runformat.quantity(quantity_name, run.loss) if run.loss else None
            if quantity is not None and quantity.file != runformat.QUALITY:  # quality_view
                groups.setdefault(quantity.kind.name, []).append((quantity, run))
        for members in groups.values():
            panel = _compare_panel(members, colours, smoothing)
            if panel is not None:
                panels.append(panel)
    if not panels:
        return None
    keys = [run.key for run in runs]
    legend = len({tuple(s.label for s in panel.series) for panel in panels}) == 1
    return Chart(
        name=name or urls.figure_name("compare", keys), title="Smoothed curves",
        xlabel=STEP_LABEL,
        panels=tuple(panels if legend else [_with_legend(p) for p in panels]),
        figure_legend=legend, width=8.4,
        alt="Smoothed curves of " + ", ".join(keys) + ", one panel per quantity and kind",
        caption="Smoothed curves of " + ", ".join(keys) + " overlaid, one colour each; "
                "only curves of the same kind share an axis.")


def _compare_panel(members: list[tuple[runformat.Quantity, Run]], colours: dict[str, str],
                   smoothing: float) -> Panel | None:
    lines = []
    for quantity, run in members:
        line = _line(run, quantity, colours[run.key], smoothing,
                     label=f"{run.key}: {run.title}")
        if line is not None:
            lines.append(line)
    if not lines:
        return None
    quantities = [quantity for quantity, _ in members]
    kind = quantities[0].kind
    return Panel(runformat.axis_label(*quantities), kind.name, tuple(lines),
                 _limits(kind), scale_to_smoothed=True)


def _with_legend(panel: Panel) -> Panel:
    return replace(panel, legend=True)
