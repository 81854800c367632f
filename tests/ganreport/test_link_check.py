"""links: internal links resolved against the files a build will write, before writing."""

from __future__ import annotations

import pytest

from ganreport import links
from ganreport.errors import UserError

EXISTING = {"index.html", "studies/index.html", "studies/a/v1/index.html", "notes.html",
            "assets/css/site.css", "assets/runs/a/v1/epoch_0001.webp"}


def _broken(html: str, baseurl: str = "/b", page: str = "/studies/a/v1/"):
    return [item.link for item in links.broken_links([("page", page, html)], EXISTING, baseurl)]


def test_links_of_real_tags_only():
    html = ('<a href="/b/x/">x</a> <img src="a.png" srcset="/b/1.png 1x, /b/2.png 2x">'
            "<code>&lt;a href=\"/nope\"&gt;</code>"
            """<figure data-frames='[{"epoch": 1, "src": "/b/f.webp"}]'></figure>""")
    assert links.links_of(html) == ["/b/x/", "a.png", "/b/1.png", "/b/2.png", "/b/f.webp"]


def test_pages_files_and_extensionless_urls_resolve():
    html = ('<a href="/b/">home</a><a href="/b/studies/">s</a><a href="/b/notes">n</a>'
            '<a href="/b/studies/a/v1">no slash</a><a href="../../">up</a>'
            '<a href="#top">anchor</a><a href="https://example.org/">out</a>'
            '<a href="mailto:x@y">mail</a><img src="/b/assets/runs/a/v1/epoch_0001.webp">'
            '<script src="/b/assets/mathjax/es5/tex-chtml.js"></script>')
    assert _broken(html) == []


def test_missing_targets_and_links_without_the_baseurl_are_broken():
    html = '<a href="/b/studies/a/v9/">v9</a><a href="/studies/">no base</a><img src="x.png">'
    assert _broken(html) == ["/b/studies/a/v9/", "/studies/", "x.png"]
    assert _broken('<a href="/studies/">s</a>', baseurl="") == []


def test_check_raises_one_line_naming_page_and_a_close_page():
    pages = [("site_src/index.md", "/", '<a href="/b/studies/a/v2/">v2</a><a href="/b/x">x</a>')]
    with pytest.raises(UserError) as error:
        links.check(pages, EXISTING, "/b", (), [])
    message = str(error.value)
    assert "\n" not in message and message.startswith("site_src/index.md: link ")
    assert "did you mean /studies/a/v1/?" in message and "(and 1 more broken links)" in message


def test_links_into_a_left_out_study_only_warn():
    warnings: list[str] = []
    links.check([("p", "/", '<a href="/b/studies/c/v1/">c</a>')], EXISTING, "/b", ["c"],
                warnings)
    assert warnings == ["p: link '/b/studies/c/v1/' goes to a study left out of this build "
                        "(--study)"]
