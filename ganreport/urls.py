"""Every URL and output path of the site, in one place.

A run is `study/version` everywhere. URLs are site-relative (no baseurl; templates add it
with `url()`), percent-encoded; output paths are relative to `_site/` and use the names
as they are. `output_path(url)` is the one rule from a page URL to its file, so the two
can never disagree.

    /                                   home: site_src/index.md, else the studies index
    /studies/                           one card per study
    /studies/<study>/                   study page (site_src/studies/<study>.md if present)
    /studies/<study>/<version>/         version page
    /studies/<study>/compare/           compare page of the study
    /setbacks/                          every study's setbacks, grouped by study
    /404.html                           GitHub Pages' not-found page
    /assets/runs/<study>/<version>/...  sample grids (WebP), real grid, animation
    /assets/plots/<name>-<hash>.svg     plots
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from urllib.parse import quote, unquote

HOME = "/"
STUDIES = "/studies/"
SETBACKS = "/setbacks/"
NOT_FOUND = "/404.html"
STUDY_WRITEUPS = "studies"  # site_src/studies/<study>.md is that study's write-up
COMPARE = "compare"
RUN_ASSETS = "assets/runs"
PLOT_ASSETS = "assets/plots"
NAME_LIMIT = 80  # characters of a figure name before it is shortened with a hash


def _segment(name: str) -> str:
    return quote(str(name), safe="")


def study_url(study: str) -> str:
    return f"{STUDIES}{_segment(study)}/"


def version_url(study: str, version: str) -> str:
    return f"{STUDIES}{_segment(study)}/{_segment(version)}/"


def compare_url(study: str) -> str:
    return f"{STUDIES}{_segment(study)}/{COMPARE}/"


def setbacks_url(study: str | None = None, version: str | None = None) -> str:
    """The setbacks page, or a study's / a run's section on it."""
    if study is None:
        return SETBACKS
    return f"{SETBACKS}#{_segment(anchor(study, version))}"


def anchor(study: str, version: str | None = None) -> str:
    """An element id for a study (or a run) on a page that lists several."""
    return f"{study}--{version}" if version is not None else f"study-{study}"


def output_path(url: str) -> str:
    """The file under _site/ that serves a page URL: '/a/' -> 'a/index.html', '/b.html' -> same."""
    path = unquote(url.split("#")[0]).lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path if PurePosixPath(path).suffix else path + ".html"


def site_path_url(site_path: str) -> str:
    """'assets/runs/a/v1/x.webp' -> '/assets/runs/a/v1/x.webp', percent-encoded, no baseurl."""
    return "/" + quote(site_path.lstrip("/"))


def run_asset(study: str, version: str, filename: str) -> str:
    """Site path of a file made from a run folder (its grids, its animation)."""
    return f"{RUN_ASSETS}/{study}/{version}/{filename}"


def plot_asset(filename: str) -> str:
    return f"{PLOT_ASSETS}/{filename}"


def figure_name(kind: str, run_keys: list[str]) -> str:
    """Cache and file name stem of a figure of these runs: 'loss-abstract--v1'.

    Long lists of runs (a comparison of many versions) are shortened with a hash, so a
    file name stays well under file system limits; the cache key has the full data anyway.
    """
    name = "-".join([kind, *(key.replace("/", "--") for key in run_keys)])
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha256("\n".join(run_keys).encode()).hexdigest()[:10]
    return f"{name[:NAME_LIMIT - 11]}-{digest}"
