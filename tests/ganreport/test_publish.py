"""`ganreport publish` against a local bare repository standing in for GitHub.

The project is a clone of the bare repository, with site_src committed and runs present
(ignored, as in the real project). Publishing must commit exactly `_site/` to gh-pages,
name the source commit, leave the user's checkout alone, refuse a gh-pages it did not
write, and push only when asked.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ganreport.__main__ import main
from ganreport.write import SITE_MARKER
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_all_studies


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def runs_template(tmp_path_factory):
    runs = tmp_path_factory.mktemp("publish-runs") / "runs"
    write_all_studies(runs, epochs=3)
    return runs


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("publish-cache")


@pytest.fixture
def project(tmp_path, runs_template, monkeypatch):
    """(bare remote, project clone) with site_src committed and pushed; cwd = the project."""
    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "Test Author")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "author@example.org")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(tmp_path, "clone", "-q", str(bare), "project")
    project = tmp_path / "project"
    write_site_src(project)
    (project / ".gitignore").write_text("runs/\n_site/\n.cache/\n")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "Write-up")
    git(project, "push", "-q", "origin", "main")
    shutil.copytree(runs_template, project / "runs")
    monkeypatch.chdir(project)
    return bare, project


def publish(cache: Path, *extra: str) -> int:
    return main(["publish", "--cache", str(cache), *extra])


def test_publish_commits_the_site_and_pushes_only_when_asked(project, cache, capsys):
    bare, project = project
    head, status = git(project, "rev-parse", "HEAD"), git(project, "status", "--porcelain")
    assert publish(cache, "--baseurl", "/project") == 0
    tip = git(project, "rev-parse", "gh-pages")
    published = git(project, "ls-tree", "-r", "--name-only", "gh-pages").split("\n")
    built = sorted(p.relative_to(project / "_site").as_posix()
                   for p in (project / "_site").rglob("*") if p.is_file())
    assert sorted(published) == [name for name in built if name != SITE_MARKER]
    assert ".nojekyll" in published and "studies/abstract/v1/index.html" in published
    assert git(project, "show", "gh-pages:index.html") == \
        (project / "_site/index.html").read_text().strip()
    home = git(project, "show", "gh-pages:index.html")
    assert 'href="/project/studies/abstract/compare/"' in home
    message = git(project, "log", "-1", "--format=%B", "gh-pages")
    assert message.startswith(f"Publish site from {head[:12]} (Write-up)")
    assert f"Source-commit: {head}" in message and message.endswith("Published-by: ganreport")
    # The checkout is as it was, no worktree is left, nothing was pushed.
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(project, "status", "--porcelain") == status
    assert len(git(project, "worktree", "list").split("\n")) == 1
    assert git(bare, "branch", "--list", "gh-pages") == ""
    assert "not pushed" in capsys.readouterr().out

    # Nothing changed: no empty commit. Then --push makes the remote's gh-pages ours.
    assert publish(cache, "--baseurl", "/project", "--push") == 0
    assert git(project, "rev-parse", "gh-pages") == tip
    assert git(bare, "rev-parse", "gh-pages") == tip
    assert "unchanged" in capsys.readouterr().out


def test_publish_after_a_change_adds_a_commit_on_top(project, cache):
    _, project = project
    assert publish(cache) == 0
    first = git(project, "rev-parse", "gh-pages")
    about = project / "site_src/about.md"
    about.write_text(about.read_text() + "\nA new paragraph.\n")
    git(project, "commit", "-q", "-am", "More about")
    assert publish(cache) == 0
    assert git(project, "rev-parse", "gh-pages^") == first
    assert "A new paragraph." in git(project, "show", "gh-pages:about/index.html")
    assert "(More about)" in git(project, "log", "-1", "--format=%s", "gh-pages")


def test_publish_refuses_a_gh_pages_it_did_not_write_unless_forced(project, cache, capsys):
    _, project = project
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=project, check=True,
                          input="<h1>my hand-made site</h1>\n", capture_output=True,
                          text=True).stdout.strip()
    tree = subprocess.run(["git", "mktree"], cwd=project, check=True, capture_output=True,
                          input=f"100644 blob {blob}\tindex.html\n", text=True).stdout.strip()
    foreign = git(project, "commit-tree", tree, "-m", "My own gh-pages")
    git(project, "update-ref", "refs/heads/gh-pages", foreign)

    assert publish(cache) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --branch gh-pages:") and err.count("\n") == 1
    assert "Published-by: ganreport" in err and "--force" in err
    assert git(project, "rev-parse", "gh-pages") == foreign
    assert not (project / "_site").exists(), "refused before building"

    assert publish(cache, "--force") == 0
    assert git(project, "rev-parse", "gh-pages^") == foreign, "its history is kept"
    assert publish(cache) == 0, "the tip is ours now"


def test_publish_from_a_fresh_clone_continues_the_remote_history(project, cache, tmp_path,
                                                                  monkeypatch):
    bare, project = project
    assert publish(cache, "--push") == 0
    remote_tip = git(bare, "rev-parse", "gh-pages")
    git(tmp_path, "clone", "-q", str(bare), "laptop")
    laptop = tmp_path / "laptop"
    shutil.copytree(project / "runs", laptop / "runs")
    (laptop / "site_src/about.md").write_text(
        "---\ntitle: About\npermalink: /about/\n---\nFrom the laptop.\n")
    git(laptop, "commit", "-q", "-am", "Laptop edit")
    monkeypatch.chdir(laptop)
    assert git(laptop, "branch", "--list", "gh-pages") == ""  # only origin/gh-pages
    assert publish(cache, "--push") == 0
    assert git(bare, "rev-parse", "gh-pages^") == remote_tip  # a fast-forward, not a new root
    assert "From the laptop." in git(bare, "show", "gh-pages:about/index.html")


def test_publish_outside_a_git_repository_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert main(["publish"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: git rev-parse:") and err.count("\n") == 1
