"""The registry of page kinds: each kind plans its pages from what was read, nothing more.

A kind is a function `plan(site) -> list[PlannedPage]`, registered under a name with
`@page_kind("name", order=N)` in its own module of this package. Planning only decides
URLs, output paths and owners; each PlannedPage renders later (`render()` returns the
page's HTML), once every page is known, so pages can link to each other and the links can
be checked before anything is written. Kinds plan by `order`: author pages first (they
claim their permalinks), the not-found page last (it yields to any page at /404.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import urls, write

if TYPE_CHECKING:
    from .common import Site


@dataclass(frozen=True)
class PlannedPage:
    """A page that will exist: where, who makes it (for errors), and how to render it."""

    kind: str
    url: str  # site URL without the baseurl
    output_path: str  # file under _site/
    owner: str  # "site_src/about.md", "version page abstract/v1"
    title: str
    render: Callable[[], str]


Planner = Callable[["Site"], list[PlannedPage]]
KINDS: dict[str, tuple[int, Planner]] = {}  # name -> (order, planner)


def page_kind(name: str, order: int) -> Callable[[Planner], Planner]:
    """Register a planner under a kind name (one module per kind); lower `order` plans first."""

    def register(planner: Planner) -> Planner:
        if name in KINDS:
            raise ValueError(f"page kind {name!r} registered twice")
        KINDS[name] = (order, planner)
        return planner

    return register


def planned(kind: str, url: str, owner: str, title: str, render: Callable[[], str],
            output_path: str | None = None) -> PlannedPage:
    """A PlannedPage whose file follows the URL (urls.output_path), unless given."""
    return PlannedPage(kind, url, output_path or urls.output_path(url), owner, title, render)


def plan_all(site: Site) -> list[PlannedPage]:
    """Every kind's pages, in registration order; two pages for one file is a UserError."""
    pages: list[PlannedPage] = []
    for _, planner in sorted(KINDS.values(), key=lambda item: item[0]):
        for page in planner(site):
            write.check_claimed(site.claimed, page.output_path, page.owner)
            pages.append(page)
            site.pages[page.url] = page
    return pages
