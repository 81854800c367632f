"""Many studies, one site: the studies index, study pages and write-ups, real images beside
samples, --study, the page-kind registry and link checks before anything is written."""

from __future__ import annotations

import re
import shutil

import pytest

from ganreport import runformat
from ganreport.errors import UserError
from ganreport.pages import KINDS, PlannedPage, page_kind
from ganreport.pages import registry as page_registry
from ganreport.pipeline import build
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_all_studies

WRITEUP = """\
---
title: Squares, written up
---
Why least squares: D is trained towards its targets, $a$ and $b$.

{% d_plot v2 %}
"""


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("clean") / "runs"
    write_all_studies(runs, epochs=5)
    return runs


@pytest.fixture
def root(tmp_path, clean_runs, figure_cache):
    shutil.copytree(clean_runs, tmp_path / "runs")
    write_site_src(tmp_path)
    (tmp_path / "cache").symlink_to(figure_cache)
    return tmp_path


def _build(root, **options):
    return build(root / "site_src", root / "runs", root / "_site", cache_dir=root / "cache",
                 log=lambda line: None, **options)


def _page(root, url: str) -> str:
    return (root / "_site" / url.strip("/") / "index.html").read_text(encoding="utf-8")


def _sizes(html: str, alt_start: str) -> list[tuple[str, str]]:
    return re.findall(r'alt="' + re.escape(alt_start) + r'[^"]*" width="(\d+)" height="(\d+)"',
                      html)


def test_studies_index_has_a_card_per_study(root):
    _build(root, baseurl="/r")
    cards = _page(root, "/studies/").split('<li class="study-card"')[1:]
    assert len(cards) == 3
    for card, (study, title, count) in zip(cards, (
            ("abstract", "Abstract art DCGAN", 3), ("critic", "A WGAN-GP critic", 2),
            ("squares", "Least squares on abstract art", 2)), strict=True):
        assert f'id="study-{study}"' in card
        assert title in card and f"{count} versions" in card and "abstract, 16 px" in card
        assert f'href="/r/studies/{study}/v2/"' in card and ": complete" in card
        assert "samples at epoch 5" in card, "the latest grid"


def test_study_page_shows_real_images_beside_the_latest_samples(root):
    _build(root)
    text = _page(root, "/studies/critic/")
    real = _sizes(text, "64 real training images")
    latest = _sizes(text, "critic/v")
    assert len(real) == 1 and len(latest) == 2 and set(latest) == set(real)
    assert "Original: real training images." in text
    assert 'href="/studies/critic/compare/"' in text


def test_version_page_shows_real_images_at_the_size_of_the_samples(root):
    _build(root)
    text = _page(root, "/studies/squares/v1/")
    real = _sizes(text, "64 real training images")
    final = _sizes(text, "squares/v1 samples at epoch 5")
    assert real and real[0] == final[0]


def test_compare_page_starts_with_an_original_column(root):
    _build(root)
    text = _page(root, "/studies/abstract/compare/")
    table = text[text.index('<table class="grid-compare">'):]
    header = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert header[:2] == ["Version", "Original"] and header[2].startswith("Epoch")
    assert table.count('class="original" rowspan="3"') == 1, "one real grid for the study"
    webps = {path.name for path in (root / "_site/assets/runs/abstract").rglob("real.webp")}
    assert webps == {"real.webp"} and len(list((root / "_site").rglob("real.webp"))) == 3


def test_compare_page_leaves_out_epochs_whose_grids_are_one_tile_repeated(root):
    """An untrained G draws the same grey tile 64 times: that epoch gets no column. An epoch
    where only one version is flat keeps its column (the others say something)."""
    from PIL import Image

    from ganreport.detectors.grids import COLUMNS, PADDING

    def flatten(path, shade):
        with Image.open(path) as image:
            width, height = image.size
        flat = Image.new("RGB", (width, height), (0, 0, 0))
        side = (width - PADDING) // COLUMNS - PADDING
        tile = Image.new("RGB", (side, side), (shade, shade, shade))
        for top in range(PADDING, height - side + 1, side + PADDING):
            for left in range(PADDING, width - side + 1, side + PADDING):
                flat.paste(tile, (left, top))
        flat.save(path)

    for version in ("v1", "v2", "v3"):
        flatten(root / "runs/abstract" / version / runformat.sample_name(0), 128)
    flatten(root / "runs/critic/v1" / runformat.sample_name(0), 90)
    _build(root)
    for study, has_epoch_0 in (("abstract", False), ("critic", True)):
        text = _page(root, f"/studies/{study}/compare/")
        table = text[text.index('<table class="grid-compare">'):]
        header = re.findall(r'<th scope="col">Epoch (\d+)</th>', table)
        assert ("0" in header) == has_epoch_0, (study, header)
        assert header[-1] == "5", "the last epoch is always compared"


