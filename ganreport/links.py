"""Internal links of the rendered pages, checked before anything is written.

Every href, src, srcset, poster and slider frame of a real tag that points into the site
(root-relative under the baseurl, or relative) must name a page that will exist, a
figure, a static file, a theme asset or a MathJax file. Links into a study that
`--study` leaves out only warn; anything else that goes nowhere is a UserError naming
the page, so a broken link never reaches GitHub Pages.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from . import urls
from .errors import UserError

HOST = "http://site.invalid"  # a base that only serves to resolve relative links
ALWAYS_THERE = ("assets/mathjax/",)  # copied as whole folders by write.copy_mathjax


class _Links(HTMLParser):
    """The URLs a page's tags point to (not the text of code samples)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src", "poster"):
                self.found.append(value)
            elif name in ("srcset", "imagesrcset"):
                self.found += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name == "data-frames":
                try:
                    self.found += [frame["src"] for frame in json.loads(value)]
                except (ValueError, KeyError, TypeError):
                    continue


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.found


@dataclass(frozen=True)
class Broken:
    owner: str
    link: str
    target: str


def broken_links(pages: Iterable[tuple[str, str, str]], existing: set[str], baseurl: str
                 ) -> list[Broken]:
    """(owner, page URL, HTML) -> the links whose file is not in `existing` (output paths)."""
    broken = []
    for owner, page_url, html in pages:
        base = HOST + baseurl + page_url
        for link in dict.fromkeys(links_of(html)):
            target = _site_path(urljoin(base, link.strip()), baseurl)
            if target is not None and not _exists(target, existing):
                broken.append(Broken(owner, link, target))
    return broken


def _site_path(absolute: str, baseurl: str) -> str | None:
    """The path under _site/ a resolved link asks for ('' = the root); None: not internal."""
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != HOST:
        return None
    path = unquote(parts.path)
    if baseurl and path != baseurl and not path.startswith(baseurl + "/"):
        return "\0outside " + path  # a root link that forgot the baseurl
    return path[len(baseurl):].lstrip("/")


def _exists(target: str, existing: set[str]) -> bool:
    if target.startswith(ALWAYS_THERE):
        return True
    if target == "" or target.endswith("/"):
        return target + "index.html" in existing
    return any(candidate in existing
               for candidate in (target, target + "/index.html", target + ".html"))


def check(pages: Iterable[tuple[str, str, str]], existing: set[str], baseurl: str,
          left_out: Iterable[str], warnings: list[str]) -> None:
    """Raise a one-line UserError for the first broken link (counting the rest); links into
    studies left out by --study become warnings."""
    skipped = tuple(urls.output_path(urls.study_url(study)).removesuffix("index.html")
                    for study in left_out)
    errors = []
    for item in broken_links(pages, existing, baseurl):
        if skipped and item.target.startswith(skipped):
            warnings.append(f"{item.owner}: link {item.link!r} goes to a study left out of "
                            "this build (--study)")
        else:
            errors.append(item)
    if errors:
        first = errors[0]
        where = ("it lacks the baseurl " + repr(baseurl) if first.target.startswith("\0")
                 else _suggestion(first.target, existing))
        more = f" (and {len(errors) - 1} more broken links)" if len(errors) > 1 else ""
        raise UserError(f"{first.owner}: link {first.link!r} goes to no page or file of "
                        f"this site; {where}{more}")


def _suggestion(target: str, existing: set[str]) -> str:
    pages = sorted("/" + path.removesuffix("index.html") for path in existing
                   if path.endswith(".html"))
    close = difflib.get_close_matches("/" + target, pages, n=1, cutoff=0.5)
    return f"did you mean {close[0]}?" if close else "pages that exist: " + ", ".join(pages[:8])
