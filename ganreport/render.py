"""Jinja2 rendering: templates/ with autoescape and StrictUndefined, a baseurl-aware url().

Templates never build URLs by hand: `url('/compare/')` prefixes the baseurl, so the site
works under `https://user.github.io/<repo>/`. HTML that comes from the author's Markdown
gets the same treatment by `prefix_root_links`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# Jekyll layout name -> our template. `home` and `post` are Jekyll's usual names.
LAYOUTS = {
    "default": "base.html",
    "page": "page.html",
    "home": "home.html",
    "post": "page.html",
}
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ROOT_LINK = re.compile(r"""(\s(?:href|src|poster)\s*=\s*)(["'])/(?!/)""", re.IGNORECASE)


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
    """Add the baseurl to href/src values that start with a single '/' (site-root links)."""
    if not baseurl:
        return html
    return ROOT_LINK.sub(lambda m: f"{m.group(1)}{m.group(2)}{baseurl}/", html)


def render(environment: Environment, template: str, context: dict[str, Any]) -> str:
    return environment.get_template(template).render(**context)


def version_path(version: str) -> str:
    """Site path of a version's page; the name is percent-encoded for the URL."""
    return f"/versions/{quote(str(version), safe='')}/"


def site_path_url(site_path: str) -> str:
    """'assets/runs/v1/x.png' -> '/assets/runs/v1/x.png', percent-encoded, without baseurl."""
    return "/" + quote(site_path.lstrip("/"))
