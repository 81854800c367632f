"""Fixtures for the site tests: one real build of the repo's site_src over fixture runs.

`built_site` builds the real write-up (`site_src/`) against fake but valid run folders of
three studies (bce, least squares, WGAN-GP) written through the real RunWriter by
`tests.run_fixtures.write_all_studies`, under a non-empty baseurl so any link that forgets
the prefix breaks. A copy of site_src gets two extra pages the real one lacks (a
hand-written `.html` page with raw math and a CDN MathJax, a page at an extensionless
permalink), linked from the home page, so the crawl and the browser cover them too.
`site_url` serves it the way GitHub Pages would, and `site_crawl` follows every link and
asset from the home page once per session.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from ganreport.serve import serving
from tests.run_fixtures import write_all_studies

REPO = Path(__file__).resolve().parents[2]
SITE_SRC = REPO / "site_src"
BASEURL = "/ganreport-test"
CRAWL_LIMIT = 2000  # URLs; the fixture site has a few dozen
CRAWL_SECONDS = 60.0
EXTRA_PAGES = {
    "raw-math.html": """\
---
title: Math in a hand-written HTML page
permalink: /raw-math/
---
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
<p>Display math $$\\min_G \\max_D V(D, G)$$ and inline math \\(p_g = p_{\\text{data}}\\).</p>
<p>See the <a href="/notes">notes</a>.</p>
""",
    "notes.md": """\
---
title: Notes
permalink: /notes
---
A page at an extensionless permalink: `notes.html`, served at `/notes`.
""",
}
EXTRA_LINKS = "\n\nAlso: [math in plain HTML](/raw-math/) and [notes](/notes).\n"


def site_src_with_extras(root: Path) -> Path:
    """A copy of the repo's site_src plus EXTRA_PAGES, linked from its home page."""
    src = root / "site_src"
    shutil.copytree(SITE_SRC, src)
    for name, text in EXTRA_PAGES.items():
        (src / name).write_text(text, encoding="utf-8")
    index = src / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + EXTRA_LINKS, encoding="utf-8")
    return src


@pytest.fixture(scope="session")
def figure_cache(tmp_path_factory) -> Path:
    """One figure cache for the session: fixture runs are deterministic, so builds of the
    same runs in different tests draw each figure once (tests that count draws use their own).
    """
    return tmp_path_factory.mktemp("figure-cache")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """(out_dir, baseurl, BuildResult) of the repo's site_src built over fixture runs."""
    from ganreport.pipeline import build

    root = tmp_path_factory.mktemp("site")
    runs = root / "runs"
    write_all_studies(runs)
    out = root / "_site"
    log: list[str] = []
    src = site_src_with_extras(root)
    result = build(src, runs, out, baseurl=BASEURL, cache_dir=root / "cache", log=log.append)
    return out, BASEURL, result


@pytest.fixture(scope="session")
def site_url(built_site):
    """URL of the home page ('http://127.0.0.1:PORT/ganreport-test/') while the session runs."""
    out, baseurl, _ = built_site
    with serving(out, baseurl) as url:
        yield url


# --------------------------------------------------------------------------- crawling

RESOURCE_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "modulepreload",
    "manifest",
    "mask-icon",
    "prefetch",
}
SKIPPED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "blob:", "about:")
CSS_URL = re.compile(
    r"""url\(\s*(['"]?)(?P<url>[^'")]+)\1\s*\)|@import\s+(['"])(?P<imp>[^'"]+)\3"""
)


@dataclass(frozen=True)
class Link:
    """One reference found in a page or stylesheet."""

    page: str  # URL of the document it was found in
    where: str  # e.g. 'img src', 'a href', 'css url()', 'figure data-frames'
    raw: str  # the value as written
    url: str  # resolved absolute URL, fragment removed
    fragment: str
    resource: bool  # loaded by the browser (img/script/css...), not a navigation


