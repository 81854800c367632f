"""A progressive run on the site: stage starts marked on its plots, grids labelled."""

from __future__ import annotations

from types import SimpleNamespace

from ganreport import charts


def _run(rows: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(metrics=rows)


ROWS = [
    {"step": 2, "epoch": 1, "resolution": 4, "alpha": 1.0, "stage": 0},
    {"step": 4, "epoch": 1, "resolution": 8, "alpha": 0.25, "stage": 1},
    {"step": 6, "epoch": 2, "resolution": 8, "alpha": 1.0, "stage": 1},
    {"step": 8, "epoch": 2, "resolution": 16, "alpha": 0.0, "stage": 2},
]


def test_stage_starts_are_marked_where_the_stage_changes() -> None:
    marks = charts.stage_marks(_run(ROWS))
    assert [(m.x, m.label) for m in marks] == [(2.0, "8 px"), (6.0, "16 px")]


def test_a_run_without_stages_gets_no_marks_or_labels() -> None:
    plain = _run([{"step": 1, "epoch": 1, "loss_d": 0.3}])
    assert charts.stage_marks(plain) == ()
    assert charts.schedule_label(plain, 1) == ""


def test_each_grid_is_labelled_with_the_resolution_and_alpha_of_its_epoch() -> None:
    assert charts.schedule_label(_run(ROWS), 1) == "8 px, α 0.25"
    assert charts.schedule_label(_run(ROWS), 2) == "16 px, α 0"
    assert charts.schedule_label(_run(ROWS), 0) == ""
