"""/studies/<study>/compare/: the versions' curves (one axis per kind), the settings that
differ and how each ended, and their grids at the same epochs after the real images."""

from __future__ import annotations

from .. import quality_view, urls
from ..read_runs import Study
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("compare", order=60)
def plan(site: Site) -> list[PlannedPage]:
    return [planned("compare", urls.compare_url(study.name), f"compare page {study.name}",
                    f"{study.title}: comparison", lambda study=study: render_compare(site, study))
            for study in site.catalog.studies.values()]


def render_compare(site: Site, study: Study) -> str:
    figures, url, runs = site.figures, site.environment.globals["url"], study.runs
    context = site.context(
        title="Comparison", url=urls.compare_url(study.name), study=study, runs=runs,
        compare_plot=figures.compare_plot(runs),
        compare_table=figures.compare_table_html(runs, url),
        grids=figures.grids_table_html(runs, url),
        quality_plot=figures.plot(quality_view.compare_quality_chart(runs, figures.colours)),
        ranking=figures.partial("quality_ranking.html", url,
                                **ranking_context(runs)) if runs else "")
    return site.emit("compare.html", context)


def ranking_context(runs) -> dict:
    """The ranking table's data: the metric, its rows, the floor, FID off and why."""
    metric, rows, floor = quality_view.ranking(runs)
    off = next((reason for run in runs if (reason := quality_view.fid_off(run))), None)
    return {"metric": quality_view.NAMES.get(metric, metric), "rows": rows, "floor": floor,
            "fid_off": off}
