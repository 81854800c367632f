"""The Content-Security-Policy in a real Chromium: no page of the built site breaks it.

Every page the link crawl finds is loaded with a listener for `securitypolicyviolation`
events (and console reports of them); MathJax is left to typeset, and on the home page its
accessibility explorer is switched on, which loads the speech rule engine and fetches its
JSON maps. A control injects an inline script and expects it blocked: that proves the
policy is active and the listener hears violations. Skipped without chromium/playwright,
except under CI=true (as tests/ganreport/test_browser.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', event => window.__cspViolations.push(
  `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ` +
  `${event.sourceFile}:${event.lineNumber}`));
"""
MATHJAX_SETTLED_JS = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return 'no math';
  await MathJax.startup.promise;
  return 'typeset';
}"""
EXPLORER_JS = """() => {
  MathJax.startup.document.menu.menu.pool.lookup('explorer').setValue(true);
}"""
# What switching the explorer on makes MathJax load: scripts, and JSON through fetch().
EXPLORER_PARTS = ("ui/menu.js", "a11y/explorer.js", "a11y/semantic-enrich.js", "a11y/sre.js",
                  "sre/mathmaps/en.json")


@pytest.fixture(scope="module")
def browser_context():
    executable = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    missing = ("chromium is not installed" if executable is None else
               "the playwright package is not installed" if sync_playwright is None else None)
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; CI=true, so the browser tests must run")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, timeout=30_000,
                                             args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        context.set_default_timeout(15_000)
        context.add_init_script(RECORD_VIOLATIONS_JS)
        yield context
        browser.close()


def open_page(context, url: str):
    """(page, console reports of CSP violations) after load and MathJax's first typeset."""
    page = context.new_page()
    reports: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and reports.append(message.text[:300]))
    page.goto(url, wait_until="load")
    page.evaluate(MATHJAX_SETTLED_JS)
    return page, reports


def test_no_page_violates_the_content_security_policy(browser_context, site_crawl):
    problems, with_math = [], 0
    for url in sorted(site_crawl.pages):
        page, reports = open_page(browser_context, url)
        with_math += page.evaluate("document.querySelectorAll('mjx-container').length") > 0
        problems += [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]
        problems += [f"{url}: console: {r}" for r in reports]
        assert page.locator('meta[http-equiv="Content-Security-Policy"]').count() == 1, url
        page.close()
    assert not problems, "\n".join(problems)
    assert len(site_crawl.pages) >= 8 and with_math >= 1


def test_mathjax_explorer_loads_its_parts_under_the_policy(browser_context, site_url):
    """The menu is loaded at a reader's first right-click on a formula, not with the page;
    it then opens, keeps formulas out of the tab order, and switches the explorer on."""
    loaded: list[str] = []
    page, reports = open_page(browser_context, site_url)
    page.on("response", lambda r: r.ok and loaded.append(r.url))
    requested = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [url for url in requested if "ui/menu" in url], "the menu loaded with the page"
    page.locator("mjx-container").first.click(button="right")
    page.wait_for_selector(".CtxtMenu_Menu", state="visible", timeout=15_000)
    assert page.evaluate("document.querySelectorAll('mjx-container[tabindex]').length") == 0
    page.keyboard.press("Escape")
    page.evaluate(EXPLORER_JS)

    def all_loaded() -> bool:
        return all(any(url.endswith(part) for url in loaded) for part in EXPLORER_PARTS)

    deadline = time.monotonic() + 15
    while not all_loaded() and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright deliver the response events
    assert all_loaded(), loaded
    assert page.evaluate("window.__cspViolations") == [] and reports == []
    page.close()


def test_an_injected_inline_script_is_blocked(browser_context, site_url):
    """The control: the policy is active, and the listener above does hear violations."""
    page, _ = open_page(browser_context, site_url)
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__injected") is None
    assert page.evaluate("window.__cspViolations")[0].startswith("script-src")
    page.close()
