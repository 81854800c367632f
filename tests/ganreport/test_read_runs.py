"""Run folders -> Run: the format contract, torn lines, half-written folders, study choice."""

from __future__ import annotations

import pytest

from ganreport.errors import UserError
from ganreport.read_runs import choose_study, read_jsonl, read_run, read_study
from tests.run_fixtures import write_run, write_study


def test_read_run_reads_every_file(tmp_path):
    run = read_run(write_run(tmp_path, "v2", epochs=3), [])
    assert run.version == "v2" and run.study == "abstract" and run.parent == "v1"
    assert run.title == "Label smoothing + LeakyReLU G" and run.status == "complete"
    assert run.sample_epochs == [0, 1, 2, 3]
    assert len(run.metrics) == 15 and len(run.epochs) == 3
    assert run.env["device"] == "cpu"


def test_torn_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "lo')
    warnings = []
    assert read_jsonl(path, warnings) == [{"step": 1}, {"step": 2}]
    assert warnings == [f"{path}:3: skipped torn last line"]


def test_bad_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\nnot json\n{"step": 3}\n')
    with pytest.raises(UserError, match=r"m\.jsonl:2: bad JSON"):
        read_jsonl(path, [])


def test_missing_files_are_empty_or_skip_the_run(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    (folder / "metrics.jsonl").unlink()
    assert read_run(folder, []).metrics == []
    (folder / "summary.json").unlink()
    warnings = []
    assert read_run(folder, warnings) is None
    assert "summary.json" in warnings[0]


def test_unreadable_summary_is_an_error(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=2)
    (folder / "summary.json").write_text("{")
    with pytest.raises(UserError, match="summary.json: not valid JSON"):
        read_run(folder, [])


def test_read_study_sorts_by_order(tmp_path):
    write_study(tmp_path, epochs=2)
    study = read_study(tmp_path, "abstract")
    assert [run.version for run in study.runs] == ["v1", "v2", "v3"]


def test_choose_study(tmp_path):
    assert choose_study(tmp_path / "missing", None) is None
    write_run(tmp_path, "v1", epochs=1)
    assert choose_study(tmp_path, None) == "abstract"
    write_run(tmp_path, "v1", study="other", epochs=1)
    with pytest.raises(UserError, match="several studies"):
        choose_study(tmp_path, None)
    with pytest.raises(UserError, match="studies found: abstract, other"):
        choose_study(tmp_path, "nope")
    assert choose_study(tmp_path, "other") == "other"
