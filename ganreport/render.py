"""Jinja2 rendering: templates/ with autoescape and StrictUndefined, a baseurl-aware url().

Templates never build URLs by hand: `url('/compare/')` prefixes the baseurl, so the site
works under `https://user.github.io/<repo>/`. HTML that comes from the author's Markdown
gets the same treatment by `prefix_root_links`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# Jekyll layout name -> our template. `home` and `post` are Jekyll's usual names.
LAYOUTS = {
    "default": "base.html",
    "page": "page.html",
    "home": "home.html",
    "post": "page.html",
}
# Package data (pyproject: [tool.setuptools.package-data]), so `pip install .` ships them.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "templates"
# A real start tag (`&lt;a href=...&gt;` in a code sample is text, not a tag) and its
# attributes; quoted values may hold '>' or '<'.
START_TAG = re.compile(r"""<[A-Za-z][\w:-]*(?:"[^"]*"|'[^']*'|[^'">])*>""")
ATTRIBUTE = re.compile(r"""(\s)([^\s"'<>/=]+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""")
URL_ATTRIBUTES = {"href", "src", "poster"}
SRCSET_ATTRIBUTES = {"srcset", "imagesrcset"}

def make_url(baseurl: str):
    """url('/x/') -> baseurl + '/x/'; full URLs, anchors and mailto: pass through."""

    def url(path: str) -> str:
        path = str(path)
        if re.match(r"^([a-z][a-z0-9+.-]*:|//|#)", path, re.IGNORECASE):
            return path
        if not path.startswith("/"):
            path = "/" + path
        return baseurl + path

    return url


def make_environment(templates_dir: Path, baseurl: str, globals_: dict[str, Any] | None = None
                     ) -> Environment:
    """The one Environment of a build: autoescape on, unknown variables are errors."""
    environment = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(url=make_url(baseurl), baseurl=baseurl, **(globals_ or {}))
    return environment


def resolve_layout(layout: str | None, source: str, warnings: list[str]) -> str:
    """Template for a page's `layout`; an unknown one falls back to default with a warning."""
    name = (layout or "default").strip()
    if name.endswith(".html"):
        name = name[: -len(".html")]
    if name in LAYOUTS:
        return LAYOUTS[name]
    warnings.append(
        f"{source}: unknown layout {name!r}, using 'default' (known: {', '.join(LAYOUTS)})"
    )
    return LAYOUTS["default"]


def prefix_root_links(html: str, baseurl: str) -> str:
    """Add the baseurl to site-root URLs ('/x', not '//host/x') in href, src, poster and each
    srcset candidate of real tags only, so code samples (escaped text) stay as written."""
    if not baseurl:
        return html

    def attribute(match: re.Match[str]) -> str:
        space, name, equals, value = match.groups()
        quote_ = value[0] if value[0] in "\"'" else ""
        inner = value[len(quote_): len(value) - len(quote_)]
        if name.lower() in URL_ATTRIBUTES:
            inner = _prefix_url(inner, baseurl)
        elif name.lower() in SRCSET_ATTRIBUTES:
            inner = ",".join(_prefix_candidate(c, baseurl) for c in inner.split(","))
        return f"{space}{name}{equals}{quote_}{inner}{quote_}"

    return START_TAG.sub(lambda tag: ATTRIBUTE.sub(attribute, tag[0]), html)


def _prefix_url(url: str, baseurl: str) -> str:
    return baseurl + url if url.startswith("/") and not url.startswith("//") else url


def _prefix_candidate(candidate: str, baseurl: str) -> str:
    """One 'url 2x' entry of a srcset, its surrounding spaces kept."""
    stripped = candidate.lstrip()
    return candidate[: len(candidate) - len(stripped)] + _prefix_url(stripped, baseurl)


def render(environment: Environment, template: str, context: dict[str, Any]) -> str:
    return environment.get_template(template).render(**context)
