"""Charts follow the contract: labels from runformat's table, one kind per axis, no
probability axis where D outputs no probability, targets from the run's config."""

from __future__ import annotations

import pytest

from ganreport import charts, runformat
from ganreport.read_runs import read_catalog
from tests.run_fixtures import write_all_studies


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    write_all_studies(runs, epochs=2)
    return read_catalog(runs)


def _run(catalog, key):
    study, version = key.split("/")
    return catalog.studies[study].by_version()[version]


def _labels(chart):
    return [panel.ylabel for panel in chart.panels]


@pytest.mark.parametrize("key, loss", [("abstract/v1", "bce"), ("squares/v1", "lsgan"),
                                       ("critic/v1", "wgan-gp")])
def test_loss_panels_are_labelled_by_the_table(catalog, key, loss):
    chart = charts.loss_chart(_run(catalog, key), "#123456", 0.9)
    expected = [runformat.quantity(name, loss).label for name in ("loss_d", "loss_g")]
    assert _labels(chart) == expected
    assert chart.name == "loss-" + key.replace("/", "--")


def test_bce_shows_probabilities_on_a_zero_one_axis(catalog):
    chart = charts.discriminator_chart(_run(catalog, "abstract/v1"), "#123456", 0.9)
    (panel,) = chart.panels
    assert panel.kind == "probability" and panel.limits == (0.0, 1.0)
    assert panel.ylabel == "probability"
    assert [s.label for s in panel.series] == ["D(x), real", "D(G(z)), fake",
                                               "D(G(z)) after D's update"]
    assert [r.value for r in panel.references] == [0.5]


def test_lsgan_shows_raw_outputs_against_the_configured_targets(catalog):
    for key, fake_target in (("squares/v1", 0.0), ("squares/v2", -1.0)):
        chart = charts.discriminator_chart(_run(catalog, key), "#123456", 0.9)
        (panel,) = chart.panels
        assert panel.kind == "raw_output" and panel.limits == (None, None)
        assert [s.label for s in panel.series] == ["D output on real", "D output on fake"]
        assert [(b.low, b.high) for b in panel.bands] == [(1.0, 1.0), (fake_target, fake_target)]
        assert "probability" not in " ".join(_labels(chart) + [chart.caption]).lower()


def test_critic_shows_scores_the_estimate_and_the_penalty_never_a_probability(catalog):
    chart = charts.discriminator_chart(_run(catalog, "critic/v1"), "#123456", 0.9)
    assert [panel.kind for panel in chart.panels] == ["critic_score", "wasserstein", "penalty"]
    assert _labels(chart) == ["critic score", "E[D(x)] − E[D(G(z))]", "gradient penalty"]
    assert all(panel.limits == (None, None) for panel in chart.panels)
    text = " ".join(_labels(chart) + [s.label for p in chart.panels for s in p.series])
    assert "probability" not in text.lower() and "D(x), real" not in text


def test_compare_overlays_only_the_same_kind(catalog):
    runs = catalog.studies["abstract"].runs + catalog.studies["critic"].runs
    colours = {run.key: "#000000" for run in runs}
    chart = charts.compare_chart(runs, colours, 0.9)
    kinds = [(panel.kind, len(panel.series)) for panel in chart.panels]
    assert kinds == [("bce_loss", 3), ("critic_loss", 2), ("bce_loss", 3), ("critic_loss", 2),
                     ("wasserstein", 2)]
    assert not chart.figure_legend and all(panel.legend for panel in chart.panels)
    same = charts.compare_chart(catalog.studies["critic"].runs, colours, 0.9)
    assert same.figure_legend and [p.kind for p in same.panels] == ["critic_loss", "critic_loss",
                                                                    "wasserstein"]


def test_series_skip_non_numbers_as_gaps():
    rows = [{"step": 1, "x": 1.0}, {"step": 2, "x": None}, {"step": 3, "x": float("nan")},
            {"step": 4}, {"step": 5, "x": True}]
    assert charts.series_of(rows, "x") == ((1.0, 2.0, 3.0, 5.0), (1.0, None, None, None))


def test_a_run_without_logged_values_has_no_chart(catalog):
    import dataclasses

    run = dataclasses.replace(_run(catalog, "critic/v2"), metrics=[])
    assert charts.loss_chart(run, "#000", 0.9) is None
    assert charts.discriminator_chart(run, "#000", 0.9) is None


def test_figure_panels_take_references_by_quantity_and_charts_take_marks(catalog, tmp_path):
    from ganreport import plot

    run = _run(catalog, "abstract/v2")
    panels = charts.figure_panels(run, runformat.D_FIGURE, "#000", 0.9,
                                  references={"d_x": (charts.Reference(0.9, "aim"),)})
    assert [r.label for r in panels[0].references] == ["cannot tell", "aim"]
    assert charts.figure_panels(run, runformat.QUALITY_FIGURE, "#000", 0.9) == ()
    chart = charts.Chart("zoom", "zoomed", charts.STEP_LABEL, panels, "alt", "caption",
                         marks=(charts.Mark(7, "spike"),), x_range=(4, 10))
    path = tmp_path / "zoom.svg"
    plot.draw_chart(chart, path)
    assert "spike" in path.read_text(), "the mark is labelled"
