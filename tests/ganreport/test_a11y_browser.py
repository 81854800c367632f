"""WCAG 2.2 AA as axe-core judges it, on every page of the built site, light and dark,
at 1280 and 375 px; and no sideways scroll at 320 px (the narrowest phone WCAG 1.4.10 names).

axe-core is pinned and installed from the npm registry into .cache/node by .ci/run
(`npm install --prefix .cache/node axe-core@4.10.2`); it is injected into each page.
Skipped when axe-core, chromium or playwright is missing, except under CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ganreport.test_browser import (
    PHONE_CULPRITS_JS,
    Session,
    _unavailable,
    browser,  # noqa: F401  (module fixture)
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / ".cache/node/node_modules/axe-core/axe.min.js"
AXE_RUN_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): `
      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        _unavailable("axe-core is not installed (npm install --prefix .cache/node axe-core@4.10.2)")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_no_serious_axe_violations(browser, site_crawl, axe_source, scheme, width):  # noqa: F811
    """Zero serious or critical axe-core violations on every page (contrast, focusable
    scroll regions, names, links told apart from text, ...)."""
    session = Session(
        browser,
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        bypass_csp=True,  # the site's CSP rightly refuses the injected axe script
    )
    problems = []
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            page.wait_for_function(
                "!document.querySelector('.arithmatex') || "
                "(window.MathJax && MathJax.startup && MathJax.startup.promise)",
                timeout=15_000,
            )
            page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : 0")
            page.add_script_tag(content=axe_source)
            problems += [f"{url}: {line}" for line in page.evaluate(AXE_RUN_JS)]
            page.close()
    finally:
        session.context.close()
    assert not problems, "\n".join(problems)


def test_no_sideways_scroll_at_320px(browser, site_crawl):  # noqa: F811
    session = Session(browser, viewport={"width": 320, "height": 640}, is_mobile=True)
    problems = []
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320 + 1:
                widest = page.evaluate(PHONE_CULPRITS_JS)
                problems.append(f"{url}: {width}px wide; widest: {widest}")
            page.close()
    finally:
        session.context.close()
    assert not problems, "\n".join(problems)


def test_formulas_are_not_tab_stops_and_wide_equations_scroll_focusably(browser, site_crawl):  # noqa: F811
    """MathJax's default puts every formula in the tab order (the home page's first slider was
    the 64th stop); here none is, and a display equation wider than a phone is a focusable box."""
    session = Session(browser, viewport={"width": 320, "height": 640}, is_mobile=True)
    checked = wide = 0
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            if not page.evaluate("document.querySelectorAll('.arithmatex').length"):
                page.close()
                continue
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
            page.wait_for_function("!document.documentElement.classList.contains('math-pending')")
            state = page.evaluate(
                """() => ({
                  typeset: document.querySelectorAll('mjx-container').length,
                  tabStops: document.querySelectorAll('mjx-container[tabindex="0"]').length,
                  wide: [...document.querySelectorAll('div.arithmatex')]
                    .filter(b => b.scrollWidth > b.clientWidth + 1)
                    .map(b => b.tabIndex === 0 && b.getAttribute('role') === 'region'),
                })"""
            )
            assert state["typeset"], url
            assert state["tabStops"] == 0, f"{url}: {state['tabStops']} formulas are tab stops"
            assert all(state["wide"]), f"{url}: a wide equation cannot be focused"
            wide += len(state["wide"])
            page.set_viewport_size({"width": 1400, "height": 900})  # a phone turned, a window grown
            page.wait_for_timeout(300)
            stale = page.evaluate(
                """() => [...document.querySelectorAll('div.arithmatex[tabindex]')]
                  .filter(b => b.scrollWidth <= b.clientWidth + 1).length"""
            )
            assert stale == 0, f"{url}: {stale} equations that fit are still tab stops"
            checked += 1
            page.close()
    finally:
        session.context.close()
    assert checked and wide, f"{checked} pages with math, {wide} wide equations checked"
