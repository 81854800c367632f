"""build() end to end over three fixture studies (bce, lsgan, wgan-gp): pages, assets,
baseurl, MathJax, escaping, incremental figures, failed builds and half-written runs."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from ganreport.errors import UserError
from ganreport.pipeline import build
from tests.ganreport.site_fixture import INDEX, INDEX_DIRECTIVE_LINE, write_site_src
from tests.run_fixtures import STUDIES, write_all_studies, write_run

BASEURL = "/my-repo"
RUN_PAGES = [f"/studies/{study}/{version}/" for study, (_, _, versions) in STUDIES.items()
             for version in versions]
PAGES = ["/", "/about/", "/studies/", "/setbacks/", *RUN_PAGES,
         *(f"/studies/{study}/" for study in STUDIES),
         *(f"/studies/{study}/compare/" for study in STUDIES)]


class _Refs(HTMLParser):
    """Every href/src (and slider frame src) of a page, plus its script srcs and tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.progressions: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        for name in ("href", "src"):
            if name in values:
                self.refs.append((f"{tag} {name}", values[name]))
        if tag == "script":
            self.scripts.append(values.get("src", ""))
        if "data-frames" in values:
            self.progressions.append(values)
            for frame in json.loads(values["data-frames"]):
                self.refs.append((f"{tag} data-frames", frame["src"]))


