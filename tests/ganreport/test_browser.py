"""The built site in a real headless Chromium: math typeset, images decoded, sliders, console.

Drives Debian's /usr/bin/chromium with Playwright for Python (no `playwright install`:
the browser comes from apt). All requests that do not go to the local server are aborted
and recorded, so a page that needs a CDN fails here instead of working by luck online.
Skipped when chromium or playwright is missing, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.ganreport.conftest import BASEURL
from tests.run_fixtures import STUDIES

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # judged by the `browser` fixture: skip, or fail under CI
    expect = sync_playwright = None

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000  # any single wait in a page
SCREENSHOT_COPY = Path("/tmp/ganreport-home.png")

# Awaited in the page: resolves after MathJax's first typeset, or says it timed out.
MATHJAX_DONE_JS = """async (ms) => {
  const timeout = new Promise(resolve => setTimeout(() => resolve('timeout'), ms));
  const started = new Promise(resolve => {
    const poll = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
      ? resolve(MathJax.startup.promise.then(() => document.fonts.ready).then(() => 'done'))
      : setTimeout(poll, 50);
    poll();
  });
  return Promise.race([started, timeout]);
}"""

# `.arithmatex`: one formula each (Markdown pages); `.arithmatex-page`: a hand-written HTML
# body whose raw math MathJax finds itself, so only "some typeset, none left raw" is known.
MATH_STATE_JS = """() => {
  const math = [...document.querySelectorAll('.arithmatex')];
  const pages = [...document.querySelectorAll('.arithmatex-page')];
  const inPages = pages.flatMap(p => [...p.querySelectorAll('mjx-container')]);
  return {
    math: math.length,
    containers: document.querySelectorAll('mjx-container').length - inPages.length,
    pageMath: pages.length,
    pageContainers: inPages.length,
    pageRaw: pages.filter(p => ['$$', '\\\\(', '\\\\['].some(d => p.textContent.includes(d)))
                  .length,
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.slice(0, 80)),
    errors: [...document.querySelectorAll('mjx-merror')]
              .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    mathjaxGlobal: typeof window.MathJax !== 'undefined',
    mathjaxScripts: [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s)),
    htmlClass: document.documentElement.className,
  };
}"""

# Loads every image now (lazy ones included), waits for decoding, lists the broken ones.
IMAGES_JS = """async (ms) => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  for (const img of images) { img.scrollIntoView({block: 'center'}); }
  const decoded = Promise.all(images.map(img => img.decode().catch(() => null)));
  await Promise.race([decoded, new Promise(resolve => setTimeout(resolve, ms))]);
  window.scrollTo(0, 0);
  return {
    count: images.length,
    broken: images.filter(img => !(img.complete && img.naturalWidth > 0))
                  .map(img => img.getAttribute('src') || img.outerHTML.slice(0, 120)),
    noAlt: images.filter(img => !(img.getAttribute('alt') || '').trim())
                 .map(img => img.getAttribute('src')),
  };
}"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the browser tests must run (.ci/run installs it)")
    pytest.skip(reason)


