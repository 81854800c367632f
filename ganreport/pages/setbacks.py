"""/setbacks/: the author's setbacks text, then every study's runs with what their numbers
show (stopped, diverged, spiked, damaged), grouped by study."""

from __future__ import annotations

from .. import analyse, urls
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("setbacks", order=70)
def plan(site: Site) -> list[PlannedPage]:
    page = site.setbacks_source()
    owner = site.source_name(page) if page is not None else "setbacks page"
    title = page.title if page is not None else "Setbacks"
    return [planned("setbacks", urls.SETBACKS, owner, title, lambda: render_setbacks(site))]


def render_setbacks(site: Site) -> str:
    page = site.setbacks_source()
    html, has_math, title = "", False, "Setbacks"
    if page is not None:
        html, has_math = site.page_body(page)
        title = page.title
    groups = [{"study": study, "runs": [
        {"run": run, "colour": site.figures.colours[run.key],
         "notes": analyse.findings(run, site.settings.smoothing)} for run in study.runs]}
        for study in site.catalog.studies.values()]
    context = site.context(title=title, url=urls.SETBACKS, content=html, has_math=has_math,
                           groups=groups)
    return site.emit("setbacks.html", context)