def test_runs_without_real_images_just_do_not_show_them(root):
    for version in ("v1", "v2"):
        (root / "runs/critic" / version / runformat.REAL_GRID).unlink()
    _build(root)
    for url in ("/studies/critic/", "/studies/critic/v1/", "/studies/critic/compare/"):
        text = _page(root, url)
        assert "real training images" not in text and "Original" not in text, url
    assert "Original" in _page(root, "/studies/squares/compare/")


def test_a_study_writeup_replaces_the_generated_overview(root):
    (root / "site_src/studies").mkdir()
    (root / "site_src/studies/squares.md").write_text(WRITEUP)
    result = _build(root)
    text = _page(root, "/studies/squares/")
    assert "Squares, written up" in text and "d-outputs-squares--v2-" in text
    assert 'class="arithmatex"' in text and "mathjax/es5/startup.js" in text
    assert "<h2>Versions</h2>" in text, "the versions are listed after the write-up"
    assert "/studies/squares.html" not in result.pages


def test_study_option_leaves_other_studies_and_their_pages_out(root):
    (root / "site_src/studies").mkdir()
    (root / "site_src/studies/abstract.md").write_text("# Abstract\n\n{% loss_plot v1 %}\n")
    (root / "site_src/elsewhere.md").write_text(
        "---\ntitle: E\n---\n{% loss_plot abstract/v1 %}\n\n{% loss_plot critic/v1 %}\n\n"
        "[abstract](/studies/abstract/)\n")
    result = _build(root, studies=["critic"])
    assert not (root / "_site/studies/abstract").exists()
    assert "/" in result.pages and "/studies/critic/v2/" in result.pages
    home = _page(root, "/")
    assert "critic" in home and "A small study" not in home, "the home page of abstract left out"
    text = (root / "_site/elsewhere.html").read_text()
    assert "abstract/v1 belongs to a study left out by --study" in text
    assert "loss-critic--v1-" in text
    joined = "\n".join(result.warnings)
    for needle in ("index.md: left out of this build, its study 'abstract'",
                   "studies/abstract.md: left out of this build",
                   "elsewhere.md:4: abstract/v1 belongs to a study left out",
                   "link '/studies/abstract/' goes to a study left out"):
        assert needle in joined, needle


def test_a_broken_internal_link_stops_the_build_before_writing(root):
    _build(root)
    before = (root / "_site/index.html").read_bytes()
    (root / "site_src/about.md").write_text(
        "---\npermalink: /about/\n---\n[v9](/studies/abstract/v9/)\n")
    with pytest.raises(UserError, match=r"about\.md: link '/studies/abstract/v9/' goes to no "
                                        r"page or file of this site"):
        _build(root)
    assert (root / "_site/index.html").read_bytes() == before
    assert not list(root.glob("_site.tmp-*"))


def test_a_new_page_kind_is_one_registered_function(root, monkeypatch):
    monkeypatch.setattr(page_registry, "KINDS", dict(KINDS))

    @page_kind("run_index", order=65)
    def plan(site) -> list[PlannedPage]:
        keys = ", ".join(run.key for run in site.catalog.runs)
        return [page_registry.planned("run_index", "/runs/", "run index", "Runs",
                                      lambda: f"<p>{keys}</p>")]

    result = _build(root)
    assert "/runs/" in result.pages
    assert (root / "_site/runs/index.html").read_text() == \
        "<p>abstract/v1, abstract/v2, abstract/v3, critic/v1, critic/v2, squares/v1, squares/v2</p>"
    with pytest.raises(ValueError, match="registered twice"):
        page_kind("run_index", order=1)(plan)


def test_two_kinds_writing_one_file_is_an_error(root):
    (root / "site_src/clash.md").write_text("---\npermalink: /studies/critic/\n---\nmine\n")
    with pytest.raises(UserError, match=r"site_src/clash\.md and study page critic both write "
                                        r"/studies/critic/index\.html of the site"):
        _build(root)
