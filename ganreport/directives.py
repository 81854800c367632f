"""Figure directives in Markdown pages: `{% loss_plot abstract/v1 %}` -> figure HTML.

A run is named `study/version`; a page whose front matter sets `study:` (or a study's
write-up, site_src/studies/<study>.md) may use the bare version name. Directives
(see docs/writing-pages.md):

    {% loss_plot RUN %}                   D and G loss per iteration, raw and smoothed
    {% d_plot RUN %}                      what D outputs, as the run's loss defines it
    {% samples RUN epoch=N|last %}        a fixed-noise grid (real=yes: real images beside)
    {% progression RUN epochs=0,5,10 %}   epoch slider + static strip (all epochs if omitted)
    {% compare_table [RUN ...] %}         settings that differ and how the runs ended
    {% compare_plot [RUN ...] %}          smoothed curves overlaid (only the same kind)
    {% version_list [STUDY] %}            the versions of a study, with links
    {% study_list %}                      one card per study

A name that does not exist raises ValueError listing what does; the Markdown layer adds
the page and line. A run of a study left out with `--study` shows a short note instead,
with a warning, so a limited build still works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from .figures import Figures
from .read_runs import Catalog, Run, Study
from .render import make_url

# URLs in directive HTML start with this marker instead of the baseurl: the page's own
# root links get the baseurl afterwards, and this marker is then replaced (never twice).
ROOT_MARKER = "__ganreport_root__"
SHOWN_NAMES = 12  # runs listed in an error before "..."


class LeftOut(Exception):
    """What the directive names is not in this build: a study left out by --study, or a
    grid that is damaged. The page shows a note instead, with a warning."""


class Directives:
    """The Markdown layer's directive handler for one page (its study decides bare names)."""

    # name -> (method, options it accepts)
    DIRECTIVES: dict[str, tuple[str, frozenset[str]]] = {
        "loss_plot": ("_loss_plot", frozenset({"caption"})),
        "d_plot": ("_d_plot", frozenset({"caption"})),
        "samples": ("_samples", frozenset({"epoch", "caption", "real"})),
        "progression": ("_progression", frozenset({"epochs"})),
        "compare_table": ("_compare_table", frozenset()),
        "compare_plot": ("_compare_plot", frozenset({"caption"})),
        "version_list": ("_version_list", frozenset()),
        "study_list": ("_study_list", frozenset()),
    }
    names = frozenset(DIRECTIVES)
    """The directive names, so the Markdown layer can tell them from Jekyll's Liquid tags."""

    def __init__(self, figures: Figures, catalog: Catalog, study: str | None, source: str,
                 warn: Callable[[str], None]):
        self.figures = figures
        self.catalog = catalog
        self.study = study
        self.source = source
        self.warn = warn
        self.url = make_url(ROOT_MARKER)

    def __call__(self, directive) -> str:
        if directive.name not in self.DIRECTIVES:
            raise ValueError(f"unknown directive {{% {directive.name} %}}; known: "
                             f"{', '.join(self.DIRECTIVES)}")
        method, allowed = self.DIRECTIVES[directive.name]
        unknown = sorted(set(directive.options) - allowed)
        if unknown:
            raise ValueError(f"{{% {directive.name} %}} has no option {', '.join(unknown)}; "
                             f"options: {', '.join(sorted(allowed)) or 'none'}")
        try:
            return getattr(self, method)(directive.args, directive.options)
        except LeftOut as left_out:
            self.warn(f"{self.source}:{directive.line}: {left_out}; not shown in this build")
            return Markup('<p class="left-out">{}: not shown in this build.</p>\n').format(
                str(left_out))

    # -- names -> runs -------------------------------------------------------------------------

    def run(self, name: str) -> Run:
        """'study/version', or a bare version of the page's study."""
        study_name, slash, version = name.rpartition("/")
        if not slash:
            study_name = self.study or ""
            if not study_name:
                raise ValueError(
                    f"{name!r} names no study: write study/version, or set `study:` in the "
                    f"page's front matter; runs that exist: {self._existing()}")
        if study_name in self.catalog.excluded:
            raise LeftOut(f"{study_name}/{version} belongs to a study left out by --study")
        study = self.catalog.studies.get(study_name)
        if study is None:
            raise ValueError(f"no study {study_name!r} under {self.catalog.runs_dir}/; "
                             f"studies that exist: {', '.join(self.catalog.studies) or 'none'}")
        run = study.by_version().get(version)
        if run is None:
            raise ValueError(f"no run {study_name}/{version} (from {name!r}); runs that exist: "
                             f"{self._existing(study)}")
        return run

    def _existing(self, study: Study | None = None) -> str:
        keys = [run.key for run in study.runs] if study else self.catalog.run_keys()
        shown = ", ".join(keys[:SHOWN_NAMES]) + (", ..." if len(keys) > SHOWN_NAMES else "")
        return shown or "none; train a study first (make train)"

    def one_run(self, args: tuple[str, ...], usage: str) -> Run:
        if len(args) != 1:
            raise ValueError(f"expected exactly one run: {{% {usage} %}}")
        return self.run(args[0])

    def runs(self, args: tuple[str, ...]) -> list[Run]:
        """The named runs (those of left-out studies dropped, with a warning), or every run
        of the page's study when none is named."""
        if not args:
            return list(self.page_study().runs)
        runs, left_out = [], []
        for name in args:
            try:
                runs.append(self.run(name))
            except LeftOut as error:
                left_out.append(str(error))
        if not runs:
            raise LeftOut("; ".join(left_out))
        for note in left_out:
            self.warn(f"{self.source}: {note}; left out of the comparison")
        return runs

    def page_study(self, name: str | None = None) -> Study:
        name = name or self.study
        if not name:
            raise ValueError("name the runs (study/version), or set `study:` in the page's "
                             f"front matter; studies that exist: {', '.join(self.catalog.studies)}")
        if name in self.catalog.excluded:
            raise LeftOut(f"study {name} is left out by --study")
        if name not in self.catalog.studies:
            raise ValueError(f"no study {name!r}; studies that exist: "
                             f"{', '.join(self.catalog.studies) or 'none'}")
        return self.catalog.studies[name]

    def epoch(self, run: Run, text: Any) -> int:
        """'last' or a number -> an epoch that has a sample grid."""
        if not run.samples:
            raise ValueError(f"run {run.key} has no sample grids yet")
        if str(text).strip() == "last":
            return run.sample_epochs[-1]
        try:
            epoch = int(str(text).strip())
        except ValueError:
            raise ValueError(f"epoch must be a number or 'last', got {text!r}") from None
        if epoch in run.damaged_epochs:
            raise LeftOut(f"the grid of {run.key} at epoch {epoch} is damaged")
        if epoch not in run.samples:
            existing = ", ".join(str(e) for e in run.sample_epochs)
            raise ValueError(f"run {run.key} has no sample grid for epoch {epoch}; "
                             f"epochs with samples: {existing}")
        return epoch

    # -- the directives ------------------------------------------------------------------------

    def _plot(self, figure: dict[str, Any] | None, options, run: Run | None = None) -> str:
        if figure is None:
            what = f"{run.key} has" if run else "these runs have"
            return f'<p class="no-data">{what} no logged values for this plot yet.</p>\n'
        if options.get("caption"):
            figure = {**figure, "caption": options["caption"]}
        return self.figures.partial("plot.html", self.url, figure=figure)

    def _loss_plot(self, args, options) -> str:
        run = self.one_run(args, "loss_plot STUDY/VERSION")
        return self._plot(self.figures.loss_plot(run), options, run)

    def _d_plot(self, args, options) -> str:
        run = self.one_run(args, "d_plot STUDY/VERSION")
        return self._plot(self.figures.discriminator_plot(run), options, run)

    def _samples(self, args, options) -> str:
        run = self.one_run(args, "samples STUDY/VERSION epoch=N|last")
        epoch = self.epoch(run, options.get("epoch", "last"))
        real = str(options.get("real", "no")).lower() in ("yes", "true", "1")
        return self.figures.samples_html(run, epoch, self.url, options.get("caption"), real)

    def _progression(self, args, options) -> str:
        run = self.one_run(args, "progression STUDY/VERSION [epochs=0,5,10]")
        epochs = None
        if "epochs" in options:
            epochs = []
            for text in (part for part in options["epochs"].split(",") if part):
                try:
                    epochs.append(self.epoch(run, text))
                except LeftOut as damaged:
                    self.warn(f"{self.source}: {damaged}; left out of the slider")
        return self.figures.progression_html(run, epochs, self.url)

    def _compare_table(self, args, options) -> str:
        return self.figures.compare_table_html(self.runs(args), self.url)

    def _compare_plot(self, args, options) -> str:
        return self._plot(self.figures.compare_plot(self.runs(args)), options)

    def _version_list(self, args, options) -> str:
        if len(args) > 1:
            raise ValueError("expected at most one study: {% version_list [STUDY] %}")
        study = self.page_study(args[0] if args else None)
        return self.figures.version_list_html(study.runs, self.url)

    def _study_list(self, args, options) -> str:
        if args:
            raise ValueError("{% study_list %} takes no arguments")
        return self.figures.study_cards_html(list(self.catalog.studies.values()), self.url)
