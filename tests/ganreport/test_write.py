"""Output side effects: atomic swap, MathJax copy, output paths."""

from __future__ import annotations

import sys

import pytest

from ganreport import write
from ganreport.errors import UserError


def test_swap_in_replaces_the_old_site(tmp_path):
    out = tmp_path / "_site"
    out.mkdir()
    (out / "old.html").write_text("old")
    temp = write.make_temp_dir(out)
    assert temp.parent == tmp_path and temp.name.startswith("_site.tmp-")
    (temp / "new.html").write_text("new")
    write.swap_in(temp, out)
    assert [p.name for p in out.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_output_paths_stay_inside_the_site(tmp_path):
    assert write.output_file(tmp_path, "/a/b.html") == tmp_path / "a" / "b.html"
    with pytest.raises(UserError):
        write.output_file(tmp_path, "../escape.html")


def test_copy_mathjax_copies_what_tex_chtml_needs(tmp_path):
    write.copy_mathjax(tmp_path)
    es5 = tmp_path / "assets/mathjax/es5"
    assert (es5 / "tex-chtml.js").stat().st_size > 500_000
    assert list((es5 / "output/chtml/fonts/woff-v2").glob("*.woff"))
    assert not (es5 / "tex-svg.js").exists() and not (es5 / "mml-chtml.js").exists()


def test_copy_mathjax_copies_what_the_context_menu_loads(tmp_path):
    """Explorer, collapsible math and the SVG renderer, offered by MathJax's menu, load offline."""
    write.copy_mathjax(tmp_path)
    es5 = tmp_path / "assets/mathjax/es5"
    for component in ("a11y/explorer", "a11y/complexity", "a11y/semantic-enrich", "a11y/sre",
                      "input/mml", "output/svg", "output/svg/fonts/tex"):
        assert (es5 / f"{component}.js").is_file(), component
    assert (es5 / "sre/mathmaps/en.json").is_file()


def test_missing_mathjax_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mathjax", None)
    with pytest.raises(UserError, match="pip install django-static-mathjax"):
        write.mathjax_es5_dir()


def test_two_writers_of_one_file_are_an_error():
    claimed = {}
    write.check_claimed(claimed, "/a/index.html", "a.md")
    with pytest.raises(UserError, match="a.md and b.md both write _site/a/index.html"):
        write.check_claimed(claimed, "a/index.html", "b.md")