def _chromium() -> str | None:
    found = shutil.which("chromium")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    if sync_playwright is None:
        _unavailable("the playwright Python package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield launched
        launched.close()


@dataclass
class Visit:
    """What one page load did in the browser."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # HTTP >= 400 or network failure
    requests: list[str] = field(default_factory=list)
    mathjax: str = "not needed"
    math: dict = field(default_factory=dict)
    images: dict = field(default_factory=dict)


class Session:
    """One browser context whose every non-local request is aborted and recorded."""

    def __init__(self, browser, **context_options) -> None:
        self.blocked: list[str] = []
        context_options.setdefault("viewport", {"width": 1280, "height": 900})
        self.context = browser.new_context(**context_options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def open(self, url: str, visit: Visit | None = None):
        page = self.context.new_page()
        if visit is not None:
            page.on(
                "console",
                lambda m: (
                    m.type == "error"
                    and visit.console_errors.append(f"{m.text} ({m.location.get('url')})")
                ),
            )
            page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
            page.on("requestfailed", lambda r: visit.failed.append(f"{r.url}: {r.failure}"))
            page.on(
                "response",
                lambda r: r.status >= 400 and visit.failed.append(f"{r.url}: HTTP {r.status}"),
            )
            page.on("request", lambda r: visit.requests.append(r.url))
        page.goto(url, wait_until="load")
        return page


def _settle(page, visit: Visit) -> None:
    """Wait for MathJax where the page has math, then force-load and decode every image."""
    if page.evaluate("document.querySelectorAll('.arithmatex, .arithmatex-page').length"):
        visit.mathjax = page.evaluate(MATHJAX_DONE_JS, TIMEOUT_MS)
    visit.math = page.evaluate(MATH_STATE_JS)
    visit.images = page.evaluate(IMAGES_JS, TIMEOUT_MS)


@pytest.fixture(scope="module")
def session(browser):
    session = Session(browser)
    yield session
    session.context.close()


@pytest.fixture(scope="module")
def visits(session, site_crawl) -> dict[str, Visit]:
    """Every HTML page the link crawl found, loaded once in the browser."""
    results = {}
    for url in sorted(site_crawl.pages):
        visit = Visit(url)
        page = session.open(url, visit)
        _settle(page, visit)
        page.close()
        results[url] = visit
    assert results, "no pages to visit"
    return results


def _report(visits: dict[str, Visit], pick) -> str:
    lines = [f"{url}: {problem}" for url, visit in visits.items() for problem in pick(visit)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the checks


def test_no_request_leaves_the_machine(visits, session):
    assert not session.blocked, f"requests to outside hosts (CDN?): {sorted(set(session.blocked))}"


def test_no_console_or_page_errors(visits):
    problems = _report(visits, lambda v: v.console_errors + v.page_errors)
    assert not problems, f"console errors:\n{problems}"


def test_no_failed_requests(visits):
    problems = _report(visits, lambda v: v.failed)
    assert not problems, f"requests that failed in the browser:\n{problems}"


def test_mathjax_typesets_every_formula(visits, site_url):
    problems = _report(
        visits,
        lambda v: (
            (
                [f"MathJax did not finish: {v.mathjax}"]
                if (v.math["math"] or v.math["pageMath"]) and v.mathjax != "done"
                else []
            )
            + [f"not typeset: {text!r}" for text in v.math["untypeset"]]
            + [f"TeX error: {error}" for error in v.math["errors"]]
            + (
                [f"{v.math['containers']} mjx-container for {v.math['math']} .arithmatex"]
                if v.math["containers"] != v.math["math"]
                else []
            )
            + (["raw TeX left in an .arithmatex-page"] if v.math["pageRaw"] else [])
        ),
    )
    assert not problems, f"math problems:\n{problems}"
    home = visits[site_url]
    assert home.math["math"] > 0 and home.math["containers"] == home.math["math"]


def test_math_in_a_hand_written_html_page_is_typeset(visits, site_url):
    """raw-math.html (conftest) had a CDN MathJax and raw $$..$$ and \\(..\\) in its HTML."""
    visit = visits[site_url + "raw-math/"]
    assert visit.mathjax == "done" and visit.math["pageMath"] == 1
    assert visit.math["pageContainers"] == 2 and not visit.math["pageRaw"]
    assert not visit.math["errors"]


def test_pages_without_math_load_no_mathjax(visits):
    without = {url: v for url, v in visits.items()
               if v.math["math"] == 0 and v.math["pageMath"] == 0}
    assert without, "every page has math: nothing to check (expected /compare/ etc. without)"
    problems = _report(
        without,
        lambda v: (
            v.math["mathjaxScripts"]
            + (["window.MathJax is defined"] if v.math["mathjaxGlobal"] else [])
            + [url for url in v.requests if "mathjax" in url.lower()]
        ),
    )
    assert not problems, f"MathJax loaded on pages without math:\n{problems}"


def test_every_image_decodes(visits):
    problems = _report(visits, lambda v: [f"broken image {src}" for src in v.images["broken"]])
    assert not problems, f"images that did not load or decode:\n{problems}"
    assert sum(v.images["count"] for v in visits.values()) > 0, "no images anywhere"


def test_every_image_has_alt_text(visits):
    problems = _report(visits, lambda v: [f"no alt: {src}" for src in v.images["noAlt"]])
    assert not problems, f"images without alt text:\n{problems}"


def test_scripts_run(visits):
    problems = _report(
        visits,
        lambda v: (
            []
            if "js" in v.math["htmlClass"].split()
            else [f"<html class={v.math['htmlClass']!r}> lacks 'js'"]
        ),
    )
    assert not problems, problems


# --------------------------------------------------------------------------- the slider


def _frame_url(page, src: str) -> str:
    return page.evaluate("src => new URL(src, document.baseURI).href", src)


def _check_slider(page, figure, key: str, frame: dict) -> None:
    page.keyboard.press(key)
    expect(figure.locator(".epoch-label")).to_have_text(
        re.compile(rf"\bEpoch {frame['epoch']}\b"), timeout=3_000
    )
    expect(figure.locator("img.epoch-image")).to_have_attribute(
        "src",
        re.compile(re.escape(urlsplit(_frame_url(page, frame["src"])).path) + "$"),
        timeout=3_000,
    )


def _version_pages(site_crawl) -> list[str]:
    """/<baseurl>/studies/<study>/<version>/ pages (not a study's compare page, nor one opened
    on a step by a setbacks citation, ?step=N)."""
    pattern = re.compile(re.escape(BASEURL) + r"/studies/[^/]+/(?!compare/)[^/]+/$")
    return sorted(url for url in site_crawl.pages
                  if pattern.search(urlsplit(url).path) and not urlsplit(url).query)


def test_progression_slider_works_from_keyboard(session, site_crawl):
    version_pages = _version_pages(site_crawl)
    assert version_pages, "no version pages"
    checked, studies = 0, set()
    for url in version_pages:
        page = session.open(url)
        figures = page.locator("figure.progression")
        assert figures.count() >= 1, f"{url}: no progression figure"
        for index in range(figures.count()):
            figure = figures.nth(index)
            frames = json.loads(figure.get_attribute("data-frames"))
            assert len(frames) >= 2, f"{url}: a progression needs two frames: {frames}"
            expect(figure.locator(".progression-strip")).to_be_hidden()
            before = figure.locator(".epoch-label").text_content()
            figure.locator("input.epoch-slider").focus()
            _check_slider(page, figure, "Home", frames[0])
            _check_slider(page, figure, "End", frames[-1])
            _check_slider(page, figure, "ArrowLeft", frames[-2])
            assert re.search(r"\bEpoch \d+\b", before or ""), f"{url}: label was {before!r}"
            checked += 1
            studies.add(figure.get_attribute("data-run").split("/")[0])
        page.close()
    assert checked >= len(version_pages)
    assert studies == set(STUDIES), f"sliders checked only on {sorted(studies)}"


def test_progression_strip_shown_without_javascript(browser, site_crawl):
    url = _version_pages(site_crawl)[0]
    session = Session(browser, java_script_enabled=False)
    try:
        page = session.open(url)
        strip = page.locator("figure.progression .progression-strip").first
        expect(strip).to_be_visible()
        assert strip.locator("img").count() >= 2
    finally:
        session.context.close()


# --------------------------------------------------------------------------- a look


def test_home_page_screenshot(session, site_url, tmp_path):
    visit = Visit(site_url)
    page = session.open(site_url, visit)
    _settle(page, visit)
    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert shot.stat().st_size > 10_000, "screenshot suspiciously small (blank page?)"
    try:
        shutil.copyfile(shot, SCREENSHOT_COPY)
    except OSError:
        pass  # a convenience copy for people; the test's own file is in tmp_path


def test_no_sideways_scroll_on_a_phone(browser, site_crawl):
    """DESIGN: good on a phone. Wide figures and equations scroll inside their box, not the page."""
    session = Session(browser, viewport={"width": 375, "height": 740}, is_mobile=True)
    problems = []
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 375 + 1:
                culprits = page.evaluate(PHONE_CULPRITS_JS)
                problems.append(f"{url}: page is {width}px wide; widest: {culprits}")
            page.close()
    finally:
        session.context.close()
    assert not problems, "\n".join(problems)


PHONE_CULPRITS_JS = """() => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right
                                   <= document.documentElement.clientWidth + 1)
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
            + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
