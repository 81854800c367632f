"""Run folders -> Runs and Catalog: the contract, torn lines, damage, studies, --study."""

from __future__ import annotations

import json

import pytest

from ganreport import runformat
from ganreport.errors import UserError
from ganreport.findings_view import run_series
from ganreport.read_runs import list_studies, read_catalog, read_run, read_study
from tests.run_fixtures import write_all_studies, write_run, write_study


def _read(folder):
    warnings: list[str] = []
    return read_run(folder, warnings), warnings


def test_read_run_reads_every_file_written_by_run_writer(tmp_path):
    run, warnings = _read(write_run(tmp_path, "v2", epochs=3))
    assert warnings == [] and run.damage == ()
    assert run.key == "abstract/v2" and run.parent == "v1" and run.loss == "bce"
    assert run.title == "Label smoothing + LeakyReLU G" and run.status.state == "complete"
    assert run.format_version == runformat.FORMAT_VERSION
    assert run.sample_epochs == [0, 1, 2, 3]
    assert run.real_grid is not None and run.real_grid.width == run.samples[0].width
    assert len(run.metrics) == 15 and len(run.epochs) == 3
    assert set(run.metrics[0]) >= {"loss_d", "loss_g", "d_x", "d_g_z", "step", "epoch"}
    assert run.env["device"] == "cpu"


@pytest.mark.parametrize("study, loss, names", [
    ("abstract", "bce", {"d_x", "d_g_z"}),
    ("squares", "lsgan", {"d_real", "d_fake"}),
    ("critic", "wgan-gp", {"critic_real", "critic_fake", "wasserstein", "grad_penalty"}),
])
def test_each_loss_logs_the_quantities_of_the_contract(tmp_path, study, loss, names):
    run, _ = _read(write_run(tmp_path, "v1", study=study, epochs=2))
    assert run.loss == loss
    assert names <= set(run.metrics[0])
    contract = {q.name for q in runformat.quantities_for(loss)}
    assert set(run.metrics[0]) <= contract, "only quantities the contract gives this loss"


def test_format_1_folders_still_read(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    for name in (runformat.SUMMARY, runformat.ENV):
        data = json.loads((folder / name).read_text())
        (folder / name).write_text(json.dumps({**data, "format_version": 1}))
    (folder / runformat.REAL_GRID).unlink()  # format 1 had no real grid
    run, warnings = _read(folder)
    assert run.format_version == 1 and run.real_grid is None and not run.damaged
    assert warnings == []


def test_a_run_is_read_with_the_grid_geometry_it_records(tmp_path):
    """A run drawn 4 wide says so in summary.json; the reader takes its word, and the
    grid's width agrees (4 tiles of 16 px, 2 px of padding)."""
    run, warnings = _read(write_run(tmp_path, "v1", epochs=1, columns=4))
    assert run.grid == (4, 2) and warnings == [] and not run.damaged
    assert run.samples[1].width == 4 * 18 + 2 and run.samples[1].height == 16 * 18 + 2
    assert run_series(run).grid == (4, 2)  # the detectors cut its grids so too


@pytest.mark.parametrize("grid", [None, {"columns": 0, "padding": 2}, "8x8"])
def test_runs_without_a_usable_grid_record_read_as_drawn_8_wide_with_2px(tmp_path, grid):
    """Every run before the record was drawn 8 wide with 2 px: that is its geometry."""
    folder = write_run(tmp_path, "v1", epochs=1, columns=4)
    summary = json.loads((folder / runformat.SUMMARY).read_text())
    summary.pop("grid")
    if grid is not None:
        summary["grid"] = grid
    (folder / runformat.SUMMARY).write_text(json.dumps(summary))
    run, _ = _read(folder)
    assert run.grid == runformat.UNRECORDED_GRID == (8, 2)
    assert run.damaged == (grid == "8x8")  # a `grid` that is not a mapping is damage


def test_another_format_version_is_one_line_naming_it(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    data = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**data, "format_version": 7}))
    with pytest.raises(UserError) as error:
        _read(folder)
    message = str(error.value)
    assert "\n" not in message and "summary.json: format_version 7" in message
    assert "reads format versions 1 and 2" in message


def test_torn_last_line_is_skipped_with_a_warning_not_damage(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    metrics = folder / "metrics.jsonl"
    metrics.write_text(metrics.read_text() + '{"step": 11, "lo')
    run, warnings = _read(folder)
    assert len(run.metrics) == 10 and not run.damaged
    assert warnings == [] and run.warnings == (f"{metrics}:11: skipped torn last line",)


def test_missing_summary_or_config_skips_the_run(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    (folder / "metrics.jsonl").unlink()
    run, _ = _read(folder)
    assert run.metrics == [] and not run.damaged, "no metrics yet is not damage"
    (folder / "summary.json").unlink()
    run, warnings = _read(folder)
    assert run is None and "summary.json" in warnings[0] and "skipped" in warnings[0]


def test_read_study_sorts_by_order(tmp_path):
    write_study(tmp_path, epochs=2)
    study = read_study(tmp_path, "abstract")
    assert [run.version for run in study.runs] == ["v1", "v2", "v3"]
    assert study.title == "Abstract art DCGAN"


def test_catalog_reads_every_study_and_only_the_chosen_ones(tmp_path):
    write_all_studies(tmp_path, epochs=1)
    (tmp_path / ".cache").mkdir()  # hidden folders are not studies
    assert list_studies(tmp_path) == ["abstract", "critic", "squares"]
    catalog = read_catalog(tmp_path)
    assert list(catalog.studies) == ["abstract", "critic", "squares"]
    assert catalog.run_keys() == ["abstract/v1", "abstract/v2", "abstract/v3", "critic/v1",
                                  "critic/v2", "squares/v1", "squares/v2"]
    limited = read_catalog(tmp_path, ["squares", "critic", "squares"])
    assert list(limited.studies) == ["critic", "squares"] and limited.excluded == ("abstract",)
    with pytest.raises(UserError, match=r"--study nope: .*studies found: abstract, critic, "
                                        r"squares"):
        read_catalog(tmp_path, ["nope"])


def test_no_runs_is_an_empty_catalog(tmp_path):
    catalog = read_catalog(tmp_path / "missing")
    assert catalog.studies == {} and catalog.runs == []


def test_a_run_kept_aside_by_train_force_is_not_a_version(tmp_path):
    """`train --force` keeps the old run as v2.old-<time> until the new one completes."""
    runs = tmp_path / "runs"
    write_study(runs, epochs=2)
    (runs / "abstract/v2").rename(runs / f"abstract/v2{runformat.SET_ASIDE}20261203-101500")
    write_run(runs, "v2", epochs=2)
    study = read_study(runs, "abstract")
    assert [run.version for run in study.runs] == ["v1", "v2", "v3"]
