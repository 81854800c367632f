"""Reader measurements of a built site: axe-core serious/critical violations (light, dark;
1280 and 375 px), bytes and requests per page, MathJax's time to show the first formulas
typeset and to typeset them all (medians of fresh loads).

Run: python -m tests.ganreport.reader_measure [OUT_JSON]. Builds site_src over the fixture
runs (tests.run_fixtures), serves it, drives /usr/bin/chromium. axe-core comes from
.cache/node (`npm install axe-core@4.10.2`, see .ci/run). Numbers, not a test.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from ganreport.pipeline import build
from ganreport.serve import serving
from tests.ganreport.conftest import BASEURL, site_src_with_extras
from tests.run_fixtures import write_all_studies

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / ".cache/node/node_modules/axe-core/axe.min.js"
PAGES = {
    "home": "",
    "version": "studies/abstract/v2/",
    "compare": "studies/abstract/compare/",
    "setbacks": "setbacks/",
}
# Installed before the page's scripts: notes when the page first shows its math (the
# `math-pending` class that hides raw TeX goes away).
SHOWN_JS = """new MutationObserver(() => {
  const pending = document.documentElement.classList.contains('math-pending');
  if (pending) window.__pending = true;
  else if (window.__pending && !window.__shownAt) window.__shownAt = performance.now();
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['class']});"""
# [ms until the first formulas are shown typeset, ms until every formula is typeset], from
# navigation start; null on a page without math.
TYPESET_JS = """() => new Promise(resolve => {
  if (!document.querySelector('.arithmatex')) return resolve(null);
  const poll = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(() => {
        const all = performance.now();
        const shown = () => window.__shownAt ? resolve([window.__shownAt, all])
                                             : setTimeout(shown, 5);
        shown();
      })
    : setTimeout(poll, 5);
  poll();
})"""
TIMING_LOADS = 5  # fresh contexts per page; the medians are reported


def typeset_times(browser, url: str) -> dict | None:
    """Medians over fresh loads (no cache) of a page's time to first and to full typeset."""
    shown, full = [], []
    for _ in range(TIMING_LOADS):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.add_init_script(SHOWN_JS)
        page.goto(url, wait_until="load")
        times = page.evaluate(TYPESET_JS)
        ctx.close()
        if times is None:
            return None
        shown.append(times[0])
        full.append(times[1])
    return {"shown_ms": round(statistics.median(shown)), "all_ms": round(statistics.median(full))}


def measure(site_url: str) -> dict:
    axe_src = AXE.read_text(encoding="utf-8")
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, path in PAGES.items():
            url = site_url + path
            row = {}
            for scheme in ("light", "dark"):
                for width in (1280, 375):
                    ctx = browser.new_context(
                        viewport={"width": width, "height": 900},
                        color_scheme=scheme,
                        bypass_csp=True,
                    )
                    page = ctx.new_page()
                    sizes, reqs = [], []
                    page.on("requestfinished", lambda r, s=sizes: s.append(r))
                    page.on("request", lambda r, q=reqs: q.append(r.url))
                    page.goto(url, wait_until="load")
                    page.evaluate("() => window.MathJax && MathJax.startup && "
                                  "MathJax.startup.promise ? MathJax.startup.promise : 0")
                    page.wait_for_timeout(200)
                    page.add_script_tag(content=axe_src)
                    out = page.evaluate(
                        """async () => { const r = await axe.run(document,
                        {resultTypes: ['violations']});
                        return r.violations.filter(v => ['serious','critical']
                        .includes(v.impact)).map(v => [v.id, v.nodes.length]); }"""
                    )
                    key = f"{scheme}-{width}"
                    row[f"axe {key}"] = out
                    if key == "light-1280":
                        total = 0
                        for r in sizes:
                            try:
                                total += r.sizes()["responseBodySize"]
                            except Exception:
                                pass
                        row["requests"] = len(reqs)
                        row["bytes"] = total
                        row["mathjax_bytes"] = sum(
                            r.sizes()["responseBodySize"] for r in sizes if "mathjax" in r.url
                        )
                    ctx.close()
            row["typeset"] = typeset_times(browser, url)
            results[name] = row
        browser.close()
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_all_studies(root / "runs")
        src = site_src_with_extras(root)
        out = root / "_site"
        build(
            src, root / "runs", out, baseurl=BASEURL, cache_dir=root / "cache", log=lambda m: None
        )
        with serving(out, BASEURL) as url:
            t = time.time()
            results = measure(url)
            print(f"measured in {time.time() - t:.0f}s", file=sys.stderr)
    text = json.dumps(results, indent=1)
    print(text)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)


if __name__ == "__main__":
    main()
