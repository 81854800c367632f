"""Figures of the runs as HTML: for Markdown directives and for the generated pages alike.

Directives (one per line in a page, see docs/writing-pages.md):

    {% loss_plot v2 %}                  D and G loss per iteration, raw and smoothed
    {% d_plot v2 %}                     D(x) and D(G(z)) per iteration
    {% samples v2 epoch=40 %}           the fixed-noise grid at an epoch (or epoch=last)
    {% progression v2 epochs=0,5,10 %}  epoch slider + static strip (all sample epochs if omitted)
    {% compare_table v1 v2 v3 %}        the settings that differ between versions (all if none)
    {% compare_plot v1 v2 %}            smoothed losses of versions overlaid (all if none)
    {% version_list %}                  every version with title, status and link

A version, epoch or directive that does not exist raises ValueError listing what does;
the Markdown layer adds the page and line.

Every file a figure needs (sample PNGs, plot SVGs, animations) is recorded in `assets`
(site path -> source file) and copied by the writer, so nothing is copied twice or missed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from PIL import Image

from . import analyse, plot
from .read_runs import Run, Study
from .render import make_url, site_path_url

# URLs in directive HTML start with this marker instead of the baseurl: the page's own
# root links get the baseurl afterwards, and this marker is then replaced (never twice).
ROOT_MARKER = "__ganreport_root__"
STRIP_FRAMES = 8
THUMB_WIDTH = 176  # px: grids in strips and comparison tables
GRID_DISPLAY_MAX = 560  # px: grids are shown at a whole multiple of their size up to this


class Figures:
    """Makes figure HTML for one build; collects the files those figures point to."""

    def __init__(self, study: Study, colours: dict[str, str], cache: plot.FigureCache,
                 environment: Environment, smoothing: float, baseurl: str):
        self.study = study
        self.runs = study.by_version()
        self.colours = colours
        self.cache = cache
        self.environment = environment
        self.smoothing = smoothing
        self.page_url = make_url(baseurl)
        self.directive_url = make_url(ROOT_MARKER)
        self.assets: dict[str, Path] = {}  # site path (no leading /) -> file to copy
        self._sizes: dict[Path, tuple[int, int]] = {}
        self._hashes: dict[Path, str] = {}
        self._web_grids: dict[Path, str] = {}  # run PNG -> site path of its WebP copy

    # -- directives ------------------------------------------------------------------------

    # name -> (method, options it accepts)
    DIRECTIVES: dict[str, tuple[str, frozenset[str]]] = {
        "loss_plot": ("_loss_plot_directive", frozenset({"caption"})),
        "d_plot": ("_d_plot_directive", frozenset({"caption"})),
        "samples": ("_samples_directive", frozenset({"epoch", "caption"})),
        "progression": ("_progression_directive", frozenset({"epochs"})),
        "compare_table": ("_compare_table_directive", frozenset()),
        "compare_plot": ("_compare_plot_directive", frozenset({"caption"})),
        "version_list": ("_version_list_directive", frozenset()),
    }
    names = frozenset(DIRECTIVES)
    """The directive names, so the Markdown layer can tell them from Jekyll's Liquid tags."""

    def __call__(self, directive) -> str:
        """The Markdown layer's directive handler."""
        if directive.name not in self.DIRECTIVES:
            raise ValueError(
                f"unknown directive {{% {directive.name} %}}; known: {', '.join(self.DIRECTIVES)}"
            )
        method, allowed = self.DIRECTIVES[directive.name]
        unknown = sorted(set(directive.options) - allowed)
        if unknown:
            raise ValueError(
                f"{{% {directive.name} %}} has no option {', '.join(unknown)}; "
                f"options: {', '.join(sorted(allowed)) or 'none'}"
            )
        return getattr(self, method)(directive.args, directive.options)

    def _plot_directive(self, figure: dict[str, Any], options) -> str:
        if options.get("caption"):
            figure = {**figure, "caption": options["caption"]}
        return self.partial("plot.html", self.directive_url, figure=figure)

    def _loss_plot_directive(self, args, options) -> str:
        run = self.run(_one(args, "loss_plot VERSION"))
        return self._plot_directive(self.loss_plot(run), options)

    def _d_plot_directive(self, args, options) -> str:
        run = self.run(_one(args, "d_plot VERSION"))
        return self._plot_directive(self.d_plot(run), options)

    def _samples_directive(self, args, options) -> str:
        run = self.run(_one(args, "samples VERSION epoch=N|last"))
        epoch = self.epoch(run, options.get("epoch", "last"))
        image = self.grid_image(run, epoch, self.directive_url)
        if options.get("caption"):
            image["caption"] = options["caption"]
        return self.partial("samples.html", self.directive_url, image=image)

    def _progression_directive(self, args, options) -> str:
        run = self.run(_one(args, "progression VERSION [epochs=0,5,10]"))
        epochs = None
        if "epochs" in options:
            epochs = [self.epoch(run, text) for text in options["epochs"].split(",") if text]
        return self.progression_html(run, epochs, self.directive_url)

    def _compare_table_directive(self, args, options) -> str:
        return self.compare_table_html(self.runs_named(args), self.directive_url)

    def _compare_plot_directive(self, args, options) -> str:
        return self._plot_directive(self.compare_plot(self.runs_named(args)), options)

    def _version_list_directive(self, args, options) -> str:
        return self.version_list_html(self.directive_url)

    # -- lookups with helpful errors ---------------------------------------------------------

    def run(self, version: str) -> Run:
        if version not in self.runs:
            raise ValueError(
                f"no run {version!r} in runs/{self.study.name or '?'}/; "
                f"runs that exist: {', '.join(self.runs) or 'none'}"
            )
        return self.runs[version]

    def runs_named(self, versions) -> list[Run]:
        """The named runs, or all of the study's runs when none is named."""
        return [self.run(v) for v in versions] if versions else list(self.study.runs)

    def epoch(self, run: Run, text: str) -> int:
        """'last' or a number -> an epoch that has a sample grid."""
        existing = ", ".join(str(e) for e in run.sample_epochs) or "none"
        if not run.samples:
            raise ValueError(f"run {run.version!r} has no sample grids yet")
        if str(text).strip() == "last":
            return run.sample_epochs[-1]
        try:
            epoch = int(str(text).strip())
        except ValueError:
            raise ValueError(f"epoch must be a number or 'last', got {text!r}") from None
        if epoch not in run.samples:
            raise ValueError(
                f"run {run.version!r} has no sample grid for epoch {epoch}; "
                f"epochs with samples: {existing}"
            )
        return epoch

    # -- building blocks shared by directives and generated pages ----------------------------

    def partial(self, name: str, url, **context: Any) -> Markup:
        """Render templates/partials/<name> with the given url() (page or directive)."""
        template = self.environment.get_template(f"partials/{name}")
        return Markup(template.render(url=url, colours=self.colours, **context))

    def content_hash(self, source: Path) -> str:
        """SHA-256 of a run file, read once per build (grids feed several figures)."""
        if source not in self._hashes:
            self._hashes[source] = plot.file_hash(source)
        return self._hashes[source]

    def web_grid(self, run: Run, epoch: int) -> str:
        """Site path of the grid as WebP: the run keeps the lossless PNG, readers get ~1/5."""
        source = run.samples[epoch]
        if source not in self._web_grids:  # a grid appears on several pages: convert it once
            cached = self.cache.get(f"grid-{run.version}-{source.stem}", self.content_hash(source),
                                    lambda path: plot.draw_web_grid(source, path), ext="webp")
            site_path = f"assets/runs/{run.version}/{source.stem}.webp"
            self.assets[site_path] = cached
            self._web_grids[source] = site_path
        return self._web_grids[source]

    def grid_image(self, run: Run, epoch: int, url, thumb: bool = False) -> dict[str, Any]:
        """src/alt/width/height of a fixed-noise grid, registering its web copy for the site."""
        source = run.samples[epoch]
        site_path = self.web_grid(run, epoch)
        width, height = self._display_size(source, thumb)
        return {
            "src": url(site_path_url(site_path)),
            "alt": f"{run.version} samples at epoch {epoch}, fixed noise",
            "width": width,
            "height": height,
            "epoch": epoch,
            "version": run.version,
            "caption": f"{run.version} samples at epoch {epoch}, from the study's fixed noise.",
        }

    def _display_size(self, source: Path, thumb: bool) -> tuple[int, int]:
        if source not in self._sizes:
            with Image.open(source) as image:
                self._sizes[source] = image.size
        width, height = self._sizes[source]
        if thumb:
            scale = min(1.0, THUMB_WIDTH / width)
            return max(1, round(width * scale)), max(1, round(height * scale))
        factor = max(1, GRID_DISPLAY_MAX // max(width, 1))
        return width * factor, height * factor

    def _plot_figure(self, name: str, inputs, draw, alt: str, caption: str) -> dict[str, Any]:
        cached = self.cache.get(name, inputs, draw)
        site_path = f"assets/plots/{cached.name}"
        self.assets[site_path] = cached
        width, height = plot.svg_size_px(cached)
        return {"path": site_path_url(site_path), "alt": alt, "caption": caption,
                "width": width, "height": height}

    def loss_plot(self, run: Run) -> dict[str, Any]:
        colour = self.colours[run.version]
        return self._plot_figure(
            f"loss-{run.version}", plot.loss_inputs(run, colour, self.smoothing),
            lambda path: plot.draw_losses(run, colour, self.smoothing, path),
            alt=f"{run.version} discriminator and generator loss per iteration, raw and smoothed",
            caption=f"{run.version}: D and G loss per iteration. Thin: raw; thick: smoothed "
                    f"(exponential moving average, {self.smoothing:g}).",
        )

    def d_plot(self, run: Run) -> dict[str, Any]:
        colour = self.colours[run.version]
        return self._plot_figure(
            f"d-outputs-{run.version}", plot.d_outputs_inputs(run, colour, self.smoothing),
            lambda path: plot.draw_d_outputs(run, colour, self.smoothing, path),
            alt=f"{run.version} D(x) and D(G(z)) per iteration",
            caption=f"{run.version}: D's mean probability that a real batch is real (D(x)) "
                    "and that a generated batch is real (D(G(z))). 0.5 is a D that cannot tell.",
        )

    def compare_plot(self, runs: list[Run]) -> dict[str, Any]:
        names = [run.version for run in runs]
        return self._plot_figure(
            "compare-" + "-".join(names), plot.compare_inputs(runs, self.colours, self.smoothing),
            lambda path: plot.draw_compare(runs, self.colours, self.smoothing, path),
            alt="Smoothed D and G loss of " + ", ".join(names) + " on one axis",
            caption="Smoothed losses of " + ", ".join(names) + " overlaid, one colour each.",
        )

    def animation(self, run: Run, url) -> dict[str, Any] | None:
        """The progression as an animated WebP (cached by the grids' content)."""
        frames = [run.samples[epoch] for epoch in run.sample_epochs]
        if len(frames) < 2:
            return None
        inputs = [self.content_hash(frame) for frame in frames]
        cached = self.cache.get(f"progression-{run.version}", inputs,
                                lambda path: plot.draw_animation(frames, path), ext="webp")
        site_path = f"assets/runs/{run.version}/progression.webp"
        self.assets[site_path] = cached
        width, height = self._display_size(frames[-1], thumb=False)
        return {"src": url(site_path_url(site_path)), "width": width, "height": height,
                "alt": f"{run.version} samples from epoch {run.sample_epochs[0]} to "
                       f"{run.sample_epochs[-1]}, animated, fixed noise"}

    def progression_html(self, run: Run, epochs: list[int] | None, url) -> Markup:
        """The slider widget (THE SLIDER CONTRACT in templates/partials/progression.html)."""
        epochs = sorted(set(epochs)) if epochs else run.sample_epochs
        if not epochs:
            return Markup(self.partial("no_samples.html", url, run=run))
        frames = [self.grid_image(run, epoch, url) for epoch in epochs]
        strip = [self.grid_image(run, epoch, url, thumb=True)
                 for epoch in analyse.pick_evenly(epochs, STRIP_FRAMES)]
        frames_json = json.dumps(
            [{"epoch": f["epoch"], "src": f["src"], "alt": f["alt"]} for f in frames],
            separators=(",", ":"),
        )
        return self.partial("progression.html", url, run=run, frames=frames, strip=strip,
                            frames_json=frames_json, last=frames[-1])

    def compare_table_html(self, runs: list[Run], url) -> Markup:
        rows = [(key, [analyse.format_value(v) for v in values])
                for key, values in analyse.differing_settings(runs)]
        return self.partial("compare_table.html", url, runs=runs, rows=rows,
                            outcomes=analyse.outcomes(runs))

    def grids_side_by_side(self, runs: list[Run], url, count: int = 5) -> Markup:
        """Grids of every run (rows) at the same epochs (columns) that all runs have."""
        epochs = analyse.pick_evenly(analyse.common_epochs(runs), count)
        rows = [(run, [self.grid_image(run, epoch, url, thumb=True) for epoch in epochs])
                for run in runs] if epochs else []
        return self.partial("grids_side_by_side.html", url, epochs=epochs, rows=rows)

    def version_list_html(self, url) -> Markup:
        return self.partial("version_list.html", url, runs=self.study.runs)


def _one(args: tuple[str, ...], usage: str) -> str:
    if len(args) != 1:
        raise ValueError(f"expected exactly one version: {{% {usage} %}}")
    return args[0]
