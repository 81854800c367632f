"""What every page kind shares: the build's read-only inputs and the rendering helpers.

`Site` is made once per build after everything is read (settings, site_src, runs) and
handed to each page kind. It holds no global state; the only things that grow during a
build are `warnings`, the claimed output paths and the figure assets.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from .. import analyse, urls
from ..directives import ROOT_MARKER, Directives
from ..figures import Figures
from ..markdown_render import remove_mathjax_scripts, render_markdown
from ..mathjax_js import MATHJAX_CONFIG_JS, MATHJAX_ENTRY, MATHJAX_PRELOAD, PAGE_MATHJAX_CONFIG_JS
from ..plot import FigureCache
from ..read_runs import Catalog, Run, Study
from ..render import (
    DEFAULT_TEMPLATES,
    make_environment,
    prefix_root_links,
    render,
)
from ..settings import Settings
from ..site_sources import Page, SiteSources
from .registry import PlannedPage

NAV = [("Home", urls.HOME), ("Studies", urls.STUDIES), ("Setbacks", urls.SETBACKS)]
SETBACKS_SOURCES = ("setbacks.md", "setbacks.markdown", "setbacks.html")
# Math in a hand-written `.html` body: the delimiters PAGE_MATHJAX_CONFIG_JS typesets.
FIGURE_SCRIPT = "<!--figure-script-->"  # in base.html: where emit() puts assets/js/slider.js
FIGURE_MARKUP = re.compile(r'class="progression"|class="enlarge"|<figure class="plot[^"]*" data-x=')
HTML_MATH = re.compile(r'class="arithmatex"|\\\(|\\\[|\$\$')
TEMPLATE_GLOBALS = {
    "study_url": urls.study_url,
    "version_url": lambda run: urls.version_url(run.study, run.version),
    "compare_url": urls.compare_url,
    "setbacks_url": urls.setbacks_url,
    "anchor": urls.anchor,
}


@dataclass
class Site:
    """The inputs of one build, read once, and the helpers that render pages from them."""

    settings: Settings
    sources: SiteSources
    catalog: Catalog
    figures: Figures
    environment: Any
    warnings: list[str] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)  # output path -> owner
    pages: dict[str, PlannedPage] = field(default_factory=dict)  # URL -> planned page

    @classmethod
    def create(cls, settings: Settings, sources: SiteSources, catalog: Catalog) -> Site:
        colours: dict[str, str] = {}
        for study in catalog.studies.values():
            colours.update(analyse.version_colours([run.key for run in study.runs]))
        environment = make_environment(DEFAULT_TEMPLATES, settings.baseurl, {
            "MATHJAX_CONFIG_JS": Markup(MATHJAX_CONFIG_JS), "MATHJAX_ENTRY": MATHJAX_ENTRY,
            "MATHJAX_PRELOAD": MATHJAX_PRELOAD, **TEMPLATE_GLOBALS})
        figures = Figures(colours, FigureCache(settings.cache_dir), environment,
                          settings.smoothing)
        return cls(settings, sources, catalog, figures, environment,
                   warnings=[*sources.warnings, *catalog.warnings])

    # -- which source pages the generated kinds take over --------------------------------------

    def home_source(self) -> Page | None:
        return next((page for page in self.sources.pages if page.url == urls.HOME), None)

    def setbacks_source(self) -> Page | None:
        return next((p for p in self.sources.pages if p.source in SETBACKS_SOURCES), None)

    def writeup(self, study: str) -> Page | None:
        """site_src/studies/<study>.md (or .markdown/.html): the study's own write-up."""
        return next((page for page in self.sources.pages
                     if _writeup_study(page) == study), None)

    def is_taken(self, page: Page) -> bool:
        """Pages a generated kind renders itself (home, setbacks, study write-ups)."""
        study = _writeup_study(page)
        known = study is not None and (study in self.catalog.studies
                                       or study in self.catalog.excluded)
        return page is self.home_source() or page is self.setbacks_source() or known

    def page_study(self, page: Page) -> str | None:
        """The study whose bare version names a page may use: front matter `study:`, the
        write-up's own study, else `study:` in _config.yml."""
        value = page.meta.get("study") or _writeup_study(page) or self.settings.study
        return str(value) if value else None

    def left_out(self, page: Page) -> bool:
        """A page about a study that --study leaves out is not built (with a warning)."""
        study = self.page_study(page) if page.meta.get("study") or _writeup_study(page) \
            else None
        if study in self.catalog.excluded:
            self.warnings.append(f"{self.settings.src_dir}/{page.source}: left out of this "
                                 f"build, its study {study!r} is not selected (--study)")
            return True
        writeup = _writeup_study(page)
        if writeup is not None and writeup not in self.catalog.studies:
            self.warnings.append(f"{self.settings.src_dir}/{page.source}: left out of this "
                                 f"build, its study {writeup!r} has no runs (train it first)")
            return True
        return False

    # -- rendering -----------------------------------------------------------------------------

    def source_name(self, page: Page) -> str:
        return (self.settings.src_dir / page.source).as_posix()

    def markdown(self, body: str, source: str, first_line: int, *, study: str | None = None,
                 page: Page | None = None, directives: bool = True) -> tuple[str, bool]:
        """Author Markdown -> HTML whose root links and figure URLs carry the baseurl."""
        handler = Directives(self.figures, self.catalog, study, source,
                             self.warnings.append) if directives else None
        rendered = render_markdown(body, source=source, first_line=first_line,
                                   directive_handler=handler, **self._liquid(page))
        self.warnings.extend(rendered.warnings)
        baseurl = self.settings.baseurl
        html = prefix_root_links(rendered.html, baseurl).replace(ROOT_MARKER, baseurl)
        return html, rendered.has_math

    def _liquid(self, page: Page | None) -> dict[str, Any]:
        """`variables=` for a page's Liquid (`{{ site.title }}`); none for config text.

        site.baseurl is '' because root-relative links get the baseurl after rendering.
        """
        if page is None:
            return {}
        settings = self.settings
        return {"variables": {
            "site.baseurl": "", "site.absolute_root": settings.url + settings.baseurl,
            "site.url": settings.url, "site.title": settings.title,
            "site.description": settings.description, "page.title": page.title,
            "page.url": page.url,
        }}

    def page_body(self, page: Page) -> tuple[str, bool]:
        """A source page's body as HTML (Markdown with directives, or an HTML body)."""
        if page.is_markdown:
            return self.markdown(page.body, self.source_name(page), page.body_line,
                                 study=self.page_study(page), page=page)
        return self._html_body(page.body, self.source_name(page), page.body_line)

    def _html_body(self, body: str, source: str, first_line: int) -> tuple[str, bool]:
        """A `.html` body: its own MathJax scripts removed (the site serves MathJax); with
        math, wrapped in `.arithmatex-page`, the only element PAGE_MATHJAX_CONFIG_JS typesets."""
        body, warnings = remove_mathjax_scripts(body, source, first_line)
        self.warnings.extend(warnings)
        html = prefix_root_links(body, self.settings.baseurl)
        if not (warnings or HTML_MATH.search(html)):
            return html, False
        return Markup('<div class="arithmatex-page">\n{}</div>\n').format(Markup(html)), True

    def context(self, *, title: str, url: str, content: Any = "", has_math: bool = False,
                description: str = "", study: Study | None = None, **extra: Any
                ) -> dict[str, Any]:
        """What base.html needs, plus the page kind's own values."""
        settings = self.settings
        section = "/" if url == "/" else "/" + url.strip("/").split("/")[0] + "/"
        return {
            "site": {"title": settings.title, "description": settings.description,
                     "url": settings.url, "baseurl": settings.baseurl, "author": settings.author},
            "page": {"title": title, "url": url, "description": description},
            "nav": [{"label": label, "url": path, "current": path == section}
                    for label, path in NAV],
            "content": Markup(content),
            "content_has_h1": bool(re.search(r"<h1\b", str(content))),
            "has_math": has_math,
            "body_class": section.strip("/") or "home",
            "study": study,
            "study_nav": self.study_nav(study, url) if study else None,
            "catalog": self.catalog,
            **_page_mathjax(str(content)),
            **extra,
        }

    def study_nav(self, study: Study, url: str) -> dict[str, Any]:
        """The study's own navigation: overview, each version, compare."""
        links = [("Overview", urls.study_url(study.name))]
        links += [(run.version, urls.version_url(run.study, run.version)) for run in study.runs]
        links.append(("Compare", urls.compare_url(study.name)))
        return {"title": study.title, "url": urls.study_url(study.name),
                "links": [{"label": label, "url": link, "current": link == url}
                          for label, link in links]}

    def emit(self, template: str, context: dict[str, Any]) -> str:
        """The page, with the figures' script only where it has a slider, a grid to enlarge
        or a plot to click (known once the page is rendered)."""
        html = render(self.environment, template, context)
        script = ""
        if FIGURE_MARKUP.search(html):
            src = self.environment.globals["url"]("/assets/js/slider.js")
            script = f'<script defer src="{html_lib.escape(src)}"></script>'
        return html.replace(FIGURE_SCRIPT, script, 1)

    def description_html(self, run: Run) -> tuple[Markup, bool]:
        """A run's description: Markdown shown as text (escaped first: a config value is
        never markup), its math still typeset."""
        html, has_math = self.markdown(html_lib.escape(run.description),
                                       f"{run.path}/config.yaml", 1, directives=False)
        return Markup(html), has_math


def _writeup_study(page: Page) -> str | None:
    """'studies/abstract.md' -> 'abstract'; None for any other page."""
    path = PurePosixPath(page.source)
    if len(path.parts) == 2 and path.parts[0] == urls.STUDY_WRITEUPS:
        return path.stem
    return None


def _page_mathjax(html: str) -> dict[str, Markup]:
    """Pages wrapped by `_html_body` need the config that typesets their raw math."""
    if 'class="arithmatex-page"' not in html:
        return {}
    return {"MATHJAX_CONFIG_JS": Markup(PAGE_MATHJAX_CONFIG_JS)}
