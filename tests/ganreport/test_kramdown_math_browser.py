"""The kramdown math corpus typeset by the site's MathJax in headless Chromium.

test_markdown_render checks the HTML; this checks what a reader sees: every formula of
kramdown_cases.KRAMDOWN_PAGES typeset once, inline or display as Jekyll's page shows it,
no TeX error, and no delimiter left as text outside the math. MathJax comes from the
pinned package (no network), configured with MATHJAX_CONFIG_JS as on the site.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from ganreport.markdown_render import render_markdown
from ganreport.mathjax_js import MATHJAX_CONFIG_JS, MATHJAX_ENTRY
from tests.ganreport.kramdown_cases import KRAMDOWN_PAGES

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000

# Per case: how each .arithmatex was typeset, and the text left outside the formulas.
CASES_JS = """() => [...document.querySelectorAll('section')].map(section => {
  const outside = section.cloneNode(true);
  outside.querySelectorAll('mjx-container').forEach(e => e.remove());
  return {
    name: section.dataset.name,
    modes: [...section.querySelectorAll('.arithmatex')].map(e => {
      const boxes = e.querySelectorAll('mjx-container');
      return boxes.length === 1 ? (boxes[0].getAttribute('display') === 'true' ? 'd' : 'i')
                                 : `${boxes.length} containers`;
    }).join(''),
    errors: [...section.querySelectorAll('mjx-merror')].map(e => e.textContent),
    outside: outside.textContent,
  };
})"""


def _mathjax_es5() -> Path:
    mathjax = pytest.importorskip("mathjax")
    return Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"


def _page() -> str:
    sections = []
    for name, (markdown_text, _expected, _modes) in KRAMDOWN_PAGES.items():
        body = render_markdown(markdown_text, source="corpus.md").html
        sections.append(f'<section data-name="{html.escape(name)}">\n{body}\n</section>')
    return (
        "<!doctype html>\n<html><head><meta charset=utf-8><title>kramdown math</title>\n"
        f"<script>{MATHJAX_CONFIG_JS}</script>\n"
        f'<script src="/mathjax/{MATHJAX_ENTRY}"></script></head>\n<body>\n'
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


@pytest.fixture(scope="module")
def typeset(tmp_path_factory) -> dict[str, dict]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if sync_playwright is None or not Path(chromium).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium or playwright missing; CI=true, so browser tests must run")
        pytest.skip("chromium or playwright is not installed")
    root = tmp_path_factory.mktemp("kramdown-math")
    (root / "index.html").write_text(_page(), encoding="utf-8")
    (root / "mathjax").symlink_to(_mathjax_es5(), target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.wait_for_function(
                "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=TIMEOUT_MS
            )
            page.evaluate("MathJax.startup.promise")
            results = {case["name"]: case for case in page.evaluate(CASES_JS)}
            browser.close()
    finally:
        server.shutdown()
    return results


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test output is not the place for access logs
        pass


@pytest.mark.parametrize("name", KRAMDOWN_PAGES)
def test_each_formula_is_typeset_inline_or_display_as_on_the_jekyll_page(typeset, name):
    case = typeset[name]
    assert case["modes"] == KRAMDOWN_PAGES[name][2]
    assert case["errors"] == []
    leftovers = [d for d in ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin") if d in case["outside"]]
    assert leftovers == [], f"TeX delimiters shown as text: {case['outside']!r}"
