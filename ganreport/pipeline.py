"""build(): site_src + runs -> _site/, in stages that pass plain data.

read (site sources, settings, runs) -> analyse (diffs, facts, colours) -> plot (cached
figures) -> render (Markdown + Jinja2) -> write (temp folder, then an atomic swap).

Generated pages: `/` (site_src/index.md), `/versions/`, `/versions/<v>/`, `/compare/`,
`/setbacks/` (with site_src/setbacks.md when present); other site_src pages at their
permalinks.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup
from tqdm import tqdm

from . import analyse, write
from .errors import UserError
from .figures import ROOT_MARKER, Figures
from .markdown_render import MATHJAX_CONFIG_JS, remove_mathjax_scripts, render_markdown
from .plot import FigureCache
from .read_runs import Run, Study, choose_study, read_study
from .render import (
    DEFAULT_TEMPLATES,
    PAGE_MATHJAX_CONFIG_JS,
    make_environment,
    prefix_root_links,
    render,
    resolve_layout,
    version_path,
)
from .settings import Settings, load_settings
from .site_sources import Page, SiteSources, read_site_sources

NAV = [("Home", "/"), ("Versions", "/versions/"), ("Compare", "/compare/"),
       ("Setbacks", "/setbacks/")]
SETBACKS_SOURCES = ("setbacks.md", "setbacks.markdown", "setbacks.html")
# Math in a hand-written `.html` body: the delimiters PAGE_MATHJAX_CONFIG_JS typesets.
HTML_MATH = re.compile(r'class="arithmatex"|\\\(|\\\[|\$\$')


@dataclass
class BuildResult:
    """What a build did: site-relative URLs of the pages written, warnings, figure counts."""

    pages: list[str]
    warnings: list[str]
    seconds: float
    redrawn: int
    reused: int


@dataclass
class _Build:
    """State of one build, passed to the page writers below (never global)."""

    settings: Settings
    sources: SiteSources
    study: Study
    site_dir: Path
    figures: Figures
    environment: Any
    colours: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)


def build(
    src_dir: Path,
    runs_dir: Path,
    out_dir: Path,
    *,
    baseurl: str | None = None,
    cache_dir: Path | None = None,
    log: Callable[[str], None] = print,
    allow_empty: bool = False,
) -> BuildResult:
    """Build the site into `out_dir`; on any error the previous `out_dir` is left intact."""
    started = time.perf_counter()
    sources = read_site_sources(Path(src_dir))
    settings = load_settings(sources.config, src_dir=Path(src_dir), runs_dir=Path(runs_dir),
                             out_dir=Path(out_dir), baseurl=baseurl, cache_dir=cache_dir)
    write.check_build_paths(settings.src_dir, settings.runs_dir, settings.out_dir,
                            settings.cache_dir, allow_empty=allow_empty)
    study = read_study(settings.runs_dir, choose_study(settings.runs_dir, settings.study))
    write.remove_stale_temp_dirs(settings.out_dir)
    site_dir = write.make_temp_dir(settings.out_dir)
    try:
        state = _start(settings, sources, study, site_dir)
        _write_everything(state)
        write.swap_in(site_dir, settings.out_dir)
    except BaseException:
        write.discard(site_dir)
        raise
    for warning in state.warnings:
        log(f"warning: {warning}")
    cache = state.figures.cache
    seconds = time.perf_counter() - started
    log(f"built {len(state.pages)} pages into {settings.out_dir} in {seconds:.1f} s "
        f"(figures: {cache.redrawn} drawn, {cache.reused} reused from {settings.cache_dir})")
    return BuildResult(pages=state.pages, warnings=state.warnings, seconds=seconds,
                       redrawn=cache.redrawn, reused=cache.reused)


def _start(settings: Settings, sources: SiteSources, study: Study, site_dir: Path) -> _Build:
    colours = analyse.version_colours([run.version for run in study.runs])
    environment = make_environment(DEFAULT_TEMPLATES, settings.baseurl, {
        "MATHJAX_CONFIG_JS": Markup(MATHJAX_CONFIG_JS),
        "version_path": version_path,
    })
    figures = Figures(study, colours, FigureCache(settings.cache_dir), environment,
                      settings.smoothing, settings.baseurl)
    return _Build(settings=settings, sources=sources, study=study, site_dir=site_dir,
                  figures=figures, environment=environment, colours=colours,
                  warnings=[*sources.warnings, *study.warnings])


def _write_everything(state: _Build) -> None:
    """Pages first (they decide which figures and images exist), then every file they use."""
    home = next((p for p in state.sources.pages if p.url == "/"), None)
    setbacks = next((p for p in state.sources.pages if p.source in SETBACKS_SOURCES), None)
    for page in state.sources.pages:
        if page is not home and page is not setbacks:
            _source_page(state, page)
    if home is not None:
        _source_page(state, home, default_layout="home")
    else:
        state.warnings.append(f"{state.settings.src_dir}/index.md not found: the home page "
                              "lists the versions only")
        _generated_home(state)
    _versions_index(state)
    for run in tqdm(state.study.runs, desc="version pages", unit="page", leave=False,
                    disable=None):
        _version_page(state, run)
    _compare_page(state)
    _setbacks_page(state, setbacks)
    static = {Path(relative).as_posix() for relative in state.sources.static_files}
    if "404.html" not in state.claimed and "404.html" not in static:
        _not_found_page(state)
    _copy_files(state)


# -- context shared by every page ----------------------------------------------------------


def _context(state: _Build, *, title: str, url: str, content: Any = "", has_math: bool = False,
             description: str = "", **extra: Any) -> dict[str, Any]:
    settings = state.settings
    section = "/" if url == "/" else "/" + url.strip("/").split("/")[0] + "/"
    text = str(content) + "".join(str(v) for v in extra.values() if isinstance(v, Markup))
    return {
        "site": {"title": settings.title, "description": settings.description,
                 "url": settings.url, "baseurl": settings.baseurl, "author": settings.author},
        "page": {"title": title, "url": url, "description": description},
        "nav": [{"label": label, "url": path, "current": path == section} for label, path in NAV],
        "content": Markup(content),
        "content_has_h1": bool(re.search(r"<h1\b", str(content))),
        "has_math": has_math,
        "has_slider": 'class="progression"' in text,
        "body_class": section.strip("/") or "home",
        "study_name": state.study.name,
        "study_title": _study_title(state.study),
        **extra,
    }


def _study_title(study: Study) -> str:
    for run in study.runs:
        if run.config.get("study_title"):
            return str(run.config["study_title"])
    return study.name


def _emit(state: _Build, output_path: str, template: str, context: dict[str, Any],
          owner: str) -> None:
    write.check_claimed(state.claimed, output_path, owner)
    write.write_page(state.site_dir, output_path, render(state.environment, template, context),
                     state.warnings)
    state.pages.append(context["page"]["url"])


# -- pages -----------------------------------------------------------------------------------


def _markdown(state: _Build, body: str, source: str, first_line: int,
              directives: bool = True, page: Page | None = None) -> tuple[str, bool]:
    """Author Markdown -> HTML whose root links and figure URLs carry the baseurl."""
    rendered = render_markdown(body, source=source, first_line=first_line,
                               directive_handler=state.figures if directives else None,
                               **_liquid_variables(state, page))
    state.warnings.extend(rendered.warnings)
    baseurl = state.settings.baseurl
    return prefix_root_links(rendered.html, baseurl).replace(ROOT_MARKER, baseurl), \
        rendered.has_math


def _liquid_variables(state: _Build, page: Page | None) -> dict[str, Any]:
    """`variables=` for a Markdown page's Liquid (`{{ site.title }}`); none for config text.

    site.baseurl is '' because root-relative links get the baseurl after rendering; a second
    prefix would double it.
    """
    if page is None:
        return {}
    settings = state.settings
    return {"variables": {
        "site.baseurl": "", "site.absolute_root": settings.url + settings.baseurl,
        "site.url": settings.url, "site.title": settings.title,
        "site.description": settings.description, "page.title": page.title,
        "page.url": page.url,
    }}


def _page_body(state: _Build, page: Page) -> tuple[str, bool]:
    source = (state.settings.src_dir / page.source).as_posix()
    if page.is_markdown:
        return _markdown(state, page.body, source, page.body_line, page=page)
    return _html_body(state, page.body, source, page.body_line)


def _html_body(state: _Build, body: str, source: str, first_line: int) -> tuple[str, bool]:
    """A `.html` body: its own MathJax scripts removed (the site serves MathJax); with math,
    wrapped in `.arithmatex-page`, the only element PAGE_MATHJAX_CONFIG_JS typesets."""
    body, warnings = remove_mathjax_scripts(body, source, first_line)
    state.warnings.extend(warnings)
    html = prefix_root_links(body, state.settings.baseurl)
    if not (warnings or HTML_MATH.search(html)):
        return html, False
    return Markup('<div class="arithmatex-page">\n{}</div>\n').format(Markup(html)), True


def _source_page(state: _Build, page: Page, default_layout: str | None = None) -> None:
    """A site_src page at its permalink, in its layout (unknown layout -> default + warning)."""
    html, has_math = _page_body(state, page)
    layout = page.meta.get("layout") or default_layout or page.layout
    template = resolve_layout(str(layout), page.source, state.warnings)
    context = _context(state, title=page.title, url=page.url, content=html, has_math=has_math,
                       description=str(page.meta.get("description") or ""),
                       **_mathjax_config(html))
    _emit(state, page.output_path, template, context, page.source)


def _mathjax_config(html: str) -> dict[str, Markup]:
    """Pages wrapped by `_html_body` need the config that typesets their raw math."""
    if 'class="arithmatex-page"' not in html:
        return {}
    return {"MATHJAX_CONFIG_JS": Markup(PAGE_MATHJAX_CONFIG_JS)}


def _generated_home(state: _Build) -> None:
    content = state.figures.version_list_html(state.figures.page_url)
    context = _context(state, title=state.settings.title, url="/", content=content)
    _emit(state, "index.html", "home.html", context, "home page")


def _versions_index(state: _Build) -> None:
    context = _context(state, title="Versions", url="/versions/",
                       version_list=state.figures.version_list_html(state.figures.page_url))
    _emit(state, "versions/index.html", "versions.html", context, "versions index")


def _version_page(state: _Build, run: Run) -> None:
    """What changed, what happened, how long it took, how to reproduce it."""
    figures, url = state.figures, state.figures.page_url
    runs = state.study.runs
    index = runs.index(run)
    parent = state.study.by_version().get(run.parent) if run.parent else None
    # Escaped first: a config value is text, never markup (MathJax still reads the TeX).
    description, has_math = _markdown(state, html_lib.escape(run.description),
                                      f"{run.path}/config.yaml", 1, directives=False)
    changes = analyse.config_diff(parent.config, run.config) if parent else []
    has_metrics = bool(run.metrics)
    context = _context(
        state, title=f"{run.version}: {run.title}", url=version_path(run.version),
        has_math=has_math, description=run.description,
        run=run, colour=state.colours[run.version], position=index + 1, version_count=len(runs),
        description_html=Markup(description), parent=parent, parent_name=run.parent,
        changes=[analyse.Change(c.key, analyse.format_value(c.before),
                                analyse.format_value(c.after)) for c in changes],
        profile_note=analyse.profile_note(run.config),
        loss_plot=figures.loss_plot(run) if has_metrics else None,
        d_plot=figures.d_plot(run) if has_metrics else None,
        progression=figures.progression_html(run, None, url),
        final_image=figures.grid_image(run, run.sample_epochs[-1], url) if run.samples else None,
        animation=figures.animation(run, url),
        facts=analyse.run_facts(run),
        command=str(run.env.get("command") or "(not recorded)"),
        config_yaml=yaml.safe_dump(run.config, sort_keys=False, allow_unicode=True),
        previous=runs[index - 1] if index > 0 else None,
        next=runs[index + 1] if index + 1 < len(runs) else None,
    )
    # The file path uses the folder name as it is; only the URL is percent-encoded.
    _emit(state, f"versions/{run.version}/index.html", "version.html", context,
          f"version {run.version}")


def _compare_page(state: _Build) -> None:
    figures, url, runs = state.figures, state.figures.page_url, state.study.runs
    context = _context(
        state, title="Comparison", url="/compare/", runs=runs,
        compare_plot=figures.compare_plot(runs) if runs else None,
        compare_table=figures.compare_table_html(runs, url) if runs else Markup(""),
        grids=figures.grids_side_by_side(runs, url) if runs else Markup(""),
    )
    _emit(state, "compare/index.html", "compare.html", context, "comparison page")


def _setbacks_page(state: _Build, page: Page | None) -> None:
    """The author's setbacks text, then a section per version with what the numbers show."""
    html, has_math, title = "", False, "Setbacks"
    if page is not None:
        html, has_math = _page_body(state, page)
        title = page.title
    findings = [{"run": run, "colour": state.colours[run.version],
                 "notes": analyse.findings(run, state.settings.smoothing)}
                for run in state.study.runs]
    context = _context(state, title=title, url="/setbacks/", content=html, has_math=has_math,
                       findings=findings, **_mathjax_config(html))
    owner = page.source if page is not None else "setbacks page"
    _emit(state, "setbacks/index.html", "setbacks.html", context, owner)


