"""/404.html: GitHub Pages' not-found page, unless site_src has its own."""

from __future__ import annotations

from markupsafe import Markup

from .. import urls
from .common import Site
from .registry import PlannedPage, page_kind, planned


@page_kind("not_found", order=100)
def plan(site: Site) -> list[PlannedPage]:
    static = {path.as_posix() for path in site.sources.static_files}
    path = urls.output_path(urls.NOT_FOUND)
    if path in site.claimed or path in static:
        return []
    return [planned("not_found", urls.NOT_FOUND, "not-found page", "Page not found",
                    lambda: render_not_found(site))]


def render_not_found(site: Site) -> str:
    """GitHub Pages serves it at any missing URL, so its links carry the full baseurl."""
    url = site.environment.globals["url"]
    content = Markup(
        "<p>There is no page at this address. Try the <a href=\"{home}\">home page</a>, "
        "the <a href=\"{studies}\">list of studies</a> or the "
        "<a href=\"{setbacks}\">setbacks</a>.</p>"
    ).format(home=url(urls.HOME), studies=url(urls.STUDIES), setbacks=url(urls.SETBACKS))
    context = site.context(title="Page not found", url=urls.NOT_FOUND, content=content)
    return site.emit("page.html", context)
