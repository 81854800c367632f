"""build(): site_src + runs -> _site/, in two phases: read everything, then write.

    read     site_src (pages, settings) and every runs/<study>/<version>/   -> plain data
    plan     each registered page kind (ganreport/pages/) says which pages it makes
    render   every page to HTML in memory (figures drawn into the cache on the way)
    check    internal links against the pages and files that will exist, static files,
             --strict
    write    a temporary folder, then an atomic swap with _site/

The stages are siblings called from here; none calls the next. URL and output-path rules
live in urls.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import links, write
from .errors import UserError
from .pages import PlannedPage, Site, plan_all
from .read_runs import Catalog, read_catalog
from .render import DEFAULT_TEMPLATES
from .run_status import Now
from .settings import Settings, load_settings
from .site_sources import read_site_sources

THEME_ASSETS = DEFAULT_TEMPLATES / "assets"


@dataclass
class BuildResult:
    """What a build did: site-relative URLs of the pages written, warnings, figure counts."""

    pages: list[str]
    warnings: list[str]
    seconds: float
    redrawn: int
    reused: int
    damaged: list[str]  # "study/version: file: problem" for every damaged run file


def build(
    src_dir: Path,
    runs_dir: Path,
    out_dir: Path,
    *,
    baseurl: str | None = None,
    cache_dir: Path | None = None,
    studies: Sequence[str] | None = None,
    strict: bool = False,
    log: Callable[[str], None] = print,
    now: Now | None = None,
    allow_empty: bool = False,
) -> BuildResult:
    """Build the site into `out_dir`; on any error the previous `out_dir` is left intact.

    `studies` limits the build to those studies (`--study`); `strict` makes a damaged run
    an error instead of a warning.
    """
    started = time.perf_counter()
    sources = read_site_sources(Path(src_dir))
    settings = load_settings(sources.config, src_dir=Path(src_dir), runs_dir=Path(runs_dir),
                             out_dir=Path(out_dir), baseurl=baseurl, cache_dir=cache_dir)
    write.check_build_paths(settings.src_dir, settings.runs_dir, settings.out_dir,
                            settings.cache_dir, allow_empty=allow_empty)
    catalog = read_catalog(settings.runs_dir, studies, now)
    _check_default_study(settings, catalog)
    site = Site.create(settings, sources, catalog)
    if not catalog.studies:
        site.warnings.append(f"no runs found under {settings.runs_dir}/")
    planned = plan_all(site)
    rendered = [(page, page.render()) for page in planned]
    _check(site, rendered, strict)
    _write(site, rendered)
    for warning in site.warnings:
        log(f"warning: {warning}")
    cache = site.figures.cache
    seconds = time.perf_counter() - started
    studies = f"{len(catalog.studies)} {'study' if len(catalog.studies) == 1 else 'studies'}"
    log(f"built {len(planned)} pages of {studies} into {settings.out_dir} in {seconds:.1f} s "
        f"(figures: {cache.redrawn} drawn, {cache.reused} reused from {settings.cache_dir})")
    return BuildResult(pages=[page.url for page in planned], warnings=site.warnings,
                       seconds=seconds, redrawn=cache.redrawn, reused=cache.reused,
                       damaged=catalog.damage)


def _check_default_study(settings: Settings, catalog: Catalog) -> None:
    """`study:` in _config.yml (the study of pages without their own) must exist."""
    name = settings.study
    if name and name not in catalog.studies and name not in catalog.excluded:
        found = ", ".join([*catalog.studies, *catalog.excluded]) or "none; train one: make train"
        raise UserError(f"{settings.src_dir}/_config.yml: study: {name!r} has no runs under "
                        f"{settings.runs_dir}/ (studies found: {found})")


def _check(site: Site, rendered: list[tuple[PlannedPage, str]], strict: bool) -> None:
    """Everything that can fail, before the first file is written."""
    static = [path.as_posix() for path in site.sources.static_files]
    for site_path in static:
        _check_static_file(site, site_path)
    existing = {*site.claimed, *site.figures.assets, *static, *_theme_assets()}
    links.check([(page.owner, page.url, html) for page, html in rendered], existing,
                site.settings.baseurl, site.catalog.excluded, site.warnings)
    damage = site.catalog.damage
    if strict and damage:
        more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
        raise UserError(f"--strict: damaged run file: {damage[0]}{more}")


def _theme_assets() -> list[str]:
    return [f"assets/{path.relative_to(THEME_ASSETS).as_posix()}"
            for path in THEME_ASSETS.rglob("*") if path.is_file()]


def _check_static_file(site: Site, site_path: str) -> None:
    """A static file may replace a theme asset, never a page, figure or MathJax file."""
    source = f"{site.settings.src_dir}/{site_path}"
    if site_path in site.claimed:
        raise UserError(f"{source} would overwrite _site/{site_path}, written by "
                        f"{site.claimed[site_path]}; rename or remove the file")
    if site_path in site.figures.assets or site_path.startswith(write.MATHJAX_SITE_DIR + "/"):
        raise UserError(f"{source} would overwrite the generated _site/{site_path}; "
                        "rename or remove the file")


def _write(site: Site, rendered: list[tuple[PlannedPage, str]]) -> None:
    """Pages, the theme's CSS/JS, MathJax, figures, site_src's static files (last, so a copy
    of a theme asset replaces it on purpose), .nojekyll; then the swap."""
    settings = site.settings
    write.remove_stale_temp_dirs(settings.out_dir)
    site_dir = write.make_temp_dir(settings.out_dir)
    try:
        for page, html in rendered:
            write.write_page(site_dir, page.output_path, html, site.warnings)
        write.copy_tree(THEME_ASSETS, site_dir, "assets")
        write.copy_mathjax(site_dir)
        for site_path, source in sorted(site.figures.assets.items()):
            write.copy_file(source, site_dir, site_path)
        write.copy_static_files(settings.src_dir, site.sources.static_files, site_dir)
        write.write_nojekyll(site_dir)
        write.swap_in(site_dir, settings.out_dir)
    except BaseException:
        write.discard(site_dir)
        raise

