"""Everything that touches `_site/`: output paths, copies, MathJax, .nojekyll, the swap.

A build writes into `_site.tmp-XXXX/` beside `_site/` and only renames it into place
when every page and asset is there, so an error never leaves a half-built site: the
previous `_site/` stays as it was.

It only ever replaces a folder it made: every build carries a marker file
(`.ganreport-site`), and `check_build_paths` refuses, before the build writes anything, an
output folder that lacks it and is not empty, a file, or a path that is, holds or lies
inside the sources or the runs. Built files end up 0644 and folders 0755, whatever mkdtemp
did, and every page gets the site's Content-Security-Policy as it is written.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path, PurePosixPath

from .errors import UserError
from .mathjax_js import (
    MATHJAX_CONFIG_JS,
    MATHJAX_ENTRY,
    MATHJAX_ON_DEMAND,
    MATHJAX_PRELOAD,
    PAGE_MATHJAX_CONFIG_JS,
)
from .runformat import CONFIG

SITE_MARKER = ".ganreport-site"
SITE_MARKER_TEXT = ("Written by `ganreport build`: the next build replaces this folder as a "
                    "whole.\nRemove this file to stop ganreport from ever replacing it.\n")
FILE_MODE, FOLDER_MODE = 0o644, 0o755
# A site built before markers existed (ganreport <= 0.1): replaceable like a marked one.
LEGACY_SITE_FILES = (".nojekyll", "assets/mathjax/es5/tex-chtml.js")

# What a page with math loads (mathjax_js: startup.js and the components it preloads), the
# CHTML web fonts they fetch by URL, and the TeX extensions that `autoload` and `\require`
# fetch on first use (\cancel, \boldsymbol, mathtools, ...). Then what the menu, loaded at
# a reader's first right-click on a formula, loads when asked: the accessibility components
# (explorer, collapsible math) with the speech rule engine and the MathML input they use,
# and the SVG renderer. Those are fetched only on demand (about 6 MB on disk, no page
# weight), but without them the menu's options would 404 on a site that uses no CDN.
MATHJAX_FILES = (MATHJAX_ENTRY, *MATHJAX_PRELOAD, *MATHJAX_ON_DEMAND, "input/mml.js",
                 "input/mml/entities.js", "output/svg.js", "output/svg/fonts/tex.js")
MATHJAX_FOLDERS = ("output/chtml/fonts/woff-v2", "input/tex/extensions", "a11y", "sre")
MATHJAX_SITE_DIR = "assets/mathjax"


# -- what a build may replace ---------------------------------------------------------------


def check_build_paths(src_dir: Path, runs_dir: Path, out_dir: Path, cache_dir: Path, *,
                      allow_empty: bool = False) -> None:
    """Refuse, before the build writes anything, one that could destroy what ganreport
    did not make, or that could only fail later with a traceback."""
    check_runs_folder(runs_dir, allow_empty=allow_empty)
    protected = {"--src": src_dir, "--runs": runs_dir}
    check_replaceable(out_dir, "--out", SITE_MARKER, protected)
    check_writable_folder(cache_dir, "--cache", {**protected, "--out": out_dir})


def check_runs_folder(runs_dir: Path, *, allow_empty: bool = False) -> None:
    """A mistyped --runs must not replace a published site with an empty one."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        what = "is a file" if runs_dir.exists() else "does not exist"
        raise UserError(f"--runs {runs_dir}: {what}; expected the folder of run folders "
                        "(runs/<study>/<version>/), e.g. --runs runs; train first: make train")
    if not allow_empty and not any(runs_dir.glob(f"*/*/{CONFIG}")):
        raise UserError(f"--runs {runs_dir}: no runs found (no <study>/<version>/{CONFIG}); "
                        "nothing was changed. Train first (make train), or pass "
                        "--allow-empty to build a site without runs")


