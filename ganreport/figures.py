"""Figures of the runs as HTML, shared by the Markdown directives and the generated pages.

Each method takes runs (already read) or charts (already analysed) and returns the dict
a template needs, or rendered partial HTML; it never reads run files itself. Every file
a figure needs (WebP copies of grids, plot SVGs) is recorded in `assets`
(site path -> source file) and copied by the writer, so nothing is copied twice or missed.

Plots go through `plot(chart)`: any `charts.Chart` is drawn once per input hash (the
chart's own data) and cached; the chart builders live in `charts.py`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from . import analyse, charts, plot, quality_view, urls
from .detectors.grids import load_grid, split_grid
from .read_runs import Grid, Run, Study
from .stages import stages as growth_stages

STRIP_FRAMES = 8
THUMB_WIDTH = 176  # px: grids in strips and comparison tables
GRID_DISPLAY_MAX = 560  # px: grids are shown at a whole multiple of their size up to this
FLAT_TOLERANCE = 2 / 255  # tiles this close to the first are the same picture (WebP/PNG noise)


def grid_attributes(run: Run) -> Markup:
    """The run's grid geometry on an enlargeable grid's link: the lightbox picks "row r,
    column c" by it."""
    columns, padding = run.grid
    return Markup(f'data-grid-columns="{columns}" data-grid-padding="{padding}"')


