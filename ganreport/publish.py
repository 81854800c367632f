"""`ganreport publish`: build the site and commit it to the `gh-pages` branch; push on request.

The site is staged in a temporary `git worktree` (detached, outside the project), so the
user's checkout, index and HEAD are never touched. The new commit's parent is the branch's
previous tip: history is only ever added to, never rewritten, and the push is never forced.
Every commit carries the trailer `Published-by: ganreport`; a branch whose tip lacks it
was written by someone else (a hand-made gh-pages, another tool), and is left alone
unless `--force` says to publish on top of it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .write import SITE_MARKER

PUBLISHED_BY = "Published-by"
PUBLISHED_BY_VALUE = "ganreport"


@dataclass(frozen=True)
class PublishResult:
    """The branch, its new tip (or the unchanged one) and whether it was pushed."""

    branch: str
    commit: str
    changed: bool
    pushed: bool


def publish(src: Path, runs: Path, out: Path, *, baseurl: str | None = None,
            cache_dir: Path | None = None, allow_empty: bool = False,
            branch: str = "gh-pages", remote: str = "origin", push: bool = False,
            force: bool = False, repo: Path | None = None,
            log: Callable[[str], None] = print) -> PublishResult:
    """Build `out` with the configured baseurl, commit it to `branch`, push if asked."""
    from .pipeline import build  # lazily: the git checks below fail fast without it
    from .serve import site_baseurl

    root = Path(_git(Path(repo or Path.cwd()), "rev-parse", "--show-toplevel"))
    _check_branch_name(root, branch)
    source = _source_commit(root)
    start = _branch_start(root, branch, remote, force)
    prefix = site_baseurl(Path(src), baseurl)
    _warn_about_baseurl(root, remote, prefix, log)
    build(src, runs, out, baseurl=baseurl, cache_dir=cache_dir, log=log, allow_empty=allow_empty)
    message = _message(source, prefix)
    local_tip = _ref(root, f"refs/heads/{branch}")
    commit, changed = _commit_site(root, Path(out), branch, start, local_tip, message)
    what = "committed" if changed else "unchanged, already"
    log(f"{branch}: {what} {commit[:12]} (site from {source['short']}"
        f"{', with uncommitted changes' if source['dirty'] else ''})")
    if push:
        _git(root, "push", remote, f"refs/heads/{branch}:refs/heads/{branch}")
        log(f"pushed {branch} to {remote}")
    else:
        log(f"not pushed; to publish: git push {remote} {branch} (or ganreport publish --push)")
    return PublishResult(branch=branch, commit=commit, changed=changed, pushed=push)


# -- git ------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git; a failure is one line naming the command and git's own last word."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise UserError("git: not found; expected git on PATH to publish") from None
    if check and done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        said = lines[-1] if lines else f"exit status {done.returncode}"
        if "identity" in done.stderr or "user.email" in done.stderr:
            said += " (set git config user.name and user.email)"
        raise UserError(f"git {args[0]}: {said}")
    return done.stdout.strip() if done.returncode == 0 else ""


def _check_branch_name(root: Path, branch: str) -> None:
    if _git(root, "check-ref-format", "--branch", branch, check=False) == "":
        raise UserError(f"--branch: {branch!r}: expected a valid branch name, e.g. gh-pages")
    for line in _git(root, "worktree", "list", "--porcelain").splitlines():
        if line == f"branch refs/heads/{branch}":
            raise UserError(f"--branch {branch}: checked out in a worktree of {root}; switch "
                            "it to another branch first (publish never changes a checkout)")


def _source_commit(root: Path) -> dict:
    sha = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if not sha:
        raise UserError(f"{root}: no commit yet; commit the project first, so the published "
                        "site names the commit it was built from")
    return {"sha": sha, "short": sha[:12],
            "subject": _git(root, "log", "-1", "--format=%s", sha),
            "dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no"))}


def _branch_start(root: Path, branch: str, remote: str, force: bool) -> str | None:
    """The commit to publish on top of (local branch, else the remote's), None for a new
    branch; refuses a tip that ganreport did not write unless `force`."""
    start = _ref(root, f"refs/heads/{branch}") or _ref(root, f"refs/remotes/{remote}/{branch}")
    if start is None or force:
        return start
    trailer = f"%(trailers:key={PUBLISHED_BY},valueonly,separator=%x2C)"
    values = _git(root, "log", "-1", f"--format={trailer}", start).split(",")
    if PUBLISHED_BY_VALUE not in (value.strip() for value in values):
        subject = _git(root, "log", "-1", "--format=%s", start)
        raise UserError(
            f"--branch {branch}: its last commit {start[:12]} ({subject!r}) was not written by "
            f"ganreport publish (no '{PUBLISHED_BY}: {PUBLISHED_BY_VALUE}' trailer); nothing "
            "was changed. Pass --force to publish on top of it (its history is kept)"
        )
    return start


def _ref(root: Path, ref: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False) or None


def _message(source: dict, prefix: str) -> str:
    dirty = " with uncommitted changes" if source["dirty"] else ""
    return (f"Publish site from {source['short']} ({source['subject']})\n\n"
            f"Built by `ganreport publish` from commit {source['sha']}{dirty},\n"
            f"with baseurl {prefix or '(none)'}.\n\n"
            f"Source-commit: {source['sha']}{' (dirty)' if dirty else ''}\n"
            f"{PUBLISHED_BY}: {PUBLISHED_BY_VALUE}\n")


def _commit_site(root: Path, site: Path, branch: str, start: str | None,
                 local_tip: str | None, message: str) -> tuple[str, bool]:
    """Stage `site` in a temporary worktree, commit it on top of `start`, move `branch`
    (only if it still points at `local_tip`, so a concurrent change is never lost)."""
    temp = Path(tempfile.mkdtemp(prefix="ganreport-publish-"))
    worktree = temp / "site"
    _git(root, "worktree", "add", "--detach", "--no-checkout", str(worktree), start or "HEAD")
    try:
        _git(worktree, "read-tree", "--empty")
        shutil.copytree(site, worktree, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(SITE_MARKER))
        _git(worktree, "add", "--all", "--force", ".")
        tree = _git(worktree, "write-tree")
        if start and tree == _git(root, "rev-parse", f"{start}^{{tree}}"):
            if start != local_tip:  # the remote's tip: start the local branch there
                _git(root, "update-ref", f"refs/heads/{branch}", start, local_tip or "0" * 40)
            return start, False
        parents = ["-p", start] if start else []
        commit = _git(worktree, "commit-tree", tree, *parents, "-m", message)
        # Compare-and-swap: fails if the branch moved since `start` was read.
        _git(root, "update-ref", "-m", "ganreport publish", f"refs/heads/{branch}", commit,
             local_tip or "0" * 40)
        return commit, True
    finally:
        _git(root, "worktree", "remove", "--force", str(worktree), check=False)
        _git(root, "worktree", "prune", check=False)
        shutil.rmtree(temp, ignore_errors=True)


def _warn_about_baseurl(root: Path, remote: str, prefix: str, log: Callable[[str], None]) -> None:
    """A GitHub project site lives under /REPO; an empty baseurl there breaks every link."""
    url = _git(root, "remote", "get-url", remote, check=False)
    match = re.search(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$", url)
    if not match or prefix:
        return
    owner, name = match.groups()
    if name.lower() != f"{owner.lower()}.github.io":
        log(f"warning: baseurl is empty, but {remote} is the project site "
            f"https://{owner}.github.io/{name}/: pass --baseurl /{name} or set baseurl in "
            "_config.yml")
