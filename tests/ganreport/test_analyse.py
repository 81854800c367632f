"""Pure analysis functions: smoothing, config flattening and diffs, notes, colours."""

from __future__ import annotations

import json
import math

from ganreport import analyse
from ganreport.read_runs import read_run
from tests.run_fixtures import write_run, write_study


def test_ema_is_bias_corrected_and_skips_gaps():
    assert analyse.ema([2.0, 2.0, 2.0], 0.9) == [2.0, 2.0, 2.0]
    smoothed = analyse.ema([1.0, None, float("nan"), 3.0], 0.5)
    assert smoothed[0] == 1.0 and smoothed[1] is None and smoothed[2] is None
    assert math.isclose(smoothed[3], (0.25 * 1 + 0.5 * 3) / 0.75)


def test_flatten_config_keeps_lists_and_skips_profile_changes():
    flat = analyse.flatten_config(
        {"optim": {"lr": 0.1}, "loss": {"range": [0, 1]},
         "profile": {"name": "cpu", "changed": {"train.epochs": [300, 4]}}})
    assert flat == {"optim.lr": 0.1, "loss.range": [0, 1], "profile.name": "cpu"}


def test_config_diff_ignores_identity_keys():
    before = {"version": "v1", "title": "A", "optim": {"lr": 0.1, "beta1": 0.5}}
    after = {"version": "v2", "title": "B", "optim": {"lr": 0.2, "beta1": 0.5}, "ema": True}
    assert analyse.config_diff(before, after) == [
        analyse.Change("ema", analyse.MISSING, True), analyse.Change("optim.lr", 0.1, 0.2)]


def test_differing_settings_lists_only_keys_that_differ(tmp_path):
    runs = [read_run(path, []) for path in write_study(tmp_path, epochs=2)]
    keys = [key for key, _ in analyse.differing_settings(runs)]
    assert keys == ["loss.fake_label_range", "loss.real_label_range", "model.g_activation"]
    assert analyse.differing_settings(runs[:1]) == []


def test_profile_note_says_what_the_profile_reduced():
    config = {"profile": {"name": "cpu", "changed": {"dataset.image_size": [64, 32],
                                                     "train.epochs": [300, 12]}}}
    assert analyse.profile_note(config) == (
        "trained with the cpu profile: image size 64→32, epochs 300→12")
    assert analyse.profile_note({"profile": {"name": "full", "changed": {}}}) is None


def test_colours_are_stable_by_order():
    colours = analyse.version_colours(["v1", "v2", "v3"])
    assert colours == analyse.version_colours(["v1", "v2", "v3"])
    assert len(set(colours.values())) == 3
    assert analyse.version_colours(["v1"])["v1"] == colours["v1"]


def test_format_duration_and_value():
    assert analyse.format_duration(12.3) == "12 s"
    assert analyse.format_duration(754) == "12 min 34 s"
    assert analyse.format_duration(7300) == "2 h 1 min"
    assert analyse.format_value([0.7, 1.0]) == "[0.7, 1.0]"
    assert analyse.format_value(False) == "false"


def test_pick_evenly_keeps_ends():
    assert analyse.pick_evenly(list(range(11)), 3) == [0, 5, 10]
    assert analyse.pick_evenly([1, 2], 5) == [1, 2]


def test_findings_report_spikes_and_unfinished_runs(tmp_path):
    spiky = read_run(write_run(tmp_path, "v2", epochs=4, spike_at=7), [])
    assert any("G loss spiked" in note and "step 7" in note
               for note in analyse.findings(spiky, 0.9))
    stopped = read_run(write_run(tmp_path, "v1", epochs=2, status="interrupted"), [])
    assert analyse.findings(stopped, 0.9)[0].startswith("Run interrupted")


def test_run_facts_include_reproduction_details(tmp_path):
    run = read_run(write_run(tmp_path, "v1", epochs=2), [])
    facts = dict(analyse.run_facts(run))
    assert facts["Device"] == "cpu (2 threads)" and facts["Seed"] == "1"
    assert facts["Git commit"].startswith("0123456789abcdef")
    assert facts["Epochs"] == "2 of 2"


def test_findings_count_many_spikes_and_name_the_first_five(tmp_path):
    folder = write_run(tmp_path, "v1", epochs=4, steps_per_epoch=10)
    metrics = folder / "metrics.jsonl"
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    for row in rows:
        if row["step"] in (10, 15, 20, 25, 30, 35, 38):
            row["loss_d"] *= 10
    metrics.write_text("".join(json.dumps(row) + "\n" for row in rows))
    notes = analyse.findings(read_run(folder, []), 0.9)
    assert ("D loss spiked above 3× its running average 7 times: "
            "at steps 10, 15, 20, 25, 30 and 2 more.") in notes