class Figures:
    """Makes figure HTML for one build; collects the files those figures point to."""

    def __init__(self, colours: dict[str, str], cache: plot.FigureCache,
                 environment: Environment, smoothing: float):
        self.colours = colours  # run key -> colour
        self.cache = cache
        self.environment = environment
        self.smoothing = smoothing
        self.assets: dict[str, Path] = {}  # site path (no leading /) -> file to copy
        self._hashes: dict[Path, str] = {}
        self._web: dict[Path, str] = {}  # run PNG -> site path of its WebP copy
        self._by_content: dict[str, str] = {}  # content hash -> site path (real grids)
        self._flat: dict[Path, bool] = {}

    def partial(self, name: str, url, **context: Any) -> Markup:
        """Render templates/partials/<name> with the given url() (page or directive)."""
        template = self.environment.get_template(f"partials/{name}")
        return Markup(template.render(url=url, colours=self.colours, **context))

    # -- images --------------------------------------------------------------------------------

    def content_hash(self, source: Path) -> str:
        """SHA-256 of a run file, read once per build (grids feed several figures)."""
        if source not in self._hashes:
            self._hashes[source] = plot.file_hash(source)
        return self._hashes[source]

    def web_copy(self, run: Run, grid: Grid, share_identical: bool = False) -> str:
        """Site path of a grid as WebP: the run keeps the lossless PNG, readers get ~1/5.

        With `share_identical`, a grid with the same content as one already registered
        (the real images, the same for every version) is served from that one path.
        """
        if grid.path in self._web:
            return self._web[grid.path]
        digest = self.content_hash(grid.path)
        if share_identical and digest in self._by_content:
            site_path = self._by_content[digest]
        else:
            name = urls.figure_name(f"grid-{grid.path.stem}", [run.key])
            cached = self.cache.get(name, digest,
                                    lambda path: plot.draw_web_grid(grid.path, path), ext="webp")
            site_path = urls.run_asset(run.study, run.version, f"{grid.path.stem}.webp")
            self.assets[site_path] = cached
            self._by_content.setdefault(digest, site_path)
        self._web[grid.path] = site_path
        return site_path

    def display_size(self, grid: Grid, thumb: bool = False, like: Grid | None = None
                     ) -> tuple[int, int]:
        """Shown at a whole multiple of its size (pixelated), or at `like`'s shown width."""
        if like is not None:
            width = self.display_size(like, thumb)[0]
            return width, max(1, round(grid.height * width / max(grid.width, 1)))
        if thumb:
            scale = min(1.0, THUMB_WIDTH / grid.width)
            return max(1, round(grid.width * scale)), max(1, round(grid.height * scale))
        factor = max(1, GRID_DISPLAY_MAX // max(grid.width, 1))
        return grid.width * factor, grid.height * factor

    def grid_image(self, run: Run, epoch: int, url, thumb: bool = False) -> dict[str, Any]:
        """src/alt/size of a fixed-noise grid, registering its web copy for the site."""
        grid = run.samples[epoch]
        width, height = self.display_size(grid, thumb)
        schedule = charts.schedule_label(run, epoch)  # a progan grid's resolution and alpha
        schedule = f" ({schedule})" if schedule else ""
        return {
            "src": url(urls.site_path_url(self.web_copy(run, grid))),
            "label": f"Epoch {epoch}{schedule}",  # the slider's label: a progan grid's level
            "alt": f"{run.key} samples at epoch {epoch}{schedule}, fixed noise",
            "width": width, "height": height, "epoch": epoch, "run": run,
            "grid": grid_attributes(run),
            "caption": f"{run.key} samples at epoch {epoch}{schedule}, from the study's "
                       "fixed noise.",
        }

    def stage_strip(self, run: Run, url) -> list[dict[str, Any]]:
        """A progressive run's stages, each with its final grid (None when no grid was drawn
        inside it) and what the page says about it; [] for other runs."""
        strip = []
        for stage in growth_stages(run):
            image = None
            if stage.epoch is not None and stage.epoch in run.samples:
                image = self.grid_image(run, stage.epoch, url, thumb=True)
                image["alt"] = (f"{run.key} samples at the end of stage {stage.index} "
                                f"({stage.resolution} px), epoch {stage.epoch}, fixed noise")
            alpha = "" if stage.alpha in (None, 1.0) else f", α {stage.alpha:.2g}"
            strip.append({
                "stage": stage, "image": image,
                "title": f"{stage.resolution} px",
                "detail": (f"stage {stage.index}, from step {stage.start_step} "
                           f"(epoch {stage.start_epoch})"
                           + (f", {analyse.format_duration(stage.seconds)}"
                              if stage.seconds is not None else "")),
                "grid": (f"grid of epoch {stage.epoch}{alpha}" if image else
                         f"no grid: the stage ended inside epoch {stage.start_epoch}"),
            })
        return strip

    def real_image(self, run: Run, url, thumb: bool = False) -> dict[str, Any] | None:
        """The run's 64 real training images, shown at the size of its sample grids."""
        if run.real_grid is None:
            return None
        like = next(iter(run.samples.values()), None)
        width, height = self.display_size(run.real_grid, thumb, like)
        return {
            "src": url(urls.site_path_url(self.web_copy(run, run.real_grid, True))),
            "alt": f"64 real training images of {run.study}",
            "width": width, "height": height, "run": run, "grid": grid_attributes(run),
            "caption": "Real images from the training set: what G is trying to make.",
        }

    def flat_grid(self, grid: Grid, geometry: tuple[int, int]) -> bool:
        """True when every tile of the grid is the same image (an untrained G's grey field):
        a grid that says nothing, given no column of its own in a comparison."""
        if grid.path not in self._flat:
            try:
                tiles = split_grid(load_grid(grid.path), *geometry)
                self._flat[grid.path] = bool(len(tiles) > 1 and
                                             float(abs(tiles - tiles[0]).max()) <= FLAT_TOLERANCE)
            except (OSError, ValueError):
                self._flat[grid.path] = False
        return self._flat[grid.path]

    # -- plots ---------------------------------------------------------------------------------

    def plot(self, chart: charts.Chart | None, run: Run | None = None
             ) -> dict[str, Any] | None:
        """Draw (or reuse) any chart, wide and for a phone; the dict partials/plot.html shows.

        `run` names the version a chart of one run belongs to: a click on it moves that
        version's slider (assets/js/figures.js)."""
        if chart is None:
            return None
        inputs = dataclasses.asdict(chart)
        cached = self.cache.get(chart.name, inputs, lambda path: plot.draw_chart(chart, path))
        narrow = self.cache.get(f"{chart.name}-phone", inputs,
                                lambda path: plot.draw_chart(chart, path, narrow=True))
        figure: dict[str, Any] = {"alt": chart.alt, "caption": chart.caption,
                                  "media": plot.PHONE_MEDIA,
                                  "x": "epoch" if chart.xlabel == charts.EPOCH_LABEL else "step",
                                  "run": run.key if run is not None else ""}
        axes = {}
        for key, path in (("", cached), ("phone_", narrow)):
            site_path = urls.plot_asset(path.name)
            self.assets[site_path] = path
            width, height = plot.svg_size_px(path)
            figure.update({f"{key}path": urls.site_path_url(site_path),
                           f"{key}width": width, f"{key}height": height})
            axes[key.rstrip("_") or "wide"] = (plot.svg_axes(path) or {}).get("axes", [])
        figure["axes_json"] = json.dumps(axes, separators=(",", ":"))
        return figure

    def loss_plot(self, run: Run) -> dict[str, Any] | None:
        return self.plot(charts.loss_chart(run, self.colours[run.key], self.smoothing,
                                           charts.stage_marks(run)), run)

    def discriminator_plot(self, run: Run) -> dict[str, Any] | None:
        return self.plot(charts.discriminator_chart(run, self.colours[run.key], self.smoothing,
                                                    charts.stage_marks(run)), run)

    def compare_plot(self, runs: list[Run]) -> dict[str, Any] | None:
        return self.plot(charts.compare_chart(runs, self.colours, self.smoothing))

    # -- widgets and tables --------------------------------------------------------------------

    def progression_html(self, run: Run, epochs: list[int] | None, url) -> Markup:
        """The slider widget (THE SLIDER CONTRACT in templates/partials/progression.html):
        it opens on the last epoch, stops at the best one when quality found it, and each
        frame knows the step its epoch ended on (a click on a curve finds its grid)."""
        epochs = sorted(set(epochs)) if epochs else run.sample_epochs
        if not epochs:
            return self.partial("no_samples.html", url, run=run)
        frames = [self.grid_image(run, epoch, url) for epoch in epochs]
        strip = [self.grid_image(run, epoch, url, thumb=True)
                 for epoch in analyse.pick_evenly(epochs, STRIP_FRAMES)]
        ends = _epoch_end_steps(run)
        frames_json = json.dumps(
            [{"epoch": f["epoch"], "label": f["label"], "src": f["src"], "alt": f["alt"],
              **({"step": ends[f["epoch"]]} if f["epoch"] in ends else {})} for f in frames],
            separators=(",", ":"),
        )
        best_at = quality_view.best_grid_epoch(run)
        best = ({"index": epochs.index(best_at), "epoch": best_at}
                if best_at is not None and best_at in epochs else None)
        return self.partial("progression.html", url, run=run, frames=frames, strip=strip,
                            frames_json=frames_json, last=frames[-1], best=best)

    def samples_html(self, run: Run, epoch: int, url, caption: str | None = None,
                     beside_real: bool = False) -> Markup:
        """One sample grid, optionally with the real images beside it at the same size."""
        image = self.grid_image(run, epoch, url)
        if caption:
            image["caption"] = caption
        real = self.real_image(run, url) if beside_real else None
        return self.partial("samples.html", url, image=image, real=real)

    def compare_table_html(self, runs: list[Run], url) -> Markup:
        rows = [(key, [analyse.format_value(v) for v in values])
                for key, values in analyse.differing_settings(runs)]
        return self.partial("compare_table.html", url, runs=runs, rows=rows,
                            outcomes=analyse.outcomes(runs))

    def grids_table_html(self, runs: list[Run], url, count: int = 5) -> Markup:
        """Rows: runs; columns: the real images ("Original"), then the same epochs for all,
        leaving out epochs where every run's grid is one picture repeated (flat_grid)."""
        epochs = [epoch for epoch in analyse.common_epochs(runs)
                  if not all(self.flat_grid(run.samples[epoch], run.grid) for run in runs)]
        epochs = analyse.pick_evenly(epochs, count)
        rows = [(run, self.real_image(run, url, thumb=True),
                 [self.grid_image(run, epoch, url, thumb=True) for epoch in epochs])
                for run in runs] if epochs else []
        originals = {row[1]["src"] for row in rows if row[1]}
        return self.partial("grids_side_by_side.html", url, epochs=epochs, rows=rows,
                            has_original=bool(originals), shared_original=len(originals) == 1
                            and all(row[1] for row in rows))

    def latest_beside_real_html(self, runs: list[Run], url) -> Markup:
        """The real images, then each run's latest grid, all at the same size."""
        real = next((self.real_image(run, url) for run in runs if run.real_grid), None)
        latest = [self.grid_image(run, run.sample_epochs[-1], url) for run in runs if run.samples]
        return self.partial("latest_grids.html", url, real=real, latest=latest)

    def version_list_html(self, runs: list[Run], url) -> Markup:
        return self.partial("version_list.html", url, runs=runs)

    def study_cards_html(self, studies: list[Study], url) -> Markup:
        """One card per study: title, dataset, versions, the latest grid, how each ended."""
        cards = []
        for study in studies:
            latest = next((run for run in reversed(study.runs) if run.samples), None)
            image = self.grid_image(latest, latest.sample_epochs[-1], url, thumb=True) \
                if latest else None
            if image:  # a thumbnail of a grid a slider may show on the same page: its own alt
                image["alt"] = f"Latest samples of {study.title}: {image['alt']}"
            cards.append({
                "study": study, "dataset": _dataset(study.runs),
                "losses": sorted({run.loss or "unknown" for run in study.runs}),
                "image": image,
            })
        return self.partial("study_cards.html", url, cards=cards)


def _epoch_end_steps(run: Run) -> dict[int, int]:
    """epoch -> the optimizer step it ended on (epoch 0, before training, is step 0)."""
    ends = {0: 0}
    for row in run.metrics:
        if isinstance(row.get("epoch"), int) and isinstance(row.get("step"), int):
            ends[row["epoch"]] = max(ends.get(row["epoch"], 0), row["step"])
    for row in run.epochs:
        if isinstance(row.get("epoch"), int) and isinstance(row.get("step"), int):
            ends[row["epoch"]] = row["step"]
    return ends


def _dataset(runs: list[Run]) -> str:
    """'abstract, 64 px' from the first run that says."""
    for run in runs:
        dataset = run.config.get("dataset")
        if isinstance(dataset, dict) and dataset.get("name"):
            size = dataset.get("image_size")
            return f"{dataset['name']}, {size} px" if size else str(dataset["name"])
    return "—"
