"""Directive handler: HTML for each directive, errors that list what exists."""

from __future__ import annotations

import pytest

from ganreport import analyse
from ganreport.figures import ROOT_MARKER, Figures
from ganreport.markdown_render import Directive
from ganreport.plot import FigureCache
from ganreport.read_runs import read_study
from ganreport.render import DEFAULT_TEMPLATES, make_environment
from tests.run_fixtures import write_study


@pytest.fixture
def figures(tmp_path):
    write_study(tmp_path / "runs", epochs=3)
    study = read_study(tmp_path / "runs", "abstract")
    colours = analyse.version_colours([run.version for run in study.runs])
    environment = make_environment(DEFAULT_TEMPLATES, "/b", {"version_path": lambda v: v})
    return Figures(study, colours, FigureCache(tmp_path / "cache"), environment, 0.9, "/b")


def test_directive_html_uses_the_root_marker_and_registers_assets(figures):
    html = figures(Directive("samples", ("v2",), {"epoch": "last"}, 3))
    assert f'src="{ROOT_MARKER}/assets/runs/v2/epoch_0003.webp"' in html
    assert 'alt="v2 samples at epoch 3, fixed noise"' in html
    assert "assets/runs/v2/epoch_0003.webp" in figures.assets
    html = figures(Directive("loss_plot", ("v1",), {}, 4))
    assert any(path.startswith("assets/plots/loss-v1-") for path in figures.assets)
    assert 'loading="lazy"' in html
    html = figures(Directive("samples", ("v1",), {"epoch": "0", "caption": "Untrained G"}, 5))
    assert "<figcaption>Untrained G</figcaption>" in html


@pytest.mark.parametrize("directive, message", [
    (Directive("loss_plot", ("v9",), {}, 1), "runs that exist: v1, v2, v3"),
    (Directive("samples", ("v1",), {"epoch": "7"}, 1), "epochs with samples: 0, 1, 2, 3"),
    (Directive("samples", ("v1",), {"epoch": "soon"}, 1), "number or 'last'"),
    (Directive("progression", ("v1",), {"epochs": "0,9"}, 1), "epoch 9"),
    (Directive("compare_table", ("v1", "v8"), {}, 1), "'v8'"),
    (Directive("loss_plot", (), {}, 1), "exactly one version"),
    (Directive("chart", (), {}, 1), "known: loss_plot"),
    (Directive("loss_plot", ("v1",), {"colour": "red"}, 1), "no option colour; options: caption"),
])
def test_bad_directives_say_what_exists(figures, directive, message):
    with pytest.raises(ValueError, match=message):
        figures(directive)


def test_compare_directives_default_to_every_version(figures):
    html = figures(Directive("compare_table", (), {}, 1))
    assert html.count('<th scope="row"><code>') == 3
    assert "How they ended" in html and "Final G loss" in html
    assert "v3" in figures(Directive("version_list", (), {}, 1))


def test_names_lists_the_directives_it_handles(figures):
    """The Markdown layer tells project directives from Jekyll's Liquid tags by `names`."""
    assert figures.names == {"loss_plot", "d_plot", "samples", "progression", "compare_table",
                             "compare_plot", "version_list"}
    assert isinstance(figures.names, frozenset)
    for name in figures.names:  # each one is known: only the made-up option is refused
        with pytest.raises(ValueError, match="has no option zzz"):
            figures(Directive(name, (), {"zzz": "1"}, 1))