def _not_found_page(state: _Build) -> None:
    """GitHub Pages serves /404.html for unknown URLs; its links carry the baseurl too."""
    url = state.figures.page_url
    content = Markup(
        "<p>There is no page at this address. Try the <a href=\"{home}\">home page</a>, "
        "the <a href=\"{versions}\">list of versions</a> or the "
        "<a href=\"{compare}\">comparison</a>.</p>"
    ).format(home=url("/"), versions=url("/versions/"), compare=url("/compare/"))
    context = _context(state, title="Page not found", url="/404.html", content=content)
    _emit(state, "404.html", "page.html", context, "not-found page")


def _copy_files(state: _Build) -> None:
    """The site's own CSS/JS, MathJax, figures and images, then site_src's static files, then
    .nojekyll. Static files come last so a user's copy of a theme asset (assets/css/site.css)
    wins on purpose; one that would replace any other generated file is an error."""
    site_dir = state.site_dir
    write.copy_tree(DEFAULT_TEMPLATES / "assets", site_dir, "assets")
    write.copy_mathjax(site_dir)
    for site_path, source in sorted(state.figures.assets.items()):
        write.copy_file(source, site_dir, site_path)
    for relative in state.sources.static_files:
        _check_static_file(state, Path(relative).as_posix())
    write.copy_static_files(state.settings.src_dir, state.sources.static_files, site_dir)
    write.write_nojekyll(site_dir)


def _check_static_file(state: _Build, site_path: str) -> None:
    """A static file may replace a theme asset, never a page, figure or MathJax file."""
    source = f"{state.settings.src_dir}/{site_path}"
    if site_path in state.claimed:
        raise UserError(f"{source} would overwrite _site/{site_path}, written by "
                        f"{state.claimed[site_path]}; rename or remove the file")
    theme_asset = (DEFAULT_TEMPLATES / site_path).is_file()
    if (state.site_dir / site_path).exists() and not theme_asset:
        raise UserError(f"{source} would overwrite the generated _site/{site_path}; "
                        "rename or remove the file")
