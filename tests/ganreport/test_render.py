"""Jinja2 environment, url() and baseurl prefixing, layout resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from ganreport.render import (
    DEFAULT_TEMPLATES,
    make_environment,
    make_url,
    prefix_root_links,
    resolve_layout,
)


def test_url_prefixes_baseurl_only_on_site_paths():
    url = make_url("/repo")
    assert url("/compare/") == "/repo/compare/"
    assert url("assets/x.png") == "/repo/assets/x.png"
    for external in ("https://a.b/c", "//cdn/x", "#top", "mailto:a@b"):
        assert url(external) == external
    assert make_url("")("/") == "/"


def test_prefix_root_links_leaves_other_links_alone():
    html = ('<a href="/compare/">c</a><img src="/a.png"><a href="//x.org/">x</a>'
            '<a href="https://x.org/">y</a><a href="#f">f</a><a href="rel/">r</a>')
    assert prefix_root_links(html, "/repo") == (
        '<a href="/repo/compare/">c</a><img src="/repo/a.png"><a href="//x.org/">x</a>'
        '<a href="https://x.org/">y</a><a href="#f">f</a><a href="rel/">r</a>')
    assert prefix_root_links(html, "") == html


def test_prefix_root_links_prefixes_every_srcset_candidate():
    html = '<img srcset="/a.png 1x, /b.png 2x,//cdn/c.png 3x, d.png 4x" src=/u.png alt="a > b">'
    assert prefix_root_links(html, "/repo") == (
        '<img srcset="/repo/a.png 1x, /repo/b.png 2x,//cdn/c.png 3x, d.png 4x" src=/repo/u.png '
        'alt="a > b">')


def test_prefix_root_links_leaves_code_samples_and_text_alone():
    """Escaped markup in <pre>/<code> and attribute-like prose are not tags: not rewritten."""
    html = ('<pre><code>&lt;a href="/code"&gt;x&lt;/a&gt;</code></pre>'
            '<p>write <code>src="/y"</code> or href="/z"</p><a title="href=\'/t\'" href="/ok">')
    assert prefix_root_links(html, "/repo") == html.replace('href="/ok"', 'href="/repo/ok"')


def test_unknown_layout_falls_back_with_a_warning():
    warnings = []
    assert resolve_layout("post", "a.md", warnings) == "page.html"
    assert resolve_layout("home.html", "a.md", warnings) == "home.html"
    assert warnings == []
    assert resolve_layout("fancy", "a.md", warnings) == "base.html"
    assert "a.md" in warnings[0] and "fancy" in warnings[0]


def test_templates_are_package_data():
    """pip install ships them inside the package (pyproject package-data), not beside it."""
    import ganreport

    assert DEFAULT_TEMPLATES.parent == Path(ganreport.__file__).resolve().parent
    for name in ("base.html", "version.html", "study.html", "studies.html", "compare.html",
                 "setbacks.html", "assets/css/site.css", "assets/js/slider.js"):
        assert (DEFAULT_TEMPLATES / name).is_file(), name


def test_environment_escapes_and_is_strict():
    environment = make_environment(DEFAULT_TEMPLATES, "/r")
    template = environment.from_string("{{ url('/x/') }} {{ text }}")
    assert template.render(text="<b>") == "/r/x/ &lt;b&gt;"
    with pytest.raises(UndefinedError):
        environment.from_string("{{ missing }}").render()
