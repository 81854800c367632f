"""/studies/<study>/: the study's write-up (site_src/studies/<study>.md) or a generated
overview; either way its versions, the real images beside the latest samples, and the
losses compared."""

from __future__ import annotations

from .. import urls
from ..read_runs import Study
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("study", order=40)
def plan(site: Site) -> list[PlannedPage]:
    for name in site.catalog.excluded:
        writeup = site.writeup(name)
        if writeup is not None:
            site.warnings.append(f"{site.source_name(writeup)}: left out of this build, its "
                                 f"study {name!r} is not selected (--study)")
    return [planned("study", urls.study_url(study.name), f"study page {study.name}",
                    study.title, lambda study=study: render_study(site, study))
            for study in site.catalog.studies.values()]


def render_study(site: Site, study: Study) -> str:
    url, page_url = urls.study_url(study.name), site.environment.globals["url"]
    figures, runs = site.figures, study.runs
    writeup = site.writeup(study.name)
    content, has_math, title = "", False, study.title
    if writeup is not None:
        content, has_math = site.page_body(writeup)
        title = writeup.title
    context = site.context(
        title=title, url=url, content=content, has_math=has_math, study=study,
        description=str(writeup.meta.get("description") or "") if writeup else "",
        writeup=writeup is not None, runs=runs,
        has_real=any(run.real_grid is not None for run in runs),
        version_list=figures.version_list_html(runs, page_url),
        latest=figures.latest_beside_real_html(runs, page_url),
        compare_plot=figures.compare_plot(runs))
    return site.emit("study.html", context)
