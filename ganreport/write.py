"""Everything that touches `_site/`: output paths, copies, MathJax, .nojekyll, the swap.

A build writes into `_site.tmp-XXXX/` beside `_site/` and only renames it into place
when every page and asset is there, so an error never leaves a half-built site: the
previous `_site/` stays as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .errors import UserError

# What tex-chtml.js needs at run time, relative to MathJax's es5/ folder: the combined
# component itself, the CHTML web fonts it loads by URL, and the TeX extensions that its
# `autoload` and `\require` fetch on first use (\cancel, \boldsymbol, mathtools, ...).
# Then what its context menu loads when a reader asks for it: the accessibility components
# (explorer, collapsible math) with the speech rule engine and the MathML input they use,
# and the SVG renderer. Those are fetched only on demand (about 5.5 MB on disk, no page
# weight), but without them the menu's options would 404 on a site that uses no CDN.
MATHJAX_FILES = ("tex-chtml.js", "input/mml.js", "input/mml/entities.js", "output/svg.js",
                 "output/svg/fonts/tex.js")
MATHJAX_FOLDERS = ("output/chtml/fonts/woff-v2", "input/tex/extensions", "a11y", "sre")
MATHJAX_SITE_DIR = "assets/mathjax"


def make_temp_dir(out_dir: Path) -> Path:
    """An empty `_site.tmp-XXXX/` beside the output, on the same disk so rename is atomic."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.tmp-", dir=out_dir.parent))


def swap_in(temp_dir: Path, out_dir: Path) -> None:
    """Put the finished build in place of `out_dir`; the old one is kept until then."""
    out_dir = Path(out_dir)
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        out_dir.rename(old)
    try:
        Path(temp_dir).rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def discard(temp_dir: Path) -> None:
    shutil.rmtree(temp_dir, ignore_errors=True)


def output_file(site_dir: Path, site_path: str) -> Path:
    """`site_dir / site_path`, refusing paths that would leave the site folder."""
    relative = PurePosixPath(site_path.lstrip("/"))
    if ".." in relative.parts or relative.is_absolute():
        raise UserError(f"output path {site_path!r} leaves the site folder")
    return Path(site_dir, *relative.parts)


def write_page(site_dir: Path, output_path: str, html: str) -> Path:
    target = output_file(site_dir, output_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def copy_file(source: Path, site_dir: Path, site_path: str) -> Path:
    """Copy keeping the mtime, so unchanged images look unchanged to rsync and to tests."""
    target = output_file(site_dir, site_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def copy_tree(source_dir: Path, site_dir: Path, site_path: str) -> None:
    target = output_file(site_dir, site_path)
    shutil.copytree(source_dir, target, dirs_exist_ok=True, copy_function=shutil.copy2)


def copy_static_files(src_dir: Path, static_files: list[Path], site_dir: Path) -> None:
    """site_src's non-page files (images, CSS, CNAME, ...) at the same relative paths."""
    for relative in static_files:
        copy_file(Path(src_dir) / relative, site_dir, Path(relative).as_posix())


def mathjax_es5_dir() -> Path:
    """MathJax 3's es5/ folder from the django-static-mathjax package (pinned in pyproject)."""
    try:
        import mathjax
    except ImportError:
        raise UserError(
            "MathJax is not installed: pip install django-static-mathjax "
            "(the site serves MathJax itself, no CDN)"
        ) from None
    es5 = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise UserError(f"{es5}: tex-chtml.js not found; pip install django-static-mathjax")
    return es5


def copy_mathjax(site_dir: Path) -> None:
    """The parts of MathJax that `tex-chtml.js` uses, under /assets/mathjax/es5/, + licence."""
    es5 = mathjax_es5_dir()
    for name in MATHJAX_FILES:
        copy_file(es5 / name, site_dir, f"{MATHJAX_SITE_DIR}/es5/{name}")
    for folder in MATHJAX_FOLDERS:
        copy_tree(es5 / folder, site_dir, f"{MATHJAX_SITE_DIR}/es5/{folder}")
    licence = es5.parent / "LICENSE"
    if licence.is_file():
        copy_file(licence, site_dir, f"{MATHJAX_SITE_DIR}/LICENSE")


def write_nojekyll(site_dir: Path) -> None:
    """GitHub Pages must serve the built files as they are, not run Jekyll on them."""
    (Path(site_dir) / ".nojekyll").write_text("", encoding="utf-8")


def check_claimed(claimed: dict[str, str], site_path: str, owner: str) -> None:
    """Two things writing the same output file would silently lose one of them."""
    key = site_path.lstrip("/")
    if key in claimed and claimed[key] != owner:
        raise UserError(f"{claimed[key]} and {owner} both write _site/{key}; give one another "
                        "permalink")
    claimed[key] = owner


def remove_stale_temp_dirs(out_dir: Path) -> None:
    """Leftovers of a build that was killed (not an error: those are removed at once)."""
    out_dir = Path(out_dir)
    for pattern in (f"{out_dir.name}.tmp-*", f"{out_dir.name}.old-*"):
        for stale in out_dir.parent.glob(pattern):
            if stale.is_dir() and _older_than(stale, 3600):
                shutil.rmtree(stale, ignore_errors=True)


def _older_than(path: Path, seconds: float) -> bool:
    import time

    return time.time() - os.stat(path).st_mtime > seconds
