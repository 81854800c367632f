"""Sample quality and setbacks on the site, from runs made by the real trainer and fixtures.

Two versions of a tiny study are trained by `ganreport train` (smoke sizes, a measurement
every epoch, v1 with an EMA of G) with no Inception weights anywhere; the site built from
them must show quality curves against the real floor with the best epoch marked, a best-epoch
stop on the slider, the ranking on the compare page, and say that FID is off and why.
The setbacks page is checked on fixture runs with events the detectors must find (a loss
spike, and a quality regression written through RunWriter).
"""

from __future__ import annotations

import html as html_lib
import json
import re
import textwrap
from pathlib import Path

import pytest

from ganreport import runformat
from ganreport.__main__ import main as ganreport_main
from tests.run_fixtures import write_study
from training.rundir import RunWriter

STUDY = """\
title: Tiny quality study
versions: [v1, v2]
seed: 1
noise_seed: 7
dataset: {name: abstract, kind: procedural, image_size: 32, count: 48, seed: 0}
model: {z_dim: 16, g_features: 8, d_features: 8}
train: {epochs: 5, batch_size: 16, log_every: 1, sample_every: 1}
quality: {every: 1, samples: 24}
"""


def _build(runs: Path, out: Path) -> None:
    src = out.parent / "src"
    src.mkdir(exist_ok=True)
    (src / "index.md").write_text("---\ntitle: Home\n---\nHello.\n")
    assert ganreport_main(["build", "--src", str(src), "--runs", str(runs), "--out", str(out),
                           "--cache", str(out.parent / "cache"), "--strict"]) == 0


def _svg_text(site: Path, page: str, stem: str) -> str:
    """The SVG a page shows whose file name starts with `stem` (a regular expression)."""
    html = (site / page / "index.html").read_text()
    paths = re.findall(r'src="(/assets/plots/' + stem + r'[^"]*\.svg)"', html)
    assert paths, f"no {stem} plot on {page}"
    return (site / paths[0].lstrip("/")).read_text()


