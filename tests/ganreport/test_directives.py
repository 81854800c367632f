"""Directives: runs named study/version (or bare under the page's study), errors that list
what exists, studies left out by --study."""

from __future__ import annotations

import pytest

from ganreport import analyse
from ganreport.directives import ROOT_MARKER, Directives
from ganreport.figures import Figures
from ganreport.markdown_render import Directive
from ganreport.pages.common import TEMPLATE_GLOBALS
from ganreport.plot import FigureCache
from ganreport.read_runs import read_catalog
from ganreport.render import DEFAULT_TEMPLATES, make_environment
from tests.run_fixtures import write_all_studies


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    write_all_studies(runs, epochs=3)
    return runs


def _handler(runs_dir, cache, study="abstract", only=None, warnings=None):
    catalog = read_catalog(runs_dir, only)
    colours = {}
    for item in catalog.studies.values():
        colours.update(analyse.version_colours([run.key for run in item.runs]))
    environment = make_environment(DEFAULT_TEMPLATES, "/b", dict(TEMPLATE_GLOBALS))
    figures = Figures(colours, FigureCache(cache), environment, 0.9)
    sink = warnings if warnings is not None else []
    return Directives(figures, catalog, study, "page.md", sink.append)


@pytest.fixture
def handler(runs_dir, figure_cache):
    return _handler(runs_dir, figure_cache)


def test_bare_and_qualified_names(handler):
    html = handler(Directive("samples", ("v2",), {"epoch": "last"}, 3))
    assert f'src="{ROOT_MARKER}/assets/runs/abstract/v2/epoch_0003.webp"' in html
    assert 'alt="abstract/v2 samples at epoch 3, fixed noise"' in html
    assert "assets/runs/abstract/v2/epoch_0003.webp" in handler.figures.assets
    html = handler(Directive("loss_plot", ("critic/v1",), {}, 4))
    assert any(path.startswith("assets/plots/loss-critic--v1-") for path in handler.figures.assets)
    assert 'loading="lazy"' in html
    html = handler(Directive("samples", ("squares/v1",), {"epoch": "0", "caption": "Untrained"},
                             5))
    assert "<figcaption>Untrained</figcaption>" in html


def test_samples_beside_real_images_at_the_same_size(handler):
    html = handler(Directive("samples", ("v1",), {"epoch": "last", "real": "yes"}, 1))
    assert 'alt="64 real training images of abstract"' in html
    sizes = [chunk.split('height="')[0] for chunk in html.split('width="')[1:]]
    assert len(sizes) == 2 and sizes[0] == sizes[1], "real and samples shown alike"


@pytest.mark.parametrize("directive, message", [
    (Directive("loss_plot", ("v9",), {}, 1),
     r"no run abstract/v9 \(from 'v9'\); runs that exist: abstract/v1, abstract/v2, "
     "abstract/v3"),
    (Directive("loss_plot", ("nope/v1",), {}, 1),
     "no study 'nope'.*studies that exist: abstract, critic, squares"),
    (Directive("samples", ("v1",), {"epoch": "7"}, 1), "epochs with samples: 0, 1, 2, 3"),
    (Directive("samples", ("v1",), {"epoch": "soon"}, 1), "number or 'last'"),
    (Directive("progression", ("v1",), {"epochs": "0,9"}, 1), "epoch 9"),
    (Directive("compare_table", ("v1", "v8"), {}, 1), "abstract/v8"),
    (Directive("loss_plot", (), {}, 1), "exactly one run"),
    (Directive("chart", (), {}, 1), "known: loss_plot"),
    (Directive("loss_plot", ("v1",), {"colour": "red"}, 1),
     "no option colour; options: caption"),
])
def test_bad_directives_say_what_exists(handler, directive, message):
    with pytest.raises(ValueError, match=message):
        handler(directive)


def test_bare_names_need_a_study(runs_dir, figure_cache):
    handler = _handler(runs_dir, figure_cache, study=None)
    with pytest.raises(ValueError, match=r"'v1' names no study: write study/version.*"
                                         r"abstract/v1, abstract/v2"):
        handler(Directive("loss_plot", ("v1",), {}, 1))
    assert "critic/v2" in handler(Directive("version_list", ("critic",), {}, 1))


def test_compare_directives_default_to_the_page_study(handler):
    html = handler(Directive("compare_table", (), {}, 1))
    assert html.count('<th scope="row"><code>') == 3
    assert "How they ended" in html and "G loss (BCE, non-saturating)" in html
    assert "abstract/v3" in handler(Directive("version_list", (), {}, 1))
    cards = handler(Directive("study_list", (), {}, 1))
    assert all(f'id="study-{name}"' in cards for name in ("abstract", "critic", "squares"))


def test_a_study_left_out_by_study_option_shows_a_note(runs_dir, figure_cache):
    warnings: list[str] = []
    handler = _handler(runs_dir, figure_cache, only=["critic"], warnings=warnings)
    html = handler(Directive("loss_plot", ("v1",), {}, 7))
    assert "not shown in this build" in html and "abstract/v1" in html
    assert warnings == ["page.md:7: abstract/v1 belongs to a study left out by --study; "
                        "not shown in this build"]
    html = handler(Directive("compare_plot", ("critic/v1", "abstract/v2"), {}, 8))
    assert "critic--v1" in str(handler.figures.assets) and "left out" in warnings[-1]


def test_names_lists_the_directives_it_handles(handler):
    """The Markdown layer tells project directives from Jekyll's Liquid tags by `names`."""
    assert handler.names == {"loss_plot", "d_plot", "samples", "progression", "compare_table",
                             "compare_plot", "version_list", "study_list"}
    for name in handler.names:  # each one is known: only the made-up option is refused
        with pytest.raises(ValueError, match="has no option zzz"):
            handler(Directive(name, (), {"zzz": "1"}, 1))