@dataclass
class Crawl:
    root: str
    baseurl: str
    pages: dict[str, str] = field(default_factory=dict)  # final URL -> HTML
    status: dict[str, int] = field(default_factory=dict)  # URL -> HTTP status (-1: no answer)
    content_type: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    ids: dict[str, set[str]] = field(default_factory=dict)  # page URL -> ids and a names
    redirects: dict[str, str] = field(default_factory=dict)  # requested -> final URL

    def is_internal(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.root).netloc

    def final(self, url: str) -> str:
        return self.redirects.get(url, url)


class _PageParser(HTMLParser):
    """Collects (where, raw value, is_resource) references and element ids of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, bool]] = []
        self.ids: set[str] = set()
        self.base: str | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(name):
                self.ids.add(values[name])
        if tag == "base" and values.get("href"):
            self.base = values["href"]
        if tag == "style":
            self._in_style = True
        for name, value in values.items():
            if name == "href":
                rels = set(values.get("rel", "").lower().split())
                loaded = tag == "link" and bool(rels & RESOURCE_RELS)
                self.refs.append((f"{tag} href", value, loaded))
            elif name in ("src", "poster", "data") and tag != "figure":
                self.refs.append((f"{tag} {name}", value, True))
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        self.refs.append((f"{tag} {name}", candidate.split()[0], True))
            elif name == "style":
                for match in CSS_URL.finditer(value):
                    self.refs.append((f"{tag} style url()", match["url"] or match["imp"], True))
            elif name == "data-frames":
                for frame in json.loads(value):
                    self.refs.append((f"{tag} data-frames", frame["src"], True))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            for match in CSS_URL.finditer(data):
                self.refs.append(("style url()", match["url"] or match["imp"], True))


def fetch(url: str) -> tuple[int, str, str, bytes]:
    """(status, final URL, content type, body); redirects are followed."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return (
                response.status,
                response.geturl(),
                response.headers.get_content_type(),
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, url, error.headers.get_content_type(), error.read()
    except (urllib.error.URLError, OSError):
        return -1, url, "", b""


def references(crawl: Crawl, url: str, content_type: str, body: bytes) -> list[Link]:
    text = body.decode("utf-8", errors="replace")
    if content_type == "text/html":
        parser = _PageParser()
        parser.feed(text)
        crawl.pages[url] = text
        crawl.ids[url] = parser.ids
        base = urljoin(url, parser.base) if parser.base else url
        refs = parser.refs
    elif content_type == "text/css":
        base = url
        refs = [("css url()", m["url"] or m["imp"], True) for m in CSS_URL.finditer(text)]
    else:
        return []
    links = []
    for where, raw, resource in refs:
        raw = raw.strip()
        if not raw or raw.lower().startswith(SKIPPED_SCHEMES):
            continue
        resolved, fragment = urldefrag(urljoin(base, raw))
        links.append(Link(url, where, raw, resolved, unquote(fragment), resource))
    return links


def crawl_site(root: str, baseurl: str) -> Crawl:
    """Fetch every internal URL reachable from `root` (pages, images, CSS, scripts) once."""
    crawl = Crawl(root=root, baseurl=baseurl)
    queue: deque[str] = deque([root])
    seen = {root}
    deadline = time.monotonic() + CRAWL_SECONDS
    while queue and len(seen) <= CRAWL_LIMIT and time.monotonic() < deadline:
        url = queue.popleft()
        status, final, content_type, body = fetch(url)
        crawl.status[url] = status
        crawl.content_type[url] = content_type
        if final != url:
            crawl.redirects[url] = final
            crawl.status.setdefault(final, status)
        if status != 200:
            continue
        for link in references(crawl, final, content_type, body):
            crawl.links.append(link)
            if crawl.is_internal(link.url) and link.url not in seen:
                seen.add(link.url)
                queue.append(link.url)
    assert not queue, f"crawl stopped early after {len(seen)} URLs"
    return crawl


@pytest.fixture(scope="session")
def site_crawl(site_url, built_site) -> Crawl:
    return crawl_site(site_url, built_site[1])
