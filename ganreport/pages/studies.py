"""/studies/: one card per study (title, dataset, versions, latest grid, how each ended)."""

from __future__ import annotations

from .. import urls
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("studies", order=30)
def plan(site: Site) -> list[PlannedPage]:
    return [planned("studies", urls.STUDIES, "studies index", "Studies",
                    lambda: render_cards(site, urls.STUDIES, "Studies"))]


def render_cards(site: Site, url: str, title: str) -> str:
    studies = list(site.catalog.studies.values())
    cards = site.figures.study_cards_html(studies, site.environment.globals["url"])
    context = site.context(title=title, url=url, cards=cards, studies=studies,
                           excluded=site.catalog.excluded)
    return site.emit("studies.html", context)
