"""Read a Jekyll-style ``site_src/`` folder: ``_config.yml``, pages and static files.

Follows Jekyll where authors of existing GitHub Pages sites rely on it:

* a file or folder whose name starts with ``_`` or ``.`` is neither a page nor a static file
  (``_config.yml``, ``_layouts/``, ``.git/`` ...), and neither is anything listed under
  ``exclude:`` in ``_config.yml`` (``include:`` brings such names back);
* ``.html`` files are pages only when they start with front matter, otherwise static;
* ``published: false`` pages are skipped;
* output paths and URLs follow Jekyll's permalink rules (see :func:`output_location`).

One deliberate difference: ``.md``/``.markdown`` files are pages *with or without* front
matter (Jekyll would copy a Markdown file without front matter as-is, which is never
what an author of this site wants).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ganreport.errors import UserError
from ganreport.frontmatter import (
    has_front_matter,
    normalize_text,
    split_front_matter,
    yaml_error_location,
)
from ganreport.markdown_render import fenced_line_mask

MARKDOWN_SUFFIXES = (".md", ".markdown")
PAGE_SUFFIXES = (*MARKDOWN_SUFFIXES, ".html")
# Jekyll's own default exclusions: Ruby tooling that is never part of a site.
DEFAULT_EXCLUDE = (
    "Gemfile",
    "Gemfile.lock",
    "gemfiles",
    "node_modules",
    "vendor/bundle",
    "vendor/cache",
    "vendor/gems",
    "vendor/ruby",
)


@dataclass(frozen=True)
class Page:
    """One page: where it came from, its front matter and body, and where it will be written."""

    source: str  # posix path relative to site_src, e.g. "notes/gan.md"
    meta: dict = field(hash=False)
    body: str
    body_line: int  # line of the file on which ``body`` starts
    title: str
    layout: str
    url: str  # site-relative, without baseurl, starts with "/"
    output_path: str  # posix path relative to _site

    @property
    def is_markdown(self) -> bool:
        """False for ``.html`` pages, whose body is already HTML."""
        return self.source.endswith(MARKDOWN_SUFFIXES)


@dataclass(frozen=True)
class SiteSources:
    """Everything read from ``site_src/``; ``static_files`` are paths relative to it."""

    config: dict
    pages: list[Page]
    static_files: list[Path]
    warnings: list[str] = field(default_factory=list)  # e.g. symbolic links skipped


def read_site_sources(src: Path | str) -> SiteSources:
    """Read ``src`` (usually ``site_src/``); errors name the file and what is expected."""
    src = Path(src)
    if not src.is_dir():
        raise UserError(f"{src}: site source folder not found; expected a folder with index.md")
    config = read_config(src / "_config.yml")
    pages: list[Page] = []
    static_files: list[Path] = []
    warnings: list[str] = []
    for relative in _site_files(src, config, warnings):
        path = src / relative
        if _is_page(path):
            page = read_page(path, relative.as_posix(), config)
            if page is not None:
                pages.append(page)
        else:
            static_files.append(relative)
    _check_unique_outputs(pages, static_files)
    return SiteSources(config=config, pages=pages, static_files=static_files, warnings=warnings)


def read_config(path: Path) -> dict:
    """``_config.yml`` as a raw dict; a missing or empty file is ``{}``."""
    if not path.is_file():
        return {}
    try:
        config = yaml.safe_load(normalize_text(_read_text(path)))
    except yaml.YAMLError as error:
        line, problem = yaml_error_location(error)
        raise UserError(f"{path}:{line}: {problem}; expected YAML key: value lines") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise UserError(f"{path}:1: expected YAML key: value lines, got a {type(config).__name__}")
    return config


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text ({error.reason}); save it as UTF-8") from None


def _site_files(src: Path, config: dict, warnings: list[str]) -> list[Path]:
    """All files under ``src`` that belong to the site, sorted, as paths relative to ``src``.

    A symbolic link that leads out of ``src`` (or nowhere) is skipped with a warning, never
    followed: a page or static file is only ever read from inside the source folder.
    """
    where = src / "_config.yml"
    exclude = [*DEFAULT_EXCLUDE, *_string_list(config, "exclude", where)]
    include = _string_list(config, "include", where)
    files: list[Path] = []
    for folder, dir_names, file_names in os.walk(src):
        relative_folder = Path(folder).relative_to(src)
        # Prune in place so that .git/, _site/ and node_modules/ are never walked.
        dir_names[:] = sorted(
            name for name in dir_names if _belongs(relative_folder / name, exclude, include)
            and _link_stays_inside(src, relative_folder / name, warnings)
        )
        files += [
            relative_folder / name
            for name in file_names
            if _belongs(relative_folder / name, exclude, include)
            and _link_stays_inside(src, relative_folder / name, warnings)
        ]
    return sorted(files)


def _link_stays_inside(src: Path, relative: Path, warnings: list[str]) -> bool:
    """True for a plain file or folder, or a symbolic link to something inside ``src``."""
    path = src / relative
    if not path.is_symlink():
        return True
    target = path.resolve()
    if not path.exists():
        problem = "points to nothing"
    elif target != src.resolve() and src.resolve() not in target.parents:
        problem = f"points outside {src} (to {target})"
    else:
        return True
    warnings.append(f"{path}: symbolic link {problem}; skipped, not followed")
    return False


def _string_list(config: dict, key: str, where: Path) -> list[str]:
    value = config.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UserError(f"{where}: {key}: expected a list of file or folder names")
    return [item.strip("/") for item in value]


def _belongs(relative: Path, exclude: list[str], include: list[str]) -> bool:
    """Jekyll's filter for one entry (its parent folders were checked already).

    ``exclude`` entries match the path from the site root; ``include`` entries match the
    path or the bare name, and are how a site keeps ``.well-known`` or ``_headers``.
    """
    path = relative.as_posix()
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in exclude):
        return False
    if relative.name.startswith(("_", ".")):
        return any(
            fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(relative.name, pattern)
            for pattern in include
        )
    return True


def _is_page(path: Path) -> bool:
    if path.suffix in MARKDOWN_SUFFIXES:
        return True
    return path.suffix == ".html" and has_front_matter(_read_text(path))


def read_page(path: Path, source: str, config: dict | None = None) -> Page | None:
    """Read one page file; None when its front matter says ``published: false``."""
    meta, body, body_line = split_front_matter(_read_text(path), str(path))
    if meta.get("published", True) is False:
        return None
    output_path, url = output_location(source, meta.get("permalink"), str(path))
    return Page(
        source=source,
        meta=meta,
        body=body,
        body_line=body_line,
        title=page_title(meta, body, source),
        layout=str(meta.get("layout") or "page"),
        url=url,
        output_path=output_path,
    )


def output_location(source: str, permalink: object, where: str) -> tuple[str, str]:
    """Return ``(output_path, url)`` for a page, following Jekyll.

    ==================  ====================  ===============
    permalink           output_path           url
    ==================  ====================  ===============
    ``/about/``         ``about/index.html``  ``/about/``
    ``/about``          ``about.html``        ``/about``
    ``/about.html``     ``about.html``        ``/about.html``
    ``/``               ``index.html``        ``/``
    (none) index.md     ``index.html``        ``/``
    (none) notes/x.md   ``notes/x.html``      ``/notes/x.html``
    ==================  ====================  ===============
    """
    if permalink is None:
        output_path = PurePosixPath(source).with_suffix(".html").as_posix()
        url = "/" + output_path
        if PurePosixPath(output_path).name == "index.html":
            url = url[: -len("index.html")]
        return output_path, url
    url = _checked_permalink(permalink, where)
    if url.endswith("/"):
        return url[1:] + "index.html", url
    if PurePosixPath(url).suffix:
        return url[1:], url
    return url[1:] + ".html", url


def _checked_permalink(permalink: object, where: str) -> str:
    expected = 'expected a path starting with "/", such as /about/ or /notes/gan.html'
    if not isinstance(permalink, str) or not permalink.startswith("/"):
        raise UserError(f"{where}: permalink: {permalink!r} is not allowed; {expected}")
    parts = permalink.split("/")
    if ".." in parts or "\\" in permalink:
        raise UserError(f"{where}: permalink: {permalink!r} leaves the site folder; {expected}")
    if ":" in permalink:
        raise UserError(
            f"{where}: permalink: {permalink!r} uses Jekyll placeholders (:name), "
            f"which this tool does not fill in; {expected}"
        )
    return re.sub(r"/{2,}", "/", permalink)


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<text>.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_HTML_HEADING = re.compile(r"<h[1-6]\b[^>]*>(?P<text>.*?)</h[1-6]\s*>", re.I | re.S)


def page_title(meta: dict, body: str, source: str) -> str:
    """Front matter ``title``, else the first heading of the body, else the file's stem."""
    if meta.get("title") not in (None, ""):
        return str(meta["title"])
    if source.endswith(".html"):
        match = _HTML_HEADING.search(body)
        heading = re.sub(r"<[^>]+>", "", match["text"]).strip() if match else None
    else:
        heading = first_markdown_heading(body)
    return heading or PurePosixPath(source).stem


def first_markdown_heading(body: str) -> str | None:
    """Text of the first ATX (``# x``) or setext (``x`` over ``===``) heading outside code."""
    lines = body.split("\n")
    fenced = fenced_line_mask(lines)
    for index, line in enumerate(lines):
        if fenced[index]:
            continue
        match = _ATX_HEADING.match(line)
        if match:
            # "# Title {#id .class}": the attribute list is not part of the title.
            return re.sub(r"\s*\{:?[#.][^}]*\}$", "", match["text"]).strip()
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        is_text = line.strip() != "" and not _SETEXT_UNDERLINE.match(line)
        if is_text and _SETEXT_UNDERLINE.match(next_line):
            return line.strip()
    return None


def _check_unique_outputs(pages: list[Page], static_files: list[Path]) -> None:
    """Two sources writing the same file would silently lose one of them."""
    claimed: dict[str, str] = {}
    sources = [(page.output_path, page.source) for page in pages]
    sources += [(path.as_posix(), path.as_posix()) for path in static_files]
    for output_path, source in sources:
        if output_path in claimed:
            raise UserError(
                f"{claimed[output_path]} and {source} both produce _site/{output_path}; "
                "expected each page to have its own permalink"
            )
        claimed[output_path] = source
