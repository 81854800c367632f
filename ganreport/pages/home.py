"""The home page: site_src/index.md (layout `home`), else the cards of every study."""

from __future__ import annotations

from .. import urls
from .common import Site
from .registry import PlannedPage, page_kind, planned
from .source import render_source
from .studies import render_cards


@page_kind("home", order=20)
def plan(site: Site) -> list[PlannedPage]:
    page = site.home_source()
    if page is not None and not site.left_out(page):
        return [planned("home", urls.HOME, site.source_name(page), page.title,
                        lambda: render_source(site, page, default_layout="home"),
                        page.output_path)]
    return [planned("home", urls.HOME, "home page", site.settings.title,
                    lambda: render_cards(site, urls.HOME, site.settings.title))]
