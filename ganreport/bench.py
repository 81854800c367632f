"""`ganreport bench`: measure the site build side by side in one run.

Speed is measured here, never in tests. Each figure is a median over `--repeat`
rounds taken in the same process, so ratios (full build vs no-op rebuild) are
comparable even on a shared, noisy machine. `--train` adds the training
throughput benchmark from `training.bench` (imported only then: it needs torch).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

from .errors import UserError
from .pipeline import build

MATHJAX_PREFIX = "assets/mathjax/"


class _ResourceParser(HTMLParser):
    """Collects what a browser fetches to show a page: scripts, stylesheets, preloads, images.

    Images inside a progression's static strip go to `fallback`: with JavaScript on the
    strip is hidden and its lazy images are never fetched; without it they replace the slider.
    """

    def __init__(self) -> None:
        super().__init__()
        self.resources: list[str] = []
        self.fallback: list[str] = []
        self._strip_depth = 0  # > 0 while inside <div class="progression-strip">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "div" and (self._strip_depth or "progression-strip" in
                             (values.get("class") or "").split()):
            self._strip_depth += 1
        found = self.fallback if self._strip_depth else self.resources
        if tag in ("img", "script", "source") and values.get("src"):
            found.append(values["src"])
        rel = (values.get("rel") or "").split()
        if tag == "link" and ("stylesheet" in rel or "preload" in rel) and values.get("href"):
            found.append(values["href"])  # preloads: MathJax's components, fetched at once

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._strip_depth:
            self._strip_depth -= 1


def _bytes(site_dir: Path, url: str, baseurl: str) -> tuple[str, int]:
    relative = url.removeprefix(baseurl).lstrip("/").split("?")[0]
    path = site_dir / relative
    return relative, path.stat().st_size if path.is_file() else 0


def page_weight(site_dir: Path, page: str, baseurl: str) -> dict[str, int]:
    """Bytes a reader with JavaScript downloads for a page, split into MathJax and the rest.

    `no_js_extra` is what the static strips add for a reader without JavaScript.
    """
    html_path = site_dir / page
    parser = _ResourceParser()
    parser.feed(html_path.read_text(encoding="utf-8"))
    weight = {"html": html_path.stat().st_size, "assets": 0, "mathjax": 0, "no_js_extra": 0}
    loaded = dict.fromkeys(parser.resources)
    for url in loaded:
        relative, size = _bytes(site_dir, url, baseurl)
        weight["mathjax" if relative.startswith(MATHJAX_PREFIX) else "assets"] += size
    for url in dict.fromkeys(parser.fallback):
        if url not in loaded:
            weight["no_js_extra"] += _bytes(site_dir, url, baseurl)[1]
    if weight["mathjax"]:  # the CHTML fonts MathJax fetches once it runs
        fonts = site_dir / MATHJAX_PREFIX / "es5/output/chtml/fonts/woff-v2"
        weight["mathjax"] += sum(font.stat().st_size for font in fonts.glob("*.woff"))
    weight["total_without_mathjax"] = weight["html"] + weight["assets"]
    return weight


def _timed_build(src: Path, runs: Path, out: Path, cache: Path) -> float:
    start = time.perf_counter()
    build(src, runs, out, baseurl="", cache_dir=cache, log=lambda line: None)
    return time.perf_counter() - start


def bench_site(src: Path, runs: Path, repeat: int) -> dict:
    """Full build (empty cache, no _site) against a no-op rebuild, `repeat` rounds each."""
    if not any(runs.glob("*/*/summary.json")):
        raise UserError(f"{runs}: no run folders to build from; run `make train` first")
    full, noop = [], []
    with tempfile.TemporaryDirectory(prefix="ganreport-bench-") as tmp:
        for round_index in range(repeat):
            work = Path(tmp) / f"round{round_index}"
            out, cache = work / "_site", work / "cache"
            full.append(_timed_build(src, runs, out, cache))
            noop.append(_timed_build(src, runs, out, cache))
        weight = page_weight(out, "index.html", "")
    return {
        "full_build_s": statistics.median(full),
        "noop_rebuild_s": statistics.median(noop),
        "full_over_noop": statistics.median(full) / statistics.median(noop),
        "rounds": {"full_build_s": full, "noop_rebuild_s": noop},
        "home_page_bytes": weight,
    }


def _print_site(result: dict) -> None:
    weight = result["home_page_bytes"]
    print(f"site build, full (empty cache):  {result['full_build_s']:.2f} s (median)")
    print(f"site build, no-op rebuild:       {result['noop_rebuild_s']:.2f} s (median)")
    print(f"full / no-op:                    {result['full_over_noop']:.2f}x")
    kib = {key: value / 1024 for key, value in weight.items()}
    print(f"home page without MathJax:       {kib['total_without_mathjax']:.0f} KiB "
          f"(HTML {kib['html']:.0f} KiB + CSS/JS/images {kib['assets']:.0f} KiB; "
          f"+{kib['no_js_extra']:.0f} KiB of strip images without JavaScript)")
    print(f"MathJax loaded by the home page: {weight['mathjax'] / 1024:.0f} KiB")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganreport bench", description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("site_src"))
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement (median)")
    parser.add_argument("--results", type=Path, default=Path("bench/results"),
                        help="folder for the JSON results (default: bench/results)")
    parser.add_argument("--train", action="store_true",
                        help="also measure training throughput (needs torch)")
    parser.add_argument("--device", default="auto", help="device for --train (auto|cpu|cuda)")
    parser.add_argument("--vs-tutorial", action="store_true",
                        help="only the training comparison with the PyTorch DCGAN tutorial loop "
                             "(training/bench_compare.py; writes bench/results.json)")
    parser.add_argument("--sweep", action="store_true",
                        help="with --vs-tutorial: images/s for batch 64..1024 and 32/64/128 px")
    return parser


def main(argv: list[str]) -> int:
    args = make_parser().parse_args(argv)
    if args.vs_tutorial:  # imported only here: it needs torch
        from training.bench_compare import main as compare_main

        return compare_main(["--device", args.device] + (["--sweep"] if args.sweep else []))
    result: dict = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "site": bench_site(args.src, args.runs, max(1, args.repeat)),
    }
    _print_site(result["site"])
    if args.train:
        from training.bench import run_training_bench

        result["train"] = run_training_bench(device=args.device, repeat=max(1, args.repeat))
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "")
    path = args.results / f"bench-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(path, args.results / "latest.json")
    print(f"results: {path}")
    return 0
