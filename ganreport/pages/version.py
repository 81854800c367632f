"""/studies/<study>/<version>/: what changed, what happened, how long, how to reproduce."""

from __future__ import annotations

import yaml

from .. import analyse, quality_view, urls
from ..figures import grid_attributes
from ..read_runs import Run, Study
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("version", order=50)
def plan(site: Site) -> list[PlannedPage]:
    return [planned("version", urls.version_url(run.study, run.version),
                    f"version page {run.key}", f"{run.key}: {run.title}",
                    lambda study=study, run=run: render_version(site, study, run))
            for study in site.catalog.studies.values() for run in study.runs]


def render_version(site: Site, study: Study, run: Run) -> str:
    figures, url = site.figures, site.environment.globals["url"]
    runs, index = study.runs, study.runs.index(run)
    parent = study.by_version().get(run.parent) if run.parent else None
    description, has_math = site.description_html(run)
    changes = analyse.config_diff(parent.config, run.config) if parent else []
    final = figures.grid_image(run, run.sample_epochs[-1], url) if run.samples else None
    context = site.context(
        title=f"{run.key}: {run.title}", url=urls.version_url(run.study, run.version),
        has_math=has_math, description=run.description, study=study,
        run=run, colour=figures.colours[run.key], position=index + 1, version_count=len(runs),
        description_html=description, parent=parent, parent_name=run.parent,
        changes=[analyse.Change(c.key, analyse.format_value(c.before),
                                analyse.format_value(c.after)) for c in changes],
        profile_note=analyse.profile_note(run.config),
        loss_plot=figures.loss_plot(run), d_plot=figures.discriminator_plot(run),
        stage_strip=figures.stage_strip(run, url),
        progression=figures.progression_html(run, None, url),
        real_image=figures.real_image(run, url) if final else None,
        **quality_context(site, run),
        facts=analyse.run_facts(run),
        command=str(run.env.get("command") or "(not recorded)"),
        config_yaml=yaml.safe_dump(run.config, sort_keys=False, allow_unicode=True),
        previous=runs[index - 1] if index > 0 else None,
        next=runs[index + 1] if index + 1 < len(runs) else None,
    )
    return site.emit("version.html", context)


def quality_context(site: Site, run: Run) -> dict:
    """The sample-quality section: curves against the floor, notes, the EMA grid (the best
    grid is a stop on the slider)."""
    figures, url = site.figures, site.environment.globals["url"]
    best = quality_view.best_epoch(run)
    ema_image = None
    ema_at = quality_view.last_ema_epoch(run)
    grid = quality_view.ema_grid(run, ema_at) if ema_at is not None else None
    if grid is not None:
        width, height = figures.display_size(grid)
        ema_image = {"src": url(urls.site_path_url(figures.web_copy(run, grid))),
                     "alt": f"{run.key} samples of G's weight average at epoch {ema_at}",
                     "width": width, "height": height, "grid": grid_attributes(run),
                     "caption": f"EMA of G's weights: {run.key} at epoch {ema_at}, same noise."}
    return {
        "quality_plot": figures.plot(quality_view.quality_chart(run, figures.colours[run.key])),
        "quality_notes": quality_view.notes(run), "best": best,
        "quality_metric": quality_view.NAMES.get(quality_view.metric_of(run),
                                                 quality_view.metric_of(run)),
        "floor_value": quality_view.floor(run).get(quality_view.metric_of(run)),
        "ema_image": ema_image,
    }
