"""/setbacks/: the author's setbacks text, then every study's runs with what the detectors
found in their numbers and grids (ganreport/detectors/), each finding with a small plot
marking where it happened, grouped by study."""

from __future__ import annotations

from .. import findings_view, urls
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
    groups = [{"study": study, "runs": [_run_item(site, run) for run in study.runs]}
              for study in site.catalog.studies.values()]
    context = site.context(title=title, url=urls.SETBACKS, content=html, has_math=has_math,
                           groups=groups)
    return site.emit("setbacks.html", context)


def _run_item(site: Site, run) -> dict:
    """One run's status line and findings, each finding with its plot."""
    colour = site.figures.colours[run.key]
    shown = [findings_view.Shown(finding, site.figures.plot(
                 findings_view.finding_chart(run, finding, colour, index)))
             for index, finding in enumerate(findings_view.run_findings(run))]
    note = findings_view.status_note(run)
    return {"run": run, "colour": colour, "notes": [note] if note else [], "findings": shown}