def check_replaceable(path: Path, option: str, marker: str,
                      protected: dict[str, Path]) -> None:
    """`path` may be created or replaced as a whole: it is new, empty, or carries `marker`,
    and it neither is, holds nor lies inside a `protected` path (symlinks resolved)."""
    path = Path(path)
    _check_overlap(path, option, protected)
    if path.is_symlink():
        raise UserError(f"{option} {path}: is a symbolic link (to {os.readlink(path)}); "
                        "expected a real folder path, e.g. the link's target")
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path}: is a file; expected a folder ganreport may "
                        "create and replace (nothing was changed)")
    if (path / ".git").exists():
        raise UserError(f"{option} {path}: holds a git repository (.git); ganreport never "
                        "replaces one: expected another folder (to publish: ganreport publish)")
    if path.is_dir() and not may_replace(path, marker):
        raise UserError(f"{option} {path}: a folder that ganreport did not make (no {marker} "
                        "inside) and not empty; expected a new or empty folder, or one it "
                        "made before (nothing was changed)")
    _check_can_write(path.absolute().parent, option, path)  # the swap renames beside it
    if path.is_dir():
        _check_can_write(path, option, path)  # and empties the old one


def may_replace(folder: Path, marker: str) -> bool:
    """Empty, marked by ganreport, or (for sites) built before markers existed; never a
    folder that holds a git repository (someone's hand-made gh-pages checkout)."""
    folder = Path(folder)
    if (folder / ".git").exists():
        return False
    if (folder / marker).is_file() or not any(folder.iterdir()):
        return True
    return marker == SITE_MARKER and all((folder / name).is_file() for name in LEGACY_SITE_FILES)


def check_writable_folder(path: Path, option: str, protected: dict[str, Path]) -> None:
    """`path` is (or can become) a folder this user may write: no file on the way to it."""
    _check_overlap(Path(path), option, protected)
    _check_can_write(Path(path), option, Path(path))


def _check_can_write(path: Path, option: str, shown: Path) -> None:
    """The nearest existing folder at or above `path` is one this user may write."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == shown else f"{existing} is a file"
        raise UserError(f"{option} {shown}: {where}; expected a folder path")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "is read-only" if existing == shown else f"{existing} is read-only"
        raise UserError(f"{option} {shown}: {where}; expected a place you may write "
                        "(chmod u+w it, or choose another path)")


def _check_overlap(path: Path, option: str, protected: dict[str, Path]) -> None:
    resolved = Path(path).resolve()
    for name, other in protected.items():
        other_resolved = Path(other).resolve()
        if resolved == other_resolved:
            relation = f"is the {name} folder"
        elif resolved in other_resolved.parents:
            relation = f"contains the {name} folder {other}"
        elif other_resolved in resolved.parents:
            relation = f"lies inside the {name} folder {other}"
        else:
            continue
        raise UserError(f"{option} {path}: {relation}; expected a separate folder "
                        "(nothing was changed)")


# -- the temporary folder and the swap -------------------------------------------------------


def make_temp_dir(out_dir: Path, marker: str = SITE_MARKER,
                  marker_text: str = SITE_MARKER_TEXT) -> Path:
    """An empty `_site.tmp-XXXX/` beside the output, on the same disk so rename is atomic,
    marked as ganreport's from the start (so a killed build's leftovers can be removed)."""
    out_dir = Path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.tmp-", dir=out_dir.parent))
        os.chmod(temp, FOLDER_MODE)  # mkdtemp's 0700 would become the published site's mode
        (temp / marker).write_text(marker_text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"{out_dir}: cannot write beside it ({error.strerror or error}); "
                        "expected a folder you may write") from None
    return temp


def swap_in(temp_dir: Path, out_dir: Path, marker: str = SITE_MARKER) -> None:
    """Put the finished build in place of `out_dir`; the old one is kept until then.

    Checked again here, at the last moment: a folder ganreport did not make is never moved.
    """
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()) or (
            out_dir.is_dir() and not may_replace(out_dir, marker)):
        raise UserError(f"{out_dir}: not a folder ganreport made (no {marker}); not replaced")
    normalise_modes(temp_dir)
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


def normalise_modes(folder: Path) -> None:
    """Files 0644, folders 0755: what a web server (or a gh-pages checkout) needs to read."""
    os.chmod(folder, FOLDER_MODE)
    for parent, dirs, files in os.walk(folder):
        for name, mode in [*((d, FOLDER_MODE) for d in dirs), *((f, FILE_MODE) for f in files)]:
            path = os.path.join(parent, name)
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
                os.chmod(path, mode)


def discard(temp_dir: Path) -> None:
    shutil.rmtree(temp_dir, ignore_errors=True)


def output_file(site_dir: Path, site_path: str) -> Path:
    """`site_dir / site_path`, refusing paths that would leave the site folder."""
    relative = PurePosixPath(site_path.lstrip("/"))
    if ".." in relative.parts or relative.is_absolute():
        raise UserError(f"output path {site_path!r} leaves the site folder")
    return Path(site_dir, *relative.parts)


def write_page(site_dir: Path, output_path: str, html: str,
               warnings: list[str] | None = None) -> Path:
    """Write one page, with the site's Content-Security-Policy in its <head>."""
    target = output_file(site_dir, output_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if warnings is not None:
        warnings.extend(f"_site/{output_path.lstrip('/')}: {problem}"
                        for problem in blocked_inline_scripts(html))
    target.write_text(with_csp(html), encoding="utf-8")
    return target


# -- Content-Security-Policy -----------------------------------------------------------------
# Only the site itself: scripts, styles, images, fonts and fetches from its own origin. The
# templates' three inline scripts (the `js` class, the two MathJax configurations) are allowed
# by hash, nothing else inline. Styles allow 'unsafe-inline' because MathJax's CHTML output
# writes its CSS into <style> elements at run time (no nonce on a static site), and the
# templates colour versions through style="--version-colour: ..." attributes.
JS_CLASS_SCRIPT = "document.documentElement.classList.add('js');"
CSP_META_NAME = "Content-Security-Policy"
_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S)
_HEAD = re.compile(r"<head\b[^>]*>(?:\s*<meta\s+charset=[^>]*>)?", re.I)


