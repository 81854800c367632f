"""Careless or hostile use of `build` and `serve`: nothing is lost, every mistake is one line.

Each test is named after what a user did. A refusal must leave everything as it was, print
one `error: ...` line and exit with 2. The read-only cases run ganreport as `nobody` when
the tests run as root (root may write anywhere, so a chmod alone proves nothing).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import traceback
from html.parser import HTMLParser
from pathlib import Path

import pytest

import ganreport.pipeline  # noqa: F401 (imported before a test forks a child as `nobody`)
from ganreport.__main__ import main
from ganreport.write import SITE_MARKER
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_all_studies

NOBODY = 65534


@pytest.fixture(scope="module")
def runs_template(tmp_path_factory):
    """One fixture study, copied into each test's root (writing it costs more than a copy)."""
    runs = tmp_path_factory.mktemp("runs-template") / "runs"
    write_all_studies(runs, epochs=3)
    return runs


@pytest.fixture
def root(tmp_path, runs_template):
    """site_src/ and runs/ side by side, as in the project; nothing built yet."""
    write_site_src(tmp_path)
    shutil.copytree(runs_template, tmp_path / "runs")
    return tmp_path


def ganreport(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def build_args(root: Path, *extra, out=None, runs=None, src=None, cache=None) -> list:
    return ["build", "--src", src or root / "site_src", "--runs", runs or root / "runs",
            "--out", out or root / "_site", "--cache", cache or root / "cache", *extra]


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- §1: build replaces only what it made ------------------------------------------------------


def test_build_out_pointing_at_runs_refuses_and_keeps_runs(root, capsys):
    before = snapshot(root / "runs")
    code, _, err = ganreport(capsys, *build_args(root, out=root / "runs"))
    assert_one_line_error(code, err, "--out", "is the --runs folder")
    assert snapshot(root / "runs") == before


def test_build_out_pointing_at_site_src_refuses_and_keeps_it(root, capsys):
    before = snapshot(root / "site_src")
    code, _, err = ganreport(capsys, *build_args(root, out=root / "site_src"))
    assert_one_line_error(code, err, "is the --src folder")
    assert snapshot(root / "site_src") == before


def test_build_out_at_the_project_folder_refuses_because_it_holds_the_runs(root, capsys):
    before = snapshot(root)
    code, _, err = ganreport(capsys, *build_args(root, out=root))
    assert_one_line_error(code, err, "contains the --src folder")
    assert snapshot(root) == before


def test_build_out_inside_site_src_refuses(root, capsys):
    code, _, err = ganreport(capsys, *build_args(root, out=root / "site_src/site"))
    assert_one_line_error(code, err, "lies inside the --src folder")
    assert not (root / "site_src/site").exists()


def test_build_out_inside_a_run_folder_refuses(root, capsys):
    code, _, err = ganreport(capsys, *build_args(root, out=root / "runs/abstract/v1/site"))
    assert_one_line_error(code, err, "lies inside the --runs folder")
    assert not (root / "runs/abstract/v1/site").exists()


def test_build_out_through_a_symlink_to_runs_refuses(root, capsys):
    (root / "link").symlink_to(root / "runs")
    code, _, err = ganreport(capsys, *build_args(root, out=root / "link"))
    assert_one_line_error(code, err, "is the --runs folder")
    assert (root / "runs/abstract/v1/config.yaml").is_file()


def test_build_out_at_a_folder_of_my_files_refuses_and_keeps_them(root, capsys):
    mine = root / "Documents"
    mine.mkdir()
    (mine / "thesis.tex").write_text("a year of work")
    code, _, err = ganreport(capsys, *build_args(root, out=mine))
    assert_one_line_error(code, err, "ganreport did not make", SITE_MARKER)
    assert (mine / "thesis.tex").read_text() == "a year of work"
    assert sorted(p.name for p in root.iterdir()) == ["Documents", "runs", "site_src"]


def test_build_out_at_a_file_refuses_and_keeps_it(root, capsys):
    (root / "notes.txt").write_text("keep me")
    code, _, err = ganreport(capsys, *build_args(root, out=root / "notes.txt"))
    assert_one_line_error(code, err, "notes.txt: is a file")
    assert (root / "notes.txt").read_text() == "keep me"


def test_build_out_below_a_file_is_one_line(root, capsys):
    (root / "notes.txt").write_text("keep me")
    code, _, err = ganreport(capsys, *build_args(root, out=root / "notes.txt/site"))
    assert_one_line_error(code, err, "notes.txt is a file")


def test_build_out_at_a_symlink_refuses(root, capsys):
    (root / "elsewhere").mkdir()
    (root / "_site").symlink_to(root / "elsewhere")
    code, _, err = ganreport(capsys, *build_args(root))
    assert_one_line_error(code, err, "is a symbolic link")


def test_build_twice_replaces_its_own_site_and_keeps_my_other_folders(root, capsys):
    assert ganreport(capsys, *build_args(root))[0] == 0
    (root / "_site/stale.html").write_text("from an older build")
    (root / "mine").mkdir()
    assert ganreport(capsys, *build_args(root))[0] == 0
    assert (root / "_site" / SITE_MARKER).is_file() and not (root / "_site/stale.html").exists()
    assert (root / "mine").is_dir()
    assert sorted(p.name for p in root.iterdir()) == ["_site", "cache", "mine", "runs",
                                                       "site_src"]


def test_build_into_an_empty_folder_i_made_works(root, capsys):
    (root / "_site").mkdir()
    assert ganreport(capsys, *build_args(root))[0] == 0
    assert (root / "_site/index.html").is_file()


def test_build_over_a_site_built_before_markers_existed_works(root, capsys):
    old = root / "_site"
    (old / "assets/mathjax/es5").mkdir(parents=True)
    (old / ".nojekyll").write_text("")
    (old / "assets/mathjax/es5/tex-chtml.js").write_text("// old")
    assert ganreport(capsys, *build_args(root))[0] == 0
    assert (old / SITE_MARKER).is_file()


def test_build_out_at_a_site_i_made_a_git_repository_of_refuses(root, capsys):
    """The old README said: push the contents of _site/ to gh-pages; some did it in place."""
    assert ganreport(capsys, *build_args(root))[0] == 0
    git = root / "_site/.git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    code, _, err = ganreport(capsys, *build_args(root))
    assert_one_line_error(code, err, "holds a git repository")
    assert (git / "HEAD").is_file()


def test_built_site_is_readable_by_a_web_server(root, capsys):
    """0644 files and 0755 folders, not mkdtemp's 0700, whatever the sources' modes were."""
    os.chmod(root / "site_src/assets/photo.png", 0o600)
    assert ganreport(capsys, *build_args(root))[0] == 0
    site = root / "_site"
    wrong = [f"{p.relative_to(site)} {oct(stat.S_IMODE(p.stat().st_mode))}"
             for p in [site, *site.rglob("*")]
             if stat.S_IMODE(p.stat().st_mode) != (0o755 if p.is_dir() else 0o644)]
    assert not wrong, wrong


# -- §1: missing or empty runs ------------------------------------------------------------------


def test_build_with_a_mistyped_runs_folder_fails_and_keeps_the_published_site(root, capsys):
    assert ganreport(capsys, *build_args(root))[0] == 0
    before = snapshot(root / "_site")
    code, _, err = ganreport(capsys, *build_args(root, runs=root / "rusn"))
    assert_one_line_error(code, err, "--runs", "rusn: does not exist")
    assert snapshot(root / "_site") == before


def test_build_with_runs_pointing_at_a_file_is_one_line(root, capsys):
    (root / "runs.txt").write_text("")
    code, _, err = ganreport(capsys, *build_args(root, runs=root / "runs.txt"))
    assert_one_line_error(code, err, "runs.txt: is a file")


def test_build_with_an_empty_runs_folder_keeps_the_published_site(root, capsys):
    assert ganreport(capsys, *build_args(root))[0] == 0
    before = snapshot(root / "_site")
    (root / "empty").mkdir()
    code, _, err = ganreport(capsys, *build_args(root, runs=root / "empty"))
    assert_one_line_error(code, err, "no runs found", "--allow-empty")
    assert snapshot(root / "_site") == before


def test_build_with_an_empty_runs_folder_and_allow_empty_builds_a_site_without_runs(
        root, capsys):
    (root / "site_src/index.md").write_text("---\nlayout: home\n---\nNo runs yet.\n")
    (root / "empty").mkdir()
    code, out, err = ganreport(capsys, *build_args(root, "--allow-empty", runs=root / "empty"))
    assert code == 0, err
    assert "no runs found" in err and (root / "_site/studies/index.html").is_file()


# -- §3: bad paths, ports and baseurls ----------------------------------------------------------


def test_build_cache_path_that_is_a_file_is_one_line(root, capsys):
    (root / "cache.txt").write_text("")
    code, _, err = ganreport(capsys, *build_args(root, cache=root / "cache.txt"))
    assert_one_line_error(code, err, "--cache", "cache.txt: is a file")
    assert not (root / "_site").exists()


def test_build_cache_inside_site_src_refuses(root, capsys):
    code, _, err = ganreport(capsys, *build_args(root, cache=root / "site_src/cache"))
    assert_one_line_error(code, err, "--cache", "lies inside the --src folder")


def test_build_cache_inside_the_site_it_replaces_refuses(root, capsys):
    code, _, err = ganreport(capsys, *build_args(root, cache=root / "_site/cache"))
    assert_one_line_error(code, err, "--cache", "lies inside the --out folder")


@pytest.mark.parametrize("baseurl", ['/my"repo', "/a<b", "/a>b", "/my repo", "/a\tb", "/a?b"])
def test_build_with_a_baseurl_that_would_break_the_html_is_one_line(root, capsys, baseurl):
    code, _, err = ganreport(capsys, *build_args(root, "--baseurl", baseurl))
    assert_one_line_error(code, err, "--baseurl", "expected a path like /my-repo")
    assert not (root / "_site").exists()


def test_baseurl_with_a_quote_in_config_names_the_file(root, capsys):
    (root / "site_src/_config.yml").write_text("title: T\nbaseurl: '/a\"onload=\"x'\n")
    code, _, err = ganreport(capsys, *build_args(root))
    assert_one_line_error(code, err, "_config.yml: baseurl", "'\"' is not allowed")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_serve_on_a_port_out_of_range_is_one_line(root, capsys, port):
    code, _, err = ganreport(capsys, "serve", "--src", root / "site_src", "--runs",
                             root / "runs", "--out", root / "_site", "--port", port)
    assert_one_line_error(code, err, "--port", "1 to 65535")
    assert not (root / "_site").exists()


def test_serve_on_a_port_in_use_is_one_line_before_building(root, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = ganreport(capsys, "serve", "--src", root / "site_src", "--runs",
                                 root / "runs", "--out", root / "_site", "--port", port)
    assert_one_line_error(code, err, f"--port: {port}", "cannot listen")
    assert not (root / "_site").exists(), "fails before the first build"


# -- §3: read-only places (as a user who cannot write there) -------------------------------------


@pytest.fixture
def shared_root(runs_template):
    """Like `root`, in a folder another user may read (pytest's tmp_path is root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="ganreport-safety-"))
    os.chmod(folder, 0o755)
    write_site_src(folder)
    shutil.copytree(runs_template, folder / "runs")
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)
    shutil.rmtree(folder)


def as_unprivileged_user(*args) -> tuple[int, str]:
    """(exit code, stderr) of `ganreport ARGS` in a forked child that runs as `nobody` when
    we are root (the modules are imported already: the child needs no file under /root)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(read_end)
            sys.stderr = os.fdopen(write_end, "w", encoding="utf-8")  # not pytest's capture
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            code = main([str(arg) for arg in args])
        except BaseException:  # noqa: BLE001 (report anything, then leave)
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as stream:
        err = stream.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err


def _writable_by_the_user(path: Path) -> None:
    path.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def test_build_out_in_a_read_only_folder_is_one_line(shared_root):
    read_only = shared_root / "published"
    read_only.mkdir()
    os.chmod(read_only, 0o555)
    _writable_by_the_user(shared_root / "cache")
    code, err = as_unprivileged_user(*build_args(shared_root, out=read_only / "_site"))
    assert_one_line_error(code, err, "published is read-only")
    assert list(read_only.iterdir()) == []


def test_build_out_at_a_read_only_site_is_one_line_and_keeps_it(shared_root):
    site = shared_root / "w" / "_site"
    _writable_by_the_user(shared_root / "w")
    _writable_by_the_user(site)
    (site / SITE_MARKER).write_text("")
    (site / "index.html").write_text("published")
    os.chmod(site, 0o555)
    _writable_by_the_user(shared_root / "cache")
    code, err = as_unprivileged_user(*build_args(shared_root, out=site))
    assert_one_line_error(code, err, "_site: is read-only")
    assert (site / "index.html").read_text() == "published"
    assert sorted(p.name for p in (shared_root / "w").iterdir()) == ["_site"]


# -- §3 and §5: what pages may read and what they may run ------------------------------------

SECRET = "TOP-SECRET-NOT-FOR-THE-SITE"
EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
INCLUDES_PAGE = """\
---
title: Includes
permalink: /includes/
---
Before.

{% include ../../secret.txt %}

{% include_relative ../secret.txt %}

After.
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, runs_template):
    """A build whose sources try to read outside site_src and whose runs carry markup."""
    from ganreport.pipeline import build

    root = tmp_path_factory.mktemp("hostile")
    src = write_site_src(root)
    shutil.copytree(runs_template, root / "runs")
    (root / "secret.txt").write_text(SECRET)
    (src / "includes.md").write_text(INCLUDES_PAGE)
    (src / "leak.txt").symlink_to(root / "secret.txt")
    (src / "parent").symlink_to(root)
    (src / "dangling.txt").symlink_to(root / "nowhere")
    (src / "photo-link.png").symlink_to(src / "assets/photo.png")  # inside: an ordinary file
    v3 = root / "runs/abstract/v3"
    config = (v3 / "config.yaml").read_text()
    (v3 / "config.yaml").write_text(config.replace("title: Label smoothing only",
                                                   f"title: '{EVIL}'"))
    env = json.loads((v3 / "env.json").read_text())
    env.update(command=f"ganreport train {EVIL}", device_name=EVIL)
    (v3 / "env.json").write_text(json.dumps(env))
    lines: list[str] = []
    result = build(src, root / "runs", root / "_site", cache_dir=root / "cache",
                   baseurl="/repo", log=lines.append)
    return root, result


def test_symlink_in_site_src_pointing_outside_is_skipped_with_a_warning(hostile_site):
    root, result = hostile_site
    site = root / "_site"
    for name in ("leak.txt", "parent", "dangling.txt"):
        assert not (site / name).exists(), name
        assert any(f"site_src/{name}: symbolic link" in w and "not followed" in w
                   for w in result.warnings), (name, result.warnings)
    assert (site / "photo-link.png").read_bytes() == (root / "site_src/assets/photo.png")\
        .read_bytes()
    assert not [w for w in result.warnings if "photo-link" in w]


def test_no_file_outside_site_src_and_runs_reaches_the_site(hostile_site):
    root, result = hostile_site
    leaked = [p for p in (root / "_site").rglob("*")
              if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert not leaked
    assert sum("include" in w for w in result.warnings) >= 2, result.warnings


def test_directive_naming_a_path_outside_the_runs_is_an_error(root, capsys):
    index = root / "site_src/index.md"
    for directive in ("{% loss_plot ../../../secret %}", "{% samples /etc/passwd %}",
                      "{% progression .. %}"):
        index.write_text(f"---\ntitle: x\n---\n{directive}\n")
        code, _, err = ganreport(capsys, *build_args(root))
        assert_one_line_error(code, err, "index.md:4:")
        assert not (root / "_site").exists()


class _Scripts(HTMLParser):
    """Scripts, event-handler attributes and the CSP meta of one page, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.order: list[str] = []
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self.policies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]
        if tag == "meta" and (values.get("http-equiv") or "").lower() == \
                "content-security-policy":
            self.policies.append(values.get("content") or "")
            self.order.append("csp")
        elif tag in ("script", "style", "link"):
            self.order.append(tag)
            self._in_script = tag == "script" and "src" not in values
            if self._in_script:
                self.inline.append("")

    def handle_data(self, data):
        if self._in_script:
            self.inline[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_every_page_carries_the_policy_before_anything_it_governs(hostile_site):
    from ganreport import write

    root, _ = hostile_site
    pages = sorted((root / "_site").rglob("*.html"))
    assert len(pages) >= 9
    allowed = set(write.allowed_inline_scripts())
    for page in pages:
        parsed = _Scripts()
        parsed.feed(page.read_text(encoding="utf-8"))
        assert parsed.policies == [write.content_security_policy()], page
        assert parsed.order[0] == "csp", (page, parsed.order)
        assert not parsed.handlers, (page, parsed.handlers)
        assert set(parsed.inline) <= allowed, (page, set(parsed.inline) - allowed)


def test_markup_in_run_files_stays_text(hostile_site):
    root, _ = hostile_site
    version = (root / "_site/studies/abstract/v3/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in version
    assert "<script>alert" not in version and "<img src=x" not in version
    assert version.count("&lt;img src=x onerror=alert(2)&gt;") >= 3  # title, command, device
