"""Output side effects: atomic swap, MathJax copy, output paths."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from ganreport import write
from ganreport.errors import UserError
from ganreport.mathjax_js import MATHJAX_ENTRY, MATHJAX_ON_DEMAND, MATHJAX_PRELOAD


def test_swap_in_replaces_the_old_site(tmp_path):
    out = tmp_path / "_site"
    out.mkdir()
    (out / "old.html").write_text("old")
    (out / write.SITE_MARKER).write_text("")
    temp = write.make_temp_dir(out)
    assert temp.parent == tmp_path and temp.name.startswith("_site.tmp-")
    (temp / "new.html").write_text("new")
    write.swap_in(temp, out)
    assert sorted(p.name for p in out.iterdir()) == [write.SITE_MARKER, "new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_output_paths_stay_inside_the_site(tmp_path):
    assert write.output_file(tmp_path, "/a/b.html") == tmp_path / "a" / "b.html"
    with pytest.raises(UserError):
        write.output_file(tmp_path, "../escape.html")


def test_copy_mathjax_copies_what_the_pages_load(tmp_path):
    """startup.js, every component it preloads and the menu; no combined bundle (the site
    loads components, and a second copy of them would only weigh on disk)."""
    write.copy_mathjax(tmp_path)
    es5 = tmp_path / "assets/mathjax/es5"
    for name in (MATHJAX_ENTRY, *MATHJAX_PRELOAD, *MATHJAX_ON_DEMAND):
        assert (es5 / name).stat().st_size > 5_000, name
    assert list((es5 / "output/chtml/fonts/woff-v2").glob("*.woff"))
    for bundle in ("tex-chtml.js", "tex-svg.js", "mml-chtml.js"):
        assert not (es5 / bundle).exists(), bundle


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
    with pytest.raises(UserError, match="a.md and b.md both write /a/index.html of the site"):
        write.check_claimed(claimed, "a/index.html", "b.md")


# -- what a build may replace -----------------------------------------------------------------


def test_make_temp_dir_is_marked_and_world_readable(tmp_path):
    temp = write.make_temp_dir(tmp_path / "_site")
    assert (temp / write.SITE_MARKER).is_file()
    assert stat.S_IMODE(temp.stat().st_mode) == 0o755


def test_swap_in_normalises_modes(tmp_path):
    temp = write.make_temp_dir(tmp_path / "_site")
    (temp / "private").mkdir(mode=0o700)
    (temp / "private/page.html").write_text("x")
    os.chmod(temp / "private/page.html", 0o600)
    (temp / "tool.sh").write_text("x")
    os.chmod(temp / "tool.sh", 0o755)
    os.chmod(temp, 0o700)
    write.swap_in(temp, tmp_path / "_site")
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [tmp_path / "_site", *(tmp_path / "_site").rglob("*")]}
    assert modes == {"_site": 0o755, "_site/private": 0o755, "_site/private/page.html": 0o644,
                     "_site/tool.sh": 0o644, f"_site/{write.SITE_MARKER}": 0o644}


def test_swap_in_never_replaces_a_folder_it_did_not_make(tmp_path):
    out = tmp_path / "_site"
    out.mkdir()
    (out / "thesis.tex").write_text("a year of work")
    temp = write.make_temp_dir(out)
    with pytest.raises(UserError, match="not a folder ganreport made"):
        write.swap_in(temp, out)
    assert (out / "thesis.tex").read_text() == "a year of work"


@pytest.mark.parametrize("contents, replaceable", [
    ({}, True),
    ({write.SITE_MARKER: ""}, True),
    ({".nojekyll": "", "assets/mathjax/es5/tex-chtml.js": "x"}, True),  # built before markers
    ({".nojekyll": ""}, False),
    ({write.SITE_MARKER: "", ".git/HEAD": "ref: refs/heads/gh-pages"}, False),
    ({"notes.txt": "mine"}, False),
])
def test_may_replace(tmp_path, contents, replaceable):
    for name, text in contents.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert write.may_replace(tmp_path, write.SITE_MARKER) is replaceable


def test_stale_leftovers_are_removed_but_look_alikes_are_kept(tmp_path):
    out = tmp_path / "_site"
    killed = write.make_temp_dir(out)  # a build killed an hour ago
    (killed / "index.html").write_text("half")
    look_alike = tmp_path / "_site.tmp-mine"  # the user's own folder with a similar name
    look_alike.mkdir()
    (look_alike / "data.csv").write_text("1,2")
    for folder in (killed, look_alike):
        os.utime(folder, (time.time() - 7200, time.time() - 7200))
    write.remove_stale_temp_dirs(out)
    assert not killed.exists()
    assert (look_alike / "data.csv").read_text() == "1,2"


def test_check_replaceable_names_the_overlap(tmp_path):
    runs = tmp_path / "runs"
    (runs / "abstract").mkdir(parents=True)
    for out, relation in [(runs, "is the --runs folder"),
                          (runs / "abstract" / "site", "lies inside the --runs folder"),
                          (tmp_path, "contains the --runs folder")]:
        with pytest.raises(UserError, match=relation):
            write.check_replaceable(out, "--out", write.SITE_MARKER, {"--runs": runs})


def test_check_replaceable_resolves_symlinks(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (tmp_path / "alias").symlink_to(runs)
    with pytest.raises(UserError, match="is the --runs folder"):
        write.check_replaceable(tmp_path / "alias", "--out", write.SITE_MARKER, {"--runs": runs})
    with pytest.raises(UserError, match="lies inside the --runs folder"):
        write.check_replaceable(tmp_path / "alias/site", "--out", write.SITE_MARKER,
                                {"--runs": runs})


def test_make_temp_dir_where_nothing_can_be_written_is_a_user_error():
    with pytest.raises(UserError, match="cannot write beside it"):
        write.make_temp_dir(Path("/proc/ganreport-site"))


# -- Content-Security-Policy ------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>t</title>
<script>document.documentElement.classList.add('js');</script>
</head><body><p>x</p></body></html>
"""


def test_csp_meta_comes_first_in_head_after_the_charset(tmp_path):
    path = write.write_page(tmp_path, "a/index.html", PAGE)
    text = path.read_text()
    lines = text.split("\n")
    assert lines[3] == '<meta charset="utf-8">'
    assert lines[4].startswith('<meta http-equiv="Content-Security-Policy" content="')
    assert text.count("Content-Security-Policy") == 1
    assert write.with_csp(text) == text, "a page that has a policy keeps it as it is"


def test_csp_allows_the_templates_inline_scripts_by_hash():
    policy = write.content_security_policy()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    digest = hashlib.sha256(write.JS_CLASS_SCRIPT.encode()).digest()
    assert f"'sha256-{base64.b64encode(digest).decode()}'" in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"


def test_inline_scripts_the_policy_blocks_are_warned_about(tmp_path):
    page = PAGE.replace("<p>x</p>", '<script>alert("hi")</script><script src="/a.js"></script>'
                        '<script type="application/json">{"a": 1}</script>')
    warnings: list[str] = []
    write.write_page(tmp_path, "p/index.html", page, warnings)
    assert len(warnings) == 1
    assert warnings[0].startswith("_site/p/index.html: inline <script> 'alert(\"hi\")' is blocked")
    write.write_page(tmp_path, "q/index.html", PAGE, warnings)
    assert len(warnings) == 1, "the template's own inline script is allowed"
