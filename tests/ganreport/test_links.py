"""Link check of the built site served under its baseurl, and `ganreport.serve` itself.

The crawl (conftest.py) starts at the home page and follows every href, src, srcset,
slider frame and CSS url(); these tests then judge what it found.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from ganreport.errors import UserError
from ganreport.serve import Rebuilder, serving, site_baseurl
from tests.ganreport.conftest import (
    BASEURL,
    REPO,
    SITE_SRC,
    Crawl,
    fetch,
    references,
)
from tests.run_fixtures import STUDIES, write_study

EXPECTED_PAGES = ["/", "/studies/", "/setbacks/",
                  *(f"/studies/{study}/" for study in STUDIES),
                  *(f"/studies/{study}/compare/" for study in STUDIES),
                  *(f"/studies/{study}/{version}/" for study, (_, _, versions) in STUDIES.items()
                    for version in versions)]
MATHJAX = "/assets/mathjax/es5/startup.js"


def _describe(links) -> str:
    return "\n".join(f"  {link.page} [{link.where}] {link.raw!r} -> {link.url}" for link in links)


def _path(url: str) -> str:
    return urlsplit(url).path


# --------------------------------------------------------------------------- the crawl


def test_crawl_reaches_every_page(site_crawl, site_url):
    pages = {_path(url) for url in site_crawl.pages}
    missing = [page for page in EXPECTED_PAGES if BASEURL + page not in pages]
    assert not missing, f"not reachable by links from {site_url}: {missing}; found {sorted(pages)}"


def test_every_built_page_is_linked(site_crawl, built_site):
    """No orphans: each page the build reports is reachable from the home page."""
    _, baseurl, result = built_site
    assert result.pages, "build() reported no pages"
    reached = {_path(url) for url in site_crawl.pages}
    orphans = []
    for page in result.pages:
        path = "/" + str(page).lstrip("/")
        if path.endswith("index.html"):
            path = path[: -len("index.html")]
        if not path.startswith(baseurl + "/"):
            path = baseurl + path
        if path.endswith(".html") and path.endswith("/404.html"):
            continue  # GitHub Pages' not-found page is not linked from anywhere
        if path not in reached:
            orphans.append(page)
    assert not orphans, f"pages built but not linked from anywhere: {orphans}"


def test_no_broken_links_or_missing_assets(site_crawl):
    broken = [
        link
        for link in site_crawl.links
        if site_crawl.is_internal(link.url) and site_crawl.status.get(link.url) != 200
    ]
    statuses = {link.url: site_crawl.status.get(link.url) for link in broken}
    assert not broken, f"broken internal references (status {statuses}):\n{_describe(broken)}"


def test_internal_urls_start_with_baseurl(site_crawl):
    outside = [
        link
        for link in site_crawl.links
        if site_crawl.is_internal(link.url) and not _path(link.url).startswith(BASEURL + "/")
    ]
    assert not outside, f"internal references outside {BASEURL}/:\n{_describe(outside)}"


def test_no_external_resources(site_crawl):
    """Scripts, images, stylesheets and fonts all come from the site; plain <a> links may leave."""
    external = [
        link for link in site_crawl.links if link.resource and not site_crawl.is_internal(link.url)
    ]
    assert not external, f"resources loaded from outside the site:\n{_describe(external)}"


def test_in_page_anchors_exist(site_crawl):
    missing = []
    for link in site_crawl.links:
        target = site_crawl.final(link.url)
        if not link.fragment or link.fragment == "top" or target not in site_crawl.ids:
            continue
        if link.fragment not in site_crawl.ids[target]:
            missing.append(link)
    assert not missing, f"links to anchors that do not exist:\n{_describe(missing)}"


def test_site_has_stylesheet_and_images(site_crawl):
    """Guards the checks above against a crawl that silently found nothing to check."""
    kinds = {site_crawl.content_type.get(link.url) for link in site_crawl.links if link.resource}
    assert "text/css" in kinds, "no stylesheet linked from any page"
    assert "image/png" in kinds or "image/svg+xml" in kinds, f"no images found: {kinds}"
    frames = [link for link in site_crawl.links if link.where.endswith("data-frames")]
    assert frames, "no progression slider frames (data-frames) on any page"


def test_mathjax_only_on_pages_with_math(site_crawl):
    with_math, without_math = [], []
    for url, html in site_crawl.pages.items():
        loads_mathjax = any(
            link.page == url and _path(link.url) == BASEURL + MATHJAX for link in site_crawl.links
        )
        has_math = re.search(r'class="arithmatex(?:-page)?"', html) is not None
        if has_math and not loads_mathjax:
            with_math.append(url)
        if loads_mathjax and not has_math:
            without_math.append(url)
    assert not with_math, f"pages with math that do not load {MATHJAX}: {with_math}"
    assert not without_math, f"pages without math that load MathJax: {without_math}"
    home = site_crawl.final(site_crawl.root)
    assert 'class="arithmatex"' in site_crawl.pages[home], "the home page has no math"
    assert site_crawl.status.get(site_crawl.root.rstrip("/") + MATHJAX) == 200


def test_not_found_page_works_at_any_depth(site_crawl, site_url, built_site):
    """GitHub Pages serves 404.html at whatever URL was missing: its links must be absolute."""
    out, baseurl, _ = built_site
    if not (out / "404.html").is_file():
        pytest.skip("the build writes no 404.html")
    missing = site_url + "no/such/page/"
    status, final, content_type, body = fetch(missing)
    assert status == 404 and content_type == "text/html"
    scratch = Crawl(root=site_url, baseurl=baseurl)  # leaves the shared session crawl alone
    links = references(scratch, final, content_type, body)
    assert links, "404.html links to nothing (not even the stylesheet or home)"
    own_ids = scratch.ids[final]
    bad = [
        link
        for link in links
        if scratch.is_internal(link.url)
        and (
            link.fragment not in own_ids
            if link.url == final  # same-page anchor: '#content'
            else fetch(link.url)[0] != 200 or not _path(link.url).startswith(baseurl + "/")
        )
    ]
    assert not bad, f"404.html references that break below the site root:\n{_describe(bad)}"


# --------------------------------------------------------------------------- serving


def _get(url: str, method: str = "GET") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode()


def test_site_baseurl_reads_config_unless_given(tmp_path):
    (tmp_path / "_config.yml").write_text("baseurl: /from-config\n")
    assert site_baseurl(tmp_path, None) == "/from-config"
    assert site_baseurl(tmp_path, "") == ""
    assert site_baseurl(tmp_path, "/cli") == "/cli"
    assert site_baseurl(tmp_path / "missing", None) == ""
    assert site_baseurl(tmp_path, "repo/") == "/repo", "normalised as the build does"
    with pytest.raises(UserError, match="not a full URL"):
        site_baseurl(tmp_path, "https://x.github.io/repo")


def test_serving_under_prefix(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text("home page")
    (tmp_path / "sub" / "index.html").write_text("sub page")
    with serving(tmp_path, "/repo") as url:
        origin = url[: -len("/repo/")]
        assert url.endswith("/repo/")
        assert _get(url)[::2] == (200, "home page")
        status, final, body = _get(origin + "/")
        assert (status, final, body) == (200, url, "home page"), "/ must redirect to the baseurl"
        status, final, _ = _get(origin + "/repo/sub")
        assert (status, final) == (200, origin + "/repo/sub/")
        status, _, body = _get(origin + "/sub/")
        assert status == 404 and "/repo/" in body, "outside the prefix: 404 naming the baseurl"
        assert _get(origin + "/repo/nope.html")[0] == 404
        assert _get(origin + "/repo-other/")[0] == 404
        assert _get(url, method="HEAD")[0] == 200


def test_serving_uses_site_404_page(tmp_path):
    (tmp_path / "404.html").write_text("our own not-found page")
    with serving(tmp_path, "") as url:
        status, _, body = _get(url + "missing/")
    assert (status, body) == (404, "our own not-found page")


def test_extensionless_url_serves_the_html_file(tmp_path):
    """`permalink: /notes` writes notes.html at URL /notes, which GitHub Pages serves."""
    (tmp_path / "notes.html").write_text("notes page")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("sub page")
    (tmp_path / "sub.html").write_text("not this one")
    with serving(tmp_path, "/repo") as url:
        assert _get(url + "notes")[::2] == (200, "notes page")
        assert _get(url + "notes", method="HEAD")[0] == 200
        assert _get(url + "sub")[1:] == (url + "sub/", "sub page"), "a folder still wins"
        assert _get(url + "notes/")[0] == 404
        assert _get(url + "missing")[0] == 404


def test_failed_rebuild_logs_one_line_and_keeps_site(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    page = source / "index.md"
    page.write_text("first")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("last good build")
    calls: list[str] = []

    def failing_build():
        calls.append("build")
        raise UserError("index.md:3: unknown version 'v9'\n  (known: v1, v2)")

    log: list[str] = []
    rebuilder = Rebuilder(failing_build, [source], log=log.append, interval=0.05)
    assert rebuilder.check_once() is False, "nothing changed yet"
    page.write_text("second, longer")
    assert rebuilder.check_once() is True
    assert calls == ["build"] and rebuilder.failures == 1
    failure = [line for line in log if "rebuild failed" in line]
    assert len(failure) == 1 and "\n" not in failure[0] and "unknown version 'v9'" in failure[0]
    assert rebuilder.check_once() is False, "a failed build must not be retried until a change"
    with serving(tmp_path / "out", "") as url:
        assert _get(url)[2] == "last good build"


def test_rebuilder_ignores_editor_files_and_skipped_dirs(tmp_path):
    (tmp_path / "out").mkdir()
    builds: list[int] = []
    rebuilder = Rebuilder(lambda: builds.append(1), [tmp_path], skip=[tmp_path / "out"])
    (tmp_path / ".index.md.swp").write_text("x")
    (tmp_path / "out" / "index.html").write_text("written by the build")
    assert rebuilder.check_once() is False
    (tmp_path / "new.md").write_text("x")
    assert rebuilder.check_once() is True and builds == [1]


@pytest.fixture()
def site_copy(tmp_path):
    """A private copy of site_src and fixture runs, for tests that edit the sources."""
    src = tmp_path / "site_src"
    shutil.copytree(SITE_SRC, src)
    runs = tmp_path / "runs"
    write_study(runs, epochs=2)
    return src, runs, tmp_path / "_site"


def _wait_for(predicate, seconds: float, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_rebuild_on_change_updates_served_page(site_copy):
    from ganreport.pipeline import build

    src, runs, out = site_copy
    build(src, runs, out, baseurl=BASEURL, cache_dir=out.parent / "cache", log=lambda _: None)
    log: list[str] = []

    def rebuild():
        build(src, runs, out, baseurl=BASEURL, cache_dir=out.parent / "cache", log=log.append)

    rebuilder = Rebuilder(rebuild, [src, runs], skip=[out], interval=0.2, log=log.append)
    marker = f"Freshly edited paragraph {time.time_ns()}."
    with serving(out, BASEURL) as url, rebuilder.running():
        assert marker not in _get(url)[2]
        index = src / "index.md"
        index.write_text(index.read_text() + f"\n\n{marker}\n")
        assert _wait_for(lambda: marker in _get(url)[2], 60), f"page never updated; log: {log}"
        # The new page can be served a moment before build() returns: wait for the count too.
        assert _wait_for(lambda: rebuilder.builds >= 1, 30), log
        assert rebuilder.failures == 0, log

        # A broken directive fails the rebuild: one line of error, last good site still served.
        index.write_text(index.read_text() + "\n{% loss_plot v9 %}\n")
        assert _wait_for(lambda: rebuilder.failures >= 1, 60), f"no failed rebuild; log: {log}"
        failures = [line for line in log if line.startswith("rebuild failed")]
        assert len(failures) == 1 and "v9" in failures[0], log
        status, _, body = _get(url)
        assert status == 200 and marker in body, "the last good build must stay served"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prints_url_and_exits_zero_on_ctrl_c(site_copy):
    """The real entry point in a child process: build, print the URL, serve, SIGINT -> 0."""
    src, runs, out = site_copy
    port = _free_port()
    code = (
        "import sys; from pathlib import Path; from ganreport.serve import serve; "
        f"sys.exit(serve(Path({str(src)!r}), Path({str(runs)!r}), Path({str(out)!r}), "
        f"baseurl='/preview', port={port}))"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/preview/"
        _wait_for(lambda: process.poll() is not None or _get_status(url) == 200, 90, 0.3)
        assert process.poll() is None, f"serve() exited early:\n{process.communicate()[0]}"
        assert _get_status(url) == 200, f"server never answered at {url}"
        assert _get(f"http://127.0.0.1:{port}/")[1] == url
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert url in output, f"the URL is not printed:\n{output}"
    assert "Traceback" not in output, output


def _get_status(url: str) -> int:
    try:
        return _get(url)[0]
    except OSError:
        return -1
