"""Author pages from site_src/ at their permalinks, in their layouts."""

from __future__ import annotations

from ..render import resolve_layout
from ..site_sources import Page
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("source", order=10)
def plan(site: Site) -> list[PlannedPage]:
    """Every site_src page that no generated kind takes over (home, setbacks, write-ups)."""
    return [planned("source", page.url, site.source_name(page), page.title,
                    lambda page=page: render_source(site, page), page.output_path)
            for page in site.sources.pages
            if not site.is_taken(page) and not site.left_out(page)]


def render_source(site: Site, page: Page, default_layout: str | None = None) -> str:
    """A site_src page in its layout (an unknown layout -> default, with a warning)."""
    html, has_math = site.page_body(page)
    layout = page.meta.get("layout") or default_layout or page.layout
    template = resolve_layout(str(layout), page.source, site.warnings)
    context = site.context(title=page.title, url=page.url, content=html, has_math=has_math,
                           description=str(page.meta.get("description") or ""))
    return site.emit(template, context)