@pytest.fixture(scope="module")
def trained_site(tmp_path_factory) -> tuple[Path, Path]:
    """(runs, site): the tiny study trained for real, then built."""
    import torch

    from training.cli import main as train_main

    root = tmp_path_factory.mktemp("quality-site")
    study = root / "experiments/tiny"
    study.mkdir(parents=True)
    (study / "study.yaml").write_text(STUDY)
    (study / "v1.yaml").write_text("title: Baseline\nquality: {ema: true, ema_decay: 0.9}\n")
    (study / "v2.yaml").write_text(textwrap.dedent("""\
        title: Label smoothing
        parent: v1
        loss: {real_label_range: [0.7, 1.0], fake_label_range: [0.0, 0.3]}
        """))
    patch = pytest.MonkeyPatch()
    patch.setenv("TORCH_HOME", str(root / "no-weights"))
    patch.setenv("HOME", str(root / "home"))
    patch.setenv("GANREPORT_CACHE", str(root / "cache"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert train_main([str(study), "--out", str(root / "runs"), "--device", "cpu",
                           "--profile", "full", "--no-progress"]) == 0
    finally:
        torch.set_num_threads(threads)
        patch.undo()
    _build(root / "runs", root / "_site")
    return root / "runs", root / "_site"


def _quality(runs: Path, version: str) -> dict:
    return json.loads((runs / "tiny" / version / runformat.QUALITY_SUMMARY).read_text())


def test_version_page_shows_quality_curves_against_the_floor_and_the_best_epoch(trained_site):
    runs, site = trained_site
    best = _quality(runs, "v1")["best"]
    html = (site / "studies/tiny/v1/index.html").read_text()
    assert f"Best epoch by SWD: <strong>{best['epoch']}</strong>" in html
    svg = _svg_text(site, "studies/tiny/v1", "quality-")
    assert "real vs real" in svg and f"best: epoch {best['epoch']}" in svg
    assert "EMA of G" in svg  # v1 averages G: its curve is drawn beside the raw G's
    assert re.search(r'alt="tiny/v1 samples of G&#39;s weight average at epoch 5"', html)


def test_the_slider_stops_at_the_best_epoch_instead_of_a_second_grid(trained_site):
    """The slider is the grid: it opens on the last epoch and has a "Best epoch" stop; the
    best grid is not repeated as a figure of its own."""
    runs, site = trained_site
    for version in ("v1", "v2"):
        best = _quality(runs, version)["best"]["epoch"]
        html = (site / f"studies/tiny/{version}/index.html").read_text()
        figure = html[html.index('<figure class="progression"'):]
        figure = figure[:figure.index("</figure>")]
        frames = json.loads(html_lib.unescape(re.search(r"data-frames='([^']*)'", figure)[1]))
        epochs = [frame["epoch"] for frame in frames]
        assert re.search(rf'class="best-stop" data-index="{epochs.index(best)}"[^>]*>'
                         rf"Best epoch \({best}\)</button>", figure), version
        assert f'value="{len(frames) - 1}"' in figure  # opens on the last epoch
        assert "Best samples:" not in html


def test_without_inception_weights_the_site_says_fid_is_off_and_why(trained_site):
    runs, site = trained_site
    assert "fid" in _quality(runs, "v1")["skipped"]
    html = (site / "studies/tiny/v1/index.html").read_text()
    assert "FID and KID are off for this run: no Inception weights were found" in html
    assert "quality.inception_weights" in html
    assert "no-weights" not in html  # the trainer's line names its folders: the site does not
    compare = (site / "studies/tiny/compare/index.html").read_text()
    assert "FID and KID are off: no Inception weights" in compare


def test_compare_page_ranks_versions_by_swd_at_best_and_last(trained_site):
    runs, site = trained_site
    html = (site / "studies/tiny/compare/index.html").read_text()
    table = html.split('<table class="ranking">')[1].split("</table>")[0]
    shown = re.findall(r'<a href="/studies/tiny/(v\d)/">', table)
    expected = sorted(("v1", "v2"), key=lambda v: _quality(runs, v)["best"]["value"])
    assert shown == expected
    lasts = {v: [json.loads(line) for line in
                 (runs / "tiny" / v / runformat.QUALITY).read_text().splitlines()][-1]["swd"]
             for v in ("v1", "v2")}
    rows = table.split("<tr")[2:]
    for version, row in zip(shown, rows, strict=True):
        assert f"<td>{lasts[version]:.3g}</td>" in row
    assert _svg_text(site, "studies/tiny/compare", "compare-quality-")


def test_setbacks_page_lists_findings_with_a_plot_marking_where(tmp_path):
    runs = tmp_path / "runs"
    folders = write_study(runs, "abstract", epochs=8)  # v2 has a loss spike at step 7
    writer = RunWriter(folders[0])  # v1: best at epoch 2, then worse and worse
    for epoch, swd in enumerate([90, 40, 55, 70, 85, 100, 110, 120], start=1):
        writer.append_jsonl(runformat.QUALITY, {"epoch": epoch, "step": epoch * 5, "swd": swd})
    writer.write_json(runformat.QUALITY_SUMMARY, {"metric": "swd", "floor": {"swd": 10.0},
                                                  "best": {"epoch": 2, "step": 10,
                                                           "value": 40.0}})
    _build(runs, tmp_path / "_site")
    html = (tmp_path / "_site/setbacks/index.html").read_text()
    v1 = html.split('id="abstract--v1"')[1].split('id="abstract--v2"')[0] \
        if 'id="abstract--v1"' in html else html.split("abstract/v1: ")[1]
    assert "Quality regression" in v1 and "SWD was best at epoch 2" in v1
    svg = _svg_text(tmp_path / "_site", "setbacks", r"setback-\d+-quality_regression-abstract--v1")
    assert "from" in svg and "real vs real" in svg
    assert "Loss spike" in html
    assert re.search(r"setback-\d+-loss_spike-abstract--v2", html)