def parse(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_file(site: Path, url: str) -> Path:
    return site / url.lstrip("/") / "index.html"


def _build(root: Path, **kwargs):
    return build(root / "site_src", root / "runs", root / "_site", cache_dir=root / "cache",
                 log=lambda line: None, **kwargs)


@pytest.fixture(scope="module")
def built(tmp_path_factory, figure_cache):
    """One build of the small site over the three studies (5 epochs) under BASEURL."""
    root = tmp_path_factory.mktemp("built")
    (root / "cache").symlink_to(figure_cache)
    write_site_src(root)
    write_all_studies(root / "runs", epochs=5)
    result = _build(root, baseurl=BASEURL)
    return root, root / "_site", result


@pytest.fixture
def fresh(tmp_path, figure_cache):
    """A root with site_src and runs, not built yet (for tests that change things); its
    figure cache is the session's, so unchanged figures are not drawn again."""
    (tmp_path / "cache").symlink_to(figure_cache)
    write_site_src(tmp_path)
    write_all_studies(tmp_path / "runs", epochs=5)  # as `built`: its figures are cached
    return tmp_path


def test_build_produces_every_page_and_asset(built):
    root, site, result = built
    assert sorted(result.pages) == sorted([*PAGES, "/404.html"])
    for url in PAGES:
        assert page_file(site, url).is_file(), url
    assert f'href="{BASEURL}/studies/"' in (site / "404.html").read_text()
    for path in ["assets/css/site.css", "assets/js/slider.js", ".nojekyll", "assets/photo.png",
                 "assets/mathjax/es5/startup.js", "assets/mathjax/LICENSE",
                 "assets/mathjax/es5/input/tex.js", "assets/mathjax/es5/ui/menu.js",
                 "assets/mathjax/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                 "assets/mathjax/es5/input/tex/extensions/cancel.js",
                 "assets/runs/abstract/v1/epoch_0000.webp",
                 "assets/runs/abstract/v3/epoch_0005.webp",
                 "assets/runs/critic/v2/epoch_0005.webp"]:
        assert (site / path).is_file(), path
    plots = sorted(p.name for p in (site / "assets/plots").iterdir())
    for prefix in ["loss-abstract--v1-", "loss-critic--v2-", "d-outputs-squares--v1-",
                   "d-outputs-abstract--v3-", "compare-abstract--v1-abstract--v2-abstract--v3-",
                   "compare-critic--v1-critic--v2-"]:
        assert any(name.startswith(prefix) and name.endswith(".svg") for name in plots), prefix
    assert not list(root.glob("_site.tmp-*")) and not list(root.glob("_site.old-*"))


def test_every_href_and_src_carries_the_baseurl_and_exists(built):
    _, site, _ = built
    for html in site.rglob("*.html"):
        for where, value in parse(html).refs:
            if value.startswith(("http://", "https://", "#", "mailto:")):
                continue
            assert value.startswith(BASEURL + "/"), f"{html}: {where} {value!r} lacks the baseurl"
            target = site / unquote(value[len(BASEURL) + 1:].split("#")[0].split("?")[0])
            assert target.is_file() or (target / "index.html").is_file(), f"{html}: {value}"


def test_author_links_get_the_baseurl(built):
    _, site, _ = built
    home = page_file(site, "/").read_text()
    assert f'href="{BASEURL}/studies/abstract/compare/"' in home
    assert f'src="{BASEURL}/assets/photo.png"' in home
    assert f'href="{BASEURL}/"' in page_file(site, "/about/").read_text()


def test_mathjax_is_loaded_only_on_pages_with_math(built):
    _, site, _ = built
    mathjax = f"{BASEURL}/assets/mathjax/es5/startup.js"
    home = parse(page_file(site, "/"))
    assert mathjax in home.scripts
    assert "window.MathJax" in page_file(site, "/").read_text()
    for url in ["/about/", "/studies/", "/studies/abstract/v1/", "/studies/critic/compare/",
                "/setbacks/"]:
        text = page_file(site, url).read_text()
        assert "mathjax" not in text.lower(), f"{url} loads MathJax but has no math"


def _enlarge_links(text: str) -> list[str]:
    return re.findall(r'<a class="enlarge"[^>]*>', text)


def test_every_enlargeable_grid_carries_its_runs_grid_geometry(fresh):
    """abstract/v2 drawn 4 wide: each of its grids' links says 4 columns (slider, strip,
    real images, compare-page thumbnails) while v1's keep 8: the lightbox reads these."""
    shutil.rmtree(fresh / "runs/abstract/v2")
    write_run(fresh / "runs", "v2", study="abstract", epochs=5, spike_at=7, columns=4)
    _build(fresh)
    site = fresh / "_site"
    four = 'data-grid-columns="4" data-grid-padding="2"'
    eight = 'data-grid-columns="8" data-grid-padding="2"'
    links = _enlarge_links(page_file(site, "/studies/abstract/v2/").read_text())
    assert len(links) > 3 and all(four in link for link in links), links
    links = _enlarge_links(page_file(site, "/studies/abstract/v1/").read_text())
    assert links and all(eight in link for link in links), links
    compare = page_file(site, "/studies/abstract/compare/").read_text()
    rows = {row: _enlarge_links(cells) for row, cells in re.findall(
        r'<tr[^>]*data-gallery="abstract/(v\d)">(.*?)</tr>', compare, re.S)}
    assert rows["v2"] and all(four in link for link in rows["v2"])
    assert rows["v1"] and all(eight in link for link in rows["v1"])


def test_version_page_answers_what_changed_happened_took_and_how(built):
    _, site, _ = built
    text = page_file(site, "/studies/abstract/v2/").read_text()
    for needle in ["What changed", "model.g_activation", "leaky_relu", "loss-abstract--v2-",
                   "d-outputs-abstract--v2-", "loss-abstract--v2-phone-",
                   'aria-label="abstract/v2 samples, epoch"', "cpu (2 threads)", "Wall time",
                   "Images/s", "0123456789abcdef0123456789abcdef01234567",
                   "ganreport train experiments/abstract/v2.yaml --profile cpu",
                   "trained with the cpu profile: epochs 300→4", "noise_seed: 1234"]:
        assert needle in text, needle
    assert "progression.webp" not in text, "the slider is the animation: no second copy"
    assert "first version of the study" in page_file(site, "/studies/abstract/v1/").read_text()


def test_slider_contract(built):
    _, site, _ = built
    page = parse(page_file(site, "/studies/abstract/v3/"))
    (figure,) = page.progressions
    assert "progression" in figure["class"].split() and figure["data-run"] == "abstract/v3"
    frames = json.loads(figure["data-frames"])
    assert [frame["epoch"] for frame in frames] == [0, 1, 2, 3, 4, 5]
    tags = {values.get("class", ""): (tag, values) for tag, values in page.tags}
    tag, slider = tags["epoch-slider"]
    assert tag == "input" and slider["type"] == "range"
    assert slider["aria-label"] == "abstract/v3 samples, epoch"
    assert (slider["min"], slider["max"], slider["step"], slider["value"]) == ("0", "5", "1", "5")
    text = page_file(site, "/studies/abstract/v3/").read_text()
    assert '<output class="epoch-label">Epoch 5</output>' in text
    image = next(v for t, v in page.tags if "epoch-image" in v.get("class", ""))
    assert image["alt"] == "abstract/v3 samples at epoch 5, fixed noise"
    assert image["width"] and image["height"]
    assert 'class="progression-strip"' in text
    assert f"{BASEURL}/assets/js/slider.js" in page.scripts
    home = parse(page_file(site, "/"))
    assert [f["epoch"] for f in json.loads(home.progressions[0]["data-frames"])] == [0, 1, 3]


def test_every_image_has_alt_and_size(built):
    _, site, _ = built
    for html in site.rglob("*.html"):
        for tag, values in parse(html).tags:
            if tag == "img":
                assert values.get("alt"), f"{html}: {values}"
                if "assets/photo.png" not in values["src"]:
                    assert values.get("width") and values.get("height"), f"{html}: {values}"


def test_compare_table_shows_only_differing_settings(built):
    _, site, _ = built
    text = page_file(site, "/studies/abstract/compare/").read_text()
    table = text[text.index('<table class="compare-table">'):]
    table = table[:table.index("</table>")]
    keys = {tag_values for tag_values in _row_keys(table)}
    assert keys == {"loss.fake_label_range", "loss.real_label_range", "model.g_activation"}


def _row_keys(table_html: str) -> list[str]:
    import re

    return re.findall(r'<th scope="row"><code>([^<]+)</code>', table_html)


def test_setbacks_page_has_author_text_and_every_study_grouped(built):
    _, site, _ = built
    text = page_file(site, "/setbacks/").read_text()
    assert "The author&#39;s own notes" in text or "The author's own notes" in text
    positions = [text.index(f'id="study-{study}"') for study in sorted(STUDIES)]
    assert positions == sorted(positions)
    for page in RUN_PAGES:
        study, version = page.strip("/").split("/")[1:]
        assert f'id="{study}--{version}"' in text
    # abstract/v2 has a loss spike at step 7: the detector finds it, with a plot marking it
    v2 = text.split('id="abstract--v2"')[1].split('id="abstract--v3"')[0]
    assert "<strong>Loss spike</strong> (warning, epoch 2, step 7)" in v2
    assert "G loss (BCE, non-saturating) spiked to" in v2 and "setback-" in v2


def test_second_build_redraws_nothing(tmp_path):
    write_site_src(tmp_path)
    write_all_studies(tmp_path / "runs", epochs=3)
    first = _build(tmp_path)
    figures = sorted((tmp_path / "_site/assets/plots").iterdir()) + sorted(
        (tmp_path / "_site/assets/runs").rglob("*.webp"))  # grids and animations
    mtimes = {path.relative_to(tmp_path): path.stat().st_mtime_ns for path in figures}
    second = _build(tmp_path)
    assert first.redrawn > 0 and second.redrawn == 0 and second.reused >= first.redrawn
    after = {p: (tmp_path / p).stat().st_mtime_ns for p in mtimes}
    assert after == mtimes
    # A changed run redraws only its own figures and the comparisons that include it.
    write_run(tmp_path / "runs", "v3", epochs=4)
    third = _build(tmp_path)
    # v3 loss, v3 D outputs, compare-v1-v2-v3 (one chart on the home, study and compare
    # pages), each drawn wide and for a phone, and the one new grid (epoch 4): the grids of
    # epochs 0-3 and the real images have the same content, so their web copies are reused.
    assert third.redrawn == 7


def test_failed_build_leaves_previous_site_and_names_page_line_and_runs(fresh):
    _build(fresh)
    before = (fresh / "_site/index.html").read_bytes()
    lines = INDEX.split("\n")
    lines.insert(INDEX_DIRECTIVE_LINE - 1, "{% loss_plot v9 %}")
    (fresh / "site_src/index.md").write_text("\n".join(lines))
    with pytest.raises(UserError) as error:
        _build(fresh)
    message = str(error.value)
    assert f"index.md:{INDEX_DIRECTIVE_LINE}:" in message and "\n" not in message
    assert "no run abstract/v9" in message
    assert "abstract/v1, abstract/v2, abstract/v3" in message
    assert (fresh / "_site/index.html").read_bytes() == before
    assert not list(fresh.glob("_site.tmp-*"))


def test_missing_epoch_lists_the_epochs_that_exist(fresh):
    text = INDEX.replace("{% samples v2 epoch=last %}", "{% samples v2 epoch=40 %}")
    (fresh / "site_src/index.md").write_text(text)
    with pytest.raises(UserError, match=r"index\.md:\d+: .*epoch 40.*0, 1, 2, 3, 4, 5"):
        _build(fresh)


def test_user_text_is_escaped(fresh):
    evil = "<script>alert(1)</script>"
    write_run(fresh / "runs", "v<script>", order=4, epochs=2,
              overrides={"title": evil, "optim": {"lr": evil},
                         "description": f"{evil} <img src=x onerror=alert(2)> $x^2$"})
    about = f'---\ntitle: "{evil}"\npermalink: /about/\n---\nx\n'
    (fresh / "site_src/about.md").write_text(about)
    _build(fresh)
    site = fresh / "_site"
    pages = [site / "studies/abstract/v<script>/index.html",
             site / "studies/abstract/compare/index.html", site / "studies/abstract/index.html",
             site / "about/index.html", site / "setbacks/index.html"]
    for page in pages:
        text = page.read_text()
        assert "<script>alert" not in text and "v<script>" not in text, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page
    assert "v&lt;script&gt;" in (site / "studies/abstract/index.html").read_text()
    version = (site / "studies/abstract/v<script>/index.html").read_text()
    assert "onerror=" not in version.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    assert "&lt;img src=x onerror=alert(2)&gt;" in version, "the description shows as text"
    assert '<span class="arithmatex">\\(x^2\\)</span>' in version, "its math still typesets"
    assert 'href="/studies/abstract/v%3Cscript%3E/"' in \
        (site / "studies/abstract/index.html").read_text()


RAW_MATH_PAGE = """\
---
title: Raw math
permalink: /raw/
---
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
<p>Display $$x^2$$ and <a href="/studies/">studies</a>.</p>
"""


def test_html_page_loses_its_cdn_mathjax_and_gets_the_sites(fresh):
    (fresh / "site_src/raw.html").write_text(RAW_MATH_PAGE)
    result = _build(fresh, baseurl=BASEURL)
    page = fresh / "_site/raw/index.html"
    text = page.read_text()
    assert "cdn.jsdelivr" not in text
    assert any("raw.html:5: removed the page's own MathJax" in w for w in result.warnings)
    assert f"{BASEURL}/assets/mathjax/es5/startup.js" in parse(page).scripts
    assert '<div class="arithmatex-page">' in text and "$$x^2$$" in text
    assert "startup" in text and "'.arithmatex-page'" in text, "the config for raw HTML math"
    assert f'href="{BASEURL}/studies/"' in text
    about = (fresh / "_site/about/index.html").read_text()
    assert "arithmatex-page" not in about


def test_static_file_may_not_replace_a_generated_page(fresh):
    (fresh / "site_src/studies/critic/compare").mkdir(parents=True)
    (fresh / "site_src/studies/critic/compare/index.html").write_text("<p>mine</p>")
    with pytest.raises(UserError, match=r"site_src/studies/critic/compare/index\.html would "
                                        r"overwrite _site/studies/critic/compare/index\.html, "
                                        r"written by compare page critic"):
        _build(fresh)


def test_static_file_may_not_replace_a_figure_or_mathjax(fresh):
    (fresh / "site_src/assets/mathjax/es5").mkdir(parents=True)
    (fresh / "site_src/assets/mathjax/es5/startup.js").write_text("// mine")
    with pytest.raises(UserError, match="would overwrite the generated _site/assets/mathjax"):
        _build(fresh)


def test_static_file_replaces_a_theme_asset_on_purpose(fresh):
    """A site_src/assets/css/site.css is the author's restyling: it wins, without a warning."""
    (fresh / "site_src/assets/css").mkdir(parents=True)
    (fresh / "site_src/assets/css/site.css").write_text("body { color: red }")
    result = _build(fresh)
    assert (fresh / "_site/assets/css/site.css").read_text() == "body { color: red }"
    assert (fresh / "_site/assets/js/slider.js").is_file()
    assert not any("site.css" in w for w in result.warnings)


def test_static_404_page_is_used_instead_of_the_generated_one(fresh):
    (fresh / "site_src/404.html").write_text("<p>my own not-found page</p>")
    _build(fresh)
    assert (fresh / "_site/404.html").read_text() == "<p>my own not-found page</p>"


def test_markdown_pages_get_liquid_site_and_page_variables(fresh):
    (fresh / "site_src/liquid.md").write_text(
        "---\ntitle: Liquid\npermalink: /liquid/\n---\n"
        "{{ page.title }} on {{ site.title }}: [home]({{ site.baseurl }}/)\n")
    _build(fresh, baseurl=BASEURL)
    text = (fresh / "_site/liquid/index.html").read_text()
    assert "Liquid on Test study" in text
    assert f'<a href="{BASEURL}/">home</a>' in text, "baseurl once, not twice"


def test_baseurl_from_config_and_cli_override(tmp_path):
    write_site_src(tmp_path, config="title: T\nbaseurl: /from-config/\n")
    write_all_studies(tmp_path / "runs", epochs=3)
    _build(tmp_path)
    assert 'href="/from-config/assets/css/site.css"' in (tmp_path / "_site/index.html").read_text()
    _build(tmp_path, baseurl="/override")
    text = (tmp_path / "_site/index.html").read_text()
    assert 'href="/override/assets/css/site.css"' in text and "/from-config" not in text


def test_unknown_layout_falls_back_to_default_with_a_warning(fresh):
    (fresh / "site_src/odd.md").write_text("---\nlayout: fancy\ntitle: Odd\n---\nHello\n")
    result = _build(fresh)
    assert any("odd.md" in w and "fancy" in w for w in result.warnings)
    assert "Hello" in (fresh / "_site/odd.html").read_text()


# -- half-written run folders ----------------------------------------------------------------


def test_torn_last_jsonl_line_is_tolerated(fresh):
    metrics = fresh / "runs/abstract/v2/metrics.jsonl"
    metrics.write_text(metrics.read_text() + '{"step": 99, "epoch": 3, "loss_d": 0.')
    result = _build(fresh)
    assert any("metrics.jsonl" in w and "torn" in w for w in result.warnings)
    assert "/studies/abstract/v2/" in result.pages and result.damaged == []


def test_run_without_summary_is_skipped_with_a_warning(fresh):
    write_run(fresh / "runs", "v4", order=4, epochs=2)
    (fresh / "runs/abstract/v4/summary.json").unlink()
    result = _build(fresh)
    assert any("v4" in w and "summary.json" in w for w in result.warnings)
    assert "/studies/abstract/v4/" not in result.pages
    assert "/studies/abstract/v3/" in result.pages


def test_other_format_version_is_an_error(fresh):
    summary = fresh / "runs/critic/v1/summary.json"
    data = json.loads(summary.read_text())
    summary.write_text(json.dumps({**data, "format_version": 3}))
    with pytest.raises(UserError, match=r"critic/v1/summary\.json: format_version 3"):
        _build(fresh)


def test_no_runs_still_builds_with_a_warning(tmp_path):
    write_site_src(tmp_path)
    (tmp_path / "site_src/index.md").write_text("---\nlayout: home\n---\nNo runs yet.\n")
    (tmp_path / "runs").mkdir()
    result = _build(tmp_path, allow_empty=True)
    assert any("no runs" in w for w in result.warnings)
    assert sorted(result.pages) == ["/", "/404.html", "/about/", "/setbacks/", "/studies/"]
