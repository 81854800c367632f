"""/studies/<study>/compare/: the versions' curves (one axis per kind), the settings that
differ and how each ended, and their grids at the same epochs after the real images."""

from __future__ import annotations

from .. import urls
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
        grids=figures.grids_table_html(runs, url))
    return site.emit("compare.html", context)
