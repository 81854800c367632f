"""Type checks against the contract tables: keep what is right, describe what is not."""

from __future__ import annotations

from ganreport import run_checks, runformat


def test_wrong_types_are_dropped_and_described():
    data = {"epochs_completed": "three", "steps": 40, "diverged": 0, "wall_time_s": 1.5,
            "finished_at": None, "images_per_s": None, "extra": object()}
    clean, problems = run_checks.check_fields(data, runformat.SUMMARY_FIELDS)
    assert "epochs_completed" not in clean and "diverged" not in clean
    assert clean["steps"] == 40 and clean["wall_time_s"] == 1.5 and "extra" in clean
    assert problems == ["epochs_completed is 'three', expected a whole number",
                        "diverged is 0, expected true/false"]
    assert "finished_at" in clean, "nullable keys may be null"


def test_nested_config_keys_and_ranges():
    config = {"loss": {"name": 3, "real_label_range": [1.0, 0.5]}, "train": "fast",
              "order": True}
    clean, problems = run_checks.check_fields(config, runformat.CONFIG_FIELDS)
    assert clean["loss"] == {} and "train" not in clean and "order" not in clean
    assert any(p.startswith("loss.name is 3") for p in problems)
    assert any("real_label_range" in p and "[low, high]" in p for p in problems)
    assert any(p.startswith("order is True") for p in problems), "a bool is not an int"


def test_rows_keep_good_values_and_drop_unplaceable_rows():
    numeric = run_checks.known_names("bce", runformat.METRICS)
    assert {"loss_d", "d_x", "step"} <= numeric and "d_real" not in numeric
    rows = [(1, {"step": 1, "epoch": 1, "loss_d": 0.5}),
            (2, {"step": 2, "epoch": 1, "loss_d": "abc", "d_x": None, "note": "text"}),
            (3, {"step": "three", "epoch": 1, "loss_d": 0.4})]
    clean, problems = run_checks.check_rows(rows, numeric)
    assert [row["step"] for row in clean] == [1, 2]
    assert clean[1]["loss_d"] is None and clean[1]["note"] == "text"
    assert problems[0] == "line 2: loss_d is 'abc', expected a number"
    assert problems[1].startswith("line 3: step is 'three'")


def test_epoch_rows_check_metrics_names_too():
    numeric = run_checks.known_names("lsgan", runformat.EPOCHS)
    assert {"images_per_s", "d_real", "loss_g"} <= numeric


def test_summary_of_many_problems_is_one_line():
    text = run_checks.summarise([f"p{index}" for index in range(7)])
    assert text == "p0; p1; p2 and 4 more"
    assert run_checks.describe("x" * 100).endswith("...")