def allowed_inline_scripts() -> tuple[str, ...]:
    return (JS_CLASS_SCRIPT, MATHJAX_CONFIG_JS, PAGE_MATHJAX_CONFIG_JS)


def _script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy() -> str:
    hashes = " ".join(_script_hash(body) for body in allowed_inline_scripts())
    return ("default-src 'self'; "
            f"script-src 'self' {hashes}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self'; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'")


def with_csp(html: str) -> str:
    """`html` with the CSP meta tag first in <head> (after <meta charset>); a page that has
    no <head> or already has a policy is left as it is."""
    head = _HEAD.search(html)
    if head is None or re.search(rf"http-equiv=[\"']?{CSP_META_NAME}", html, re.I):
        return html
    meta = f'\n<meta http-equiv="{CSP_META_NAME}" content="{content_security_policy()}">'
    return html[: head.end()] + meta + html[head.end():]


def blocked_inline_scripts(html: str) -> list[str]:
    """What the policy will block in this page: inline scripts other than the templates'."""
    allowed = set(allowed_inline_scripts())
    problems = []
    for match in _INLINE_SCRIPT.finditer(html):
        if re.search(r"\bsrc\s*=", match["attrs"], re.I) or not match["body"].strip():
            continue
        if re.search(r"\btype\s*=\s*[\"']?(?!text/javascript|module)[\w/+-]", match["attrs"],
                     re.I):
            continue  # data blocks (application/json, text/x-template) are not run
        if match["body"] not in allowed:
            snippet = " ".join(match["body"].split())[:60]
            problems.append(f"inline <script> {snippet!r} is blocked by the site's "
                            "Content-Security-Policy; move it into a .js file in site_src "
                            "and load it with <script src=...>")
    return problems


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
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise UserError(f"{es5}: {MATHJAX_ENTRY} not found; pip install django-static-mathjax")
    return es5


def copy_mathjax(site_dir: Path) -> None:
    """The parts of MathJax the pages load (now or on demand), under /assets/mathjax/es5/,
    with its licence."""
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
        raise UserError(f"{claimed[key]} and {owner} both write /{key} of the site; give one "
                        "another permalink")
    claimed[key] = owner


def remove_stale_temp_dirs(out_dir: Path, marker: str = SITE_MARKER) -> None:
    """Leftovers of a build that was killed (not an error: those are removed at once); only
    folders that carry the marker (or are empty): a look-alike name is not enough."""
    out_dir = Path(out_dir)
    for pattern in (f"{out_dir.name}.tmp-*", f"{out_dir.name}.old-*"):
        for stale in out_dir.parent.glob(pattern):
            if (stale.is_dir() and not stale.is_symlink() and _older_than(stale, 3600)
                    and ((stale / marker).is_file() or not any(stale.iterdir()))):
                shutil.rmtree(stale, ignore_errors=True)


def _older_than(path: Path, seconds: float) -> bool:
    import time

    return time.time() - os.stat(path).st_mtime > seconds
