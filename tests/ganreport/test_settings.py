"""Settings: defaults < _config.yml < command line; baseurl normalised once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganreport.errors import UserError
from ganreport.settings import load_settings, normalise_baseurl


@pytest.mark.parametrize("given, expected", [
    (None, ""), ("", ""), ("/", ""), ("repo", "/repo"), ("/repo/", "/repo"), ("/a/b/", "/a/b"),
])
def test_normalise_baseurl(given, expected):
    assert normalise_baseurl(given) == expected


def test_full_url_is_not_a_baseurl():
    with pytest.raises(UserError, match="baseurl"):
        normalise_baseurl("https://x.github.io/repo")


def _load(config, **kwargs):
    return load_settings(config, src_dir=Path("s"), runs_dir=Path("r"), out_dir=Path("o"),
                         **kwargs)


def test_command_line_overrides_config():
    settings = _load({"title": "T", "baseurl": "/cfg", "study": "abstract", "x": 1},
                     baseurl="/cli")
    assert (settings.title, settings.baseurl, settings.study) == ("T", "/cli", "abstract")
    assert settings.extra == {"x": 1}
    assert _load({"baseurl": "/cfg"}).baseurl == "/cfg"
    assert _load({"baseurl": "/cfg"}, baseurl="").baseurl == ""


def test_defaults_and_cache_dir():
    settings = _load({})
    assert settings.title and settings.study is None and settings.baseurl == ""
    assert settings.cache_dir == Path("o").resolve().parent / ".cache" / "site"
    with pytest.raises(UserError, match="smoothing"):
        _load({"smoothing": 2})
