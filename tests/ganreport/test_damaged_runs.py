"""A damaged run never stops the build: one warning naming the file, the run marked damaged
on its pages, every other run and study built, exit 0 (2 with --strict), no traceback.
And a run that says "running" without a live writer is shown as interrupted."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
import yaml

from ganreport import runformat
from ganreport.__main__ import main
from ganreport.pipeline import build
from ganreport.run_status import Now
from tests.run_fixtures import write_all_studies

INDEX = """\
---
layout: home
study: abstract
---
Damage must not stop this page.

{% loss_plot v2 %}

{% d_plot v2 %}

{% samples v2 epoch=last real=yes %}

{% progression v2 epochs=0,1,2,3 %}

{% compare_table %}
"""
RUN = "abstract/v2"


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("clean") / "runs"
    write_all_studies(runs, epochs=3)
    return runs


@pytest.fixture
def root(tmp_path, clean_runs, figure_cache):
    shutil.copytree(clean_runs, tmp_path / "runs")
    (tmp_path / "site_src").mkdir()
    (tmp_path / "site_src/index.md").write_text(INDEX)
    (tmp_path / "cache").symlink_to(figure_cache)
    return tmp_path


def _args(root, *extra):
    return ["build", "--src", str(root / "site_src"), "--runs", str(root / "runs"),
            "--out", str(root / "_site"), "--cache", str(root / "cache"), *extra]


def _truncate_png(folder):
    path = folder / "samples/epoch_0002.png"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "samples/epoch_0002.png"


def _not_a_png(folder):
    (folder / runformat.REAL_GRID).write_text("this is not an image")
    return runformat.REAL_GRID


def _string_in_metrics(folder):
    path = folder / runformat.METRICS
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3]["loss_d"] = "abc"
    rows[6]["d_x"] = "0.5"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return runformat.METRICS


def _bad_json_line(folder):
    path = folder / runformat.EPOCHS
    lines = path.read_text().splitlines()
    lines[1] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    return runformat.EPOCHS


def _summary_types(folder):
    path = folder / runformat.SUMMARY
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "epochs_completed": "three", "final": [1, 2],
                                "wall_time_s": "long"}))
    return runformat.SUMMARY


def _config_types(folder):
    path = folder / runformat.CONFIG
    config = yaml.safe_load(path.read_text())
    config["order"] = "second"
    config["loss"]["real_label_range"] = "soft"
    path.write_text(yaml.safe_dump(config))
    return runformat.CONFIG


def _config_unreadable(folder):
    (folder / runformat.CONFIG).write_text("title: [unclosed\n")
    return runformat.CONFIG


def _env_missing(folder):
    (folder / runformat.ENV).unlink()
    return runformat.ENV


def _unknown_status(folder):
    path = folder / runformat.SUMMARY
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "paused"}))
    return runformat.SUMMARY


DAMAGE = [_truncate_png, _not_a_png, _string_in_metrics, _bad_json_line, _summary_types,
          _config_types, _config_unreadable, _env_missing, _unknown_status]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_damage_gives_one_warning_and_a_marked_run(root, damage, capsys):
    folder = root / "runs" / RUN
    name = damage(folder)
    assert main(_args(root)) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    about_file = [line for line in captured.err.splitlines() if f"{folder}/{name}" in line]
    assert len(about_file) == 1, captured.err
    assert about_file[0].startswith("warning: ") and "run marked damaged" in about_file[0]
    page = (root / "_site/studies/abstract/v2/index.html").read_text()
    assert "damaged" in page and f"<code>{name}:" in page
    assert "damaged" in (root / "_site/studies/abstract/index.html").read_text()
    assert "damaged run folder" in (root / "_site/setbacks/index.html").read_text()
    for other in ("studies/abstract/v1", "studies/squares/v2", "studies/critic/compare", ""):
        assert (root / "_site" / other / "index.html").is_file(), other
    assert "damaged" not in (root / "_site/studies/abstract/v1/index.html").read_text()


def test_strict_makes_damage_an_error_and_keeps_the_old_site(root, capsys):
    assert main(_args(root)) == 0
    before = (root / "_site/index.html").read_bytes()
    _string_in_metrics(root / "runs" / RUN)
    capsys.readouterr()
    assert main(_args(root, "--strict")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --strict: damaged run file: ")
    assert "abstract/v2: metrics.jsonl: line 4: loss_d is 'abc'" in err
    assert (root / "_site/index.html").read_bytes() == before


def test_a_damaged_grid_named_by_a_directive_shows_a_note(root):
    _truncate_png(root / "runs" / RUN)
    result = build(root / "site_src", root / "runs", root / "_site",
                   cache_dir=root / "cache", log=lambda line: None)
    home = (root / "_site/index.html").read_text()
    assert "epoch_0002.webp" not in home and "abstract/v2 samples at epoch 3" in home
    assert any("epoch 2 is damaged; left out of the slider" in w for w in result.warnings)
    assert result.damaged == [f"{RUN}: samples/epoch_0002.png: not a readable PNG "
                              "(Truncated File Read); not shown"]


def test_an_unreadable_config_does_not_pretend_the_loss_is_bce(root):
    _config_unreadable(root / "runs/critic/v1")
    build(root / "site_src", root / "runs", root / "_site", cache_dir=root / "cache",
          log=lambda line: None)
    page = (root / "_site/studies/critic/v1/index.html").read_text()
    assert "loss unknown" in page and "(BCE)" not in page


def _running(folder, heartbeat):
    path = folder / runformat.SUMMARY
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "running"}))
    if heartbeat is not None:
        (folder / runformat.HEARTBEAT).write_text(json.dumps(heartbeat))


NOW = Now(datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc), "trainer", lambda pid: True)


@pytest.mark.parametrize("heartbeat, state", [
    (None, "interrupted at step 15"),
    ({"pid": 7, "hostname": "trainer", "updated_at": "2026-11-22T11:00:00+00:00"},
     "interrupted at step 15"),
    ({"pid": 7, "hostname": "trainer", "updated_at": "2026-11-22T11:59:30+00:00"}, "running"),
])
def test_a_running_run_without_a_live_writer_is_shown_interrupted(root, heartbeat, state):
    _running(root / "runs/squares/v1", heartbeat)
    result = build(root / "site_src", root / "runs", root / "_site", cache_dir=root / "cache",
                   log=lambda line: None, now=NOW)
    page = (root / "_site/studies/squares/v1/index.html").read_text()
    assert f"<strong>{state}</strong>" in page
    resume = "ganreport train experiments/squares/v1.yaml --resume"
    assert (resume in page) == state.startswith("interrupted")
    assert f"v1</a>: {state}" in (root / "_site/studies/index.html").read_text()
    assert result.damaged == [], "an interrupted run is not a damaged one"
