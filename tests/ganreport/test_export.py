"""`ganreport export`: a light, committable bundle that builds the same site as the full runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ganreport.__main__ import main
from ganreport.export import EXPORT_MARKER
from ganreport.pipeline import build
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_all_studies

LIGHT = ["config.yaml", "env.json", "epochs.jsonl", "events.jsonl", "metrics.jsonl",
         "quality.jsonl", "samples/epoch_0000.png", "samples/epoch_0001.png",
         "samples/epoch_0002.png", "samples/epoch_0003.png", "samples/real.png", "summary.json"]


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """A trained-looking study: the light files plus checkpoints, a heartbeat and a log."""
    runs = tmp_path_factory.mktemp("full") / "runs"
    for run in [run for runs_of in write_all_studies(runs, epochs=3).values() for run in runs_of]:
        shutil.copy(run / "samples/epoch_0000.png", run / "samples/real.png")
        (run / "quality.jsonl").write_text(json.dumps({"epoch": 3, "swd": 0.5}) + "\n")
        (run / "events.jsonl").write_text(json.dumps({"step": 4, "event": "resume"}) + "\n")
        (run / "heartbeat.json").write_text(json.dumps({"pid": 1, "host": "gpu-box"}))
        (run / "checkpoints/last.pt").write_bytes(b"\0" * 200_000)
        (run / "checkpoints/previous.pt").write_bytes(b"\0" * 200_000)
        (run / "train.log").write_text("step 1\n")
    return runs


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_export_keeps_what_the_site_reads_and_no_checkpoints(full_runs, tmp_path, capsys):
    out = tmp_path / "bundles/abstract"
    assert main(["export", "abstract", "--runs", str(full_runs), "--out", str(out)]) == 0
    assert _files(out) == [EXPORT_MARKER] + [f"{v}/{name}" for v in ("v1", "v2", "v3")
                                             for name in LIGHT]
    for name in LIGHT:
        assert (out / "v2" / name).read_bytes() == (full_runs / "abstract/v2" / name).read_bytes()
    report = capsys.readouterr().out
    assert "exported abstract: 3 versions, 36 files" in report
    assert "left out: 1.1 MiB" in report  # six 200 kB checkpoints, heartbeats and logs
    assert f"--runs {out.parent}" in report


def test_site_built_from_the_export_is_the_site_built_from_the_runs(full_runs, tmp_path):
    """Every file of both sites, byte for byte: nothing is ignored."""
    write_site_src(tmp_path)
    for study in sorted(p.name for p in full_runs.iterdir()):
        assert main(["export", study, "--runs", str(full_runs),
                     "--out", str(tmp_path / "bundles" / study)]) == 0
    for runs, name in ((full_runs, "from-runs"), (tmp_path / "bundles", "from-bundles")):
        build(tmp_path / "site_src", runs, tmp_path / name, baseurl="/repo",
              cache_dir=tmp_path / f"cache-{name}", log=lambda line: None)
    from_runs, from_bundles = tmp_path / "from-runs", tmp_path / "from-bundles"
    assert _files(from_runs) == _files(from_bundles)
    different = [name for name in _files(from_runs)
                 if (from_runs / name).read_bytes() != (from_bundles / name).read_bytes()]
    assert not different
    assert len([name for name in _files(from_runs) if name.endswith(".html")]) >= 8


def test_export_default_folder_is_bundles_study(full_runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "abstract", "--runs", str(full_runs)]) == 0
    assert (tmp_path / "bundles/abstract/v1/config.yaml").is_file()


def test_export_again_replaces_its_own_bundle(full_runs, tmp_path):
    out = tmp_path / "bundle"
    assert main(["export", "abstract", "--runs", str(full_runs), "--out", str(out)]) == 0
    (out / "v1/stale.txt").write_text("from an older export")
    assert main(["export", "abstract", "--runs", str(full_runs), "--out", str(out)]) == 0
    assert not (out / "v1/stale.txt").exists() and (out / EXPORT_MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_export_over_a_folder_it_did_not_make_refuses_and_keeps_it(full_runs, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    assert main(["export", "abstract", "--runs", str(full_runs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and err.count("\n") == 1 and EXPORT_MARKER in err
    assert _files(out) == ["notes.md"]


def test_export_into_the_runs_folder_refuses(full_runs, capsys):
    before = _files(full_runs)
    out = full_runs / "abstract"
    assert main(["export", "abstract", "--runs", str(full_runs), "--out", str(out)]) == 2
    assert "lies inside the --runs folder" in capsys.readouterr().err
    assert _files(full_runs) == before


def test_export_of_an_unknown_study_lists_the_studies(full_runs, tmp_path, capsys):
    assert main(["export", "abstrac", "--runs", str(full_runs), "--out",
                 str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "studies found: abstract" in err
    assert not (tmp_path / "b").exists()
