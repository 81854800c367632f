"""urls: one rule for every page URL and its output file, runs keyed by study and version."""

from __future__ import annotations

import pytest

from ganreport import urls


def test_page_urls_are_keyed_by_study_and_version():
    assert urls.study_url("abstract") == "/studies/abstract/"
    assert urls.version_url("abstract", "v1") == "/studies/abstract/v1/"
    assert urls.compare_url("critic") == "/studies/critic/compare/"
    assert urls.setbacks_url() == "/setbacks/"
    assert urls.setbacks_url("a", "v1") == "/setbacks/#a--v1"
    assert urls.setbacks_url("a") == "/setbacks/#study-a"


def test_names_are_percent_encoded_in_urls_and_kept_in_paths():
    url = urls.version_url("my study", "v<1>")
    assert url == "/studies/my%20study/v%3C1%3E/"
    assert urls.output_path(url) == "studies/my study/v<1>/index.html"
    assert urls.site_path_url(urls.run_asset("a b", "v1", "x.webp")) == \
        "/assets/runs/a%20b/v1/x.webp"


@pytest.mark.parametrize("url, path", [
    ("/", "index.html"),
    ("/studies/", "studies/index.html"),
    ("/404.html", "404.html"),
    ("/notes", "notes.html"),
    ("/setbacks/#x", "setbacks/index.html"),
])
def test_output_path_follows_the_url(url, path):
    assert urls.output_path(url) == path


def test_figure_names_carry_the_runs_and_stay_short():
    assert urls.figure_name("loss", ["abstract/v1"]) == "loss-abstract--v1"
    keys = [f"a-long-study-name/v{index}" for index in range(40)]
    name = urls.figure_name("compare", keys)
    assert len(name) <= urls.NAME_LIMIT and name.startswith("compare-a-long-study-name--v0")
    assert name != urls.figure_name("compare", keys[:-1]), "shortened names stay distinct"
