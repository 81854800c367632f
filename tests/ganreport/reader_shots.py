"""Screenshots of home, version, compare and setbacks at 375 and 1280 px (light), for people.

Run: python -m tests.ganreport.reader_shots [DIR] (default /tmp/reader-shots).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from ganreport.pipeline import build
from ganreport.serve import serving
from tests.ganreport.conftest import BASEURL, site_src_with_extras
from tests.ganreport.reader_measure import PAGES
from tests.run_fixtures import write_all_studies

EAGER_JS = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.race([Promise.all(images.map(img => img.decode().catch(() => null))),
                      new Promise(resolve => setTimeout(resolve, 5000))]);
}"""


def main() -> None:
    shots = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/reader-shots")
    shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_all_studies(root / "runs")
        src = site_src_with_extras(root)
        out = root / "_site"
        build(src, root / "runs", out, baseurl=BASEURL, cache_dir=root / "cache", log=print)
        with serving(out, BASEURL) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for width in (375, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                for name, path in PAGES.items():
                    page.goto(url + path, wait_until="load")
                    page.wait_for_timeout(2500)
                    page.evaluate(EAGER_JS)  # a full-page shot scrolls nothing: load lazy images
                    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                page.close()
            browser.close()
    print(shots)


if __name__ == "__main__":
    main()
