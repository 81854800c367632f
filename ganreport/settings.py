"""Site settings: defaults, then `site_src/_config.yml`, then command-line overrides.

Merged once into a frozen dataclass and passed down, so no stage reads the
config file or the command line itself (Pelican's habit, without its mutable dict).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError

DEFAULTS: dict[str, Any] = {
    "title": "GAN study",
    "description": "",
    "url": "",
    "baseurl": "",
    "author": "",
    "study": None,
    "smoothing": 0.9,
}


@dataclass(frozen=True)
class Settings:
    """Everything the build needs to know besides the sources and the runs."""

    src_dir: Path
    runs_dir: Path
    out_dir: Path
    cache_dir: Path
    title: str
    description: str
    url: str
    baseurl: str
    author: str
    study: str | None
    smoothing: float
    extra: dict[str, Any] = field(default_factory=dict)


# Characters that would end an HTML attribute, open a tag, or stop being a URL path: the
# baseurl is spliced into already-escaped HTML (root links, figure URLs), so it must be inert.
BASEURL_FORBIDDEN = re.compile(r"[\"'<>`\\?#\s\x00-\x1f\x7f]")


def normalise_baseurl(value: object, where: str = "baseurl") -> str:
    """'' or '/x' (no trailing slash), so `baseurl + '/path/'` is always right.

    `where` names the source in errors: "--baseurl" or "site_src/_config.yml: baseurl".
    """
    if value is None:
        return ""
    text = str(value).strip()
    if text in ("", "/"):
        return ""
    if "://" in text or text.startswith("//"):
        raise UserError(
            f"{where}: {text!r}: expected a path like /my-repo, not a full URL "
            "(put the host in `url` in _config.yml)"
        )
    bad = BASEURL_FORBIDDEN.search(text)
    if bad:
        raise UserError(
            f"{where}: {text!r}: expected a path like /my-repo; {bad.group()!r} is not allowed "
            "(no quotes, <, >, backslashes, ?, # or whitespace)"
        )
    return "/" + text.strip("/")


def _smoothing(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1.0
    if not 0.0 <= number < 1.0:
        raise UserError(f"_config.yml: smoothing must be a number in [0, 1), got {value!r}")
    return number


def load_settings(
    site_config: dict[str, Any],
    *,
    src_dir: Path,
    runs_dir: Path,
    out_dir: Path,
    baseurl: str | None = None,
    cache_dir: Path | None = None,
) -> Settings:
    """Merge defaults, `_config.yml` (already parsed) and overrides (None = not given)."""
    merged = {**DEFAULTS, **(site_config or {})}
    baseurl_source = f"{Path(src_dir) / '_config.yml'}: baseurl"
    if baseurl is not None:
        merged["baseurl"], baseurl_source = baseurl, "--baseurl"
    known = set(DEFAULTS)
    study = merged["study"]
    return Settings(
        src_dir=Path(src_dir),
        runs_dir=Path(runs_dir),
        out_dir=Path(out_dir),
        cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(Path(out_dir)),
        title=str(merged["title"] or DEFAULTS["title"]),
        description=str(merged["description"] or ""),
        url=str(merged["url"] or "").rstrip("/"),
        baseurl=normalise_baseurl(merged["baseurl"], baseurl_source),
        author=str(merged["author"] or ""),
        study=str(study) if study not in (None, "") else None,
        smoothing=_smoothing(merged["smoothing"]),
        extra={k: v for k, v in merged.items() if k not in known},
    )


def default_cache_dir(out_dir: Path) -> Path:
    """`.cache/site/` beside the output folder: survives the swap of `_site/`, and `make clean`
    removes it with `.cache`."""
    return Path(out_dir).resolve().parent / ".cache" / "site"
