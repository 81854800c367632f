"""The run-folder contract end to end: what the site plots and how it labels it comes from
runformat's table; the site builds without torch; real trainer output builds."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ganreport import runformat
from tests.ganreport.conftest import REPO
from tests.run_fixtures import STUDIES, write_all_studies

SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def _page_svgs(site: Path, baseurl: str, page: str) -> list[str]:
    """The text of every plot SVG a page shows."""
    text = (site / page / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="' + re.escape(baseurl) + r'(/assets/plots/[^"]+\.svg)"',
                         text)
    return [(site / source.lstrip("/")).read_text(encoding="utf-8") for source in sources]


def _labels(svg: str) -> set[str]:
    """Text drawn in an SVG: axis labels, legends, titles, tick labels."""
    return {html.unescape(re.sub(r"<[^>]+>", "", match)).strip()
            for match in SVG_TEXT.findall(svg)}


@pytest.mark.parametrize("study", list(STUDIES))
def test_axis_labels_follow_the_contract_table(built_site, study):
    site, baseurl, _ = built_site
    loss = STUDIES[study][1].get("loss", {}).get("name", "bce")
    for version in STUDIES[study][2]:
        labels = set().union(*map(_labels, _page_svgs(site, baseurl, f"studies/{study}/{version}")))
        expected = {runformat.axis_label(q) for q in
                    runformat.quantities_in_figure(loss, runformat.LOSS_FIGURE)}
        expected |= {q.label for q in runformat.quantities_in_figure(loss, runformat.D_FIGURE)
                     if q.name != "drift"}  # the fixtures log no drift
        assert expected <= labels, f"{study}/{version}: missing {expected - labels}"
        others = {q.label for q in runformat.QUANTITIES if loss not in q.losses} - expected
        assert not (others & labels), f"{study}/{version}: labels of other losses {others & labels}"


def test_no_probability_axis_on_the_critic_or_least_squares_study(built_site):
    site, baseurl, _ = built_site
    for study in ("critic", "squares"):
        pages = [f"studies/{study}", f"studies/{study}/compare",
                 *(f"studies/{study}/{v}" for v in STUDIES[study][2])]
        for page in pages:
            for svg in _page_svgs(site, baseurl, page):
                text = " ".join(_labels(svg)).lower()
                assert "probability" not in text and "d(x), real" not in text, page
    bce = " ".join(" ".join(_labels(svg)) for svg in
                   _page_svgs(site, baseurl, "studies/abstract/v1"))
    assert "probability" in bce, "the BCE study does plot probabilities"


def test_least_squares_targets_come_from_the_config(built_site):
    site, baseurl, _ = built_site
    for version, fake in (("v1", "0"), ("v2", "-1")):
        labels = set().union(*map(_labels, _page_svgs(site, baseurl, f"studies/squares/{version}")))
        assert "target of D output on real: 1" in labels
        assert f"target of D output on fake: {fake}" in labels


BLOCK_TORCH = textwrap.dedent("""
    import sys
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "torchvision", "training"):
                raise ImportError(f"{name} is blocked: ganreport must build without it")
    sys.meta_path.insert(0, Blocker())
    for name in [m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision")]:
        del sys.modules[name]
    from ganreport.__main__ import main
    code = main(sys.argv[1:])
    loaded = [m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "training")]
    assert not loaded, loaded
    sys.exit(code)
""")


def test_the_site_builds_with_torch_unimportable(tmp_path, figure_cache):
    runs = tmp_path / "runs"
    write_all_studies(runs, epochs=2)  # needs torch: written here, in the parent process
    out = tmp_path / "_site"
    command = [sys.executable, "-c", BLOCK_TORCH, "build", "--src", str(REPO / "site_src"),
               "--runs", str(runs), "--out", str(out), "--cache", str(figure_cache)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "built 17 pages of 3 studies" in done.stdout
    assert (out / "studies/critic/v2/index.html").is_file()


@pytest.mark.slow
def test_real_trainer_output_builds_with_a_loss_per_version(tmp_path):
    """Two versions trained by the real trainer (smoke sizes), bce then lsgan, then built."""
    study = tmp_path / "experiments/two"
    study.mkdir(parents=True)
    (study / "study.yaml").write_text(textwrap.dedent("""\
        title: Two losses
        versions: [v1, v2]
        seed: 1
        noise_seed: 7
        dataset: {name: abstract, kind: procedural, image_size: 32, count: 48, seed: 0}
        model: {z_dim: 16, g_features: 8, d_features: 8}
        loss: {name: bce}
        train: {epochs: 2, batch_size: 16, log_every: 1, sample_every: 1}
        """))
    (study / "v1.yaml").write_text("title: BCE\n")
    (study / "v2.yaml").write_text("title: Least squares\nparent: v1\nloss: {name: lsgan}\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    train = [sys.executable, "-m", "training", str(study), "--out", str(tmp_path / "runs"),
             "--profile", "smoke", "--device", "cpu", "--no-progress"]
    done = subprocess.run(train, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "src").mkdir()
    (tmp_path / "src/index.md").write_text("---\nstudy: two\n---\n{% loss_plot v2 %}\n")
    build = [sys.executable, "-m", "ganreport", "build", "--src", str(tmp_path / "src"),
             "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "_site"), "--strict"]
    done = subprocess.run(build, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "_site"
    for version, loss in (("v1", "bce"), ("v2", "lsgan")):
        labels = set().union(*map(_labels, _page_svgs(site, "", f"studies/two/{version}")))
        assert runformat.quantity("loss_d", loss).label in labels, (version, labels)
        assert ("probability" in labels) == (loss == "bce"), (version, labels)
