"""The quality hook in real (tiny) runs: quality.jsonl rows, the floor, best.pt, the EMA.

Runs are the smoke profile (48 images of 32 px, 3 steps an epoch) through the CLI, so
the hook is built by training/hooks.py exactly as `ganreport train` builds it. FID/KID
have no weights here (TORCH_HOME and HOME point at empty folders): they must be skipped
with the line saying how to turn them on, and nothing else may change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from tests.training.test_resume import _signal_at
from training.cli import main
from training.quality.hook import next_interval

VERSION = str(EXPERIMENTS / "abstract" / "v2.yaml")
ARGS = ["--profile", "smoke", "--device", "cpu", "--no-progress", "--set", "dataset.count=48",
        "--set", "train.epochs=4", "--set", "quality.samples=24"]
TIME_KEYS = ("measure_s", "metric_share")


@pytest.fixture(autouse=True)
def _no_inception_weights(tmp_path_factory, monkeypatch) -> None:
    """No Inception weights anywhere torch-fidelity or pytorch-fid would keep them."""
    empty = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TORCH_HOME", str(empty / "torch"))
    monkeypatch.setenv("HOME", str(empty))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _train(out: Path, *extra: str) -> int:
    return main([VERSION, "--out", str(out), *ARGS, *extra])


def _run(out: Path) -> Path:
    return out / "abstract" / "v2"


def test_a_run_writes_quality_rows_the_floor_and_the_best_checkpoint(tmp_path: Path,
                                                                      capsys) -> None:
    assert _train(tmp_path, "--set", "quality.every=1") == 0
    run = _run(tmp_path)
    rows = _jsonl(run / rf.QUALITY)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert all(row["samples"] == 24 and row["swd"] > 0 and 0 <= row["msssim_fake"] <= 1
               for row in rows)
    summary = json.loads((run / rf.QUALITY_SUMMARY).read_text())
    assert summary["metric"] == "swd" and summary["measured_epochs"] == [1, 2, 3, 4]
    # The floor: a second real sample is far closer to the reference than untrained noise.
    assert 0 < summary["floor"]["swd"] < min(row["swd"] for row in rows)
    best = min(rows, key=lambda row: row["swd"])
    assert summary["best"] == {"epoch": best["epoch"], "step": best["step"],
                               "value": best["swd"]}
    saved = torch.load(run / rf.BEST_CHECKPOINT, weights_only=True)
    assert (saved["epoch"], saved["metric"], saved["value"]) == (best["epoch"], "swd",
                                                                 best["swd"])
    assert set(saved["generator"]) == set(torch.load(run / rf.LAST_CHECKPOINT,
                                                     weights_only=True)["generator"])
    assert 0 < summary["metric_share"] < 1
    assert summary["metric_time_s"] > 0 and summary["other_time_s"] > 0


def test_without_inception_weights_fid_is_skipped_with_how_to_enable_it(
        tmp_path: Path, capsys) -> None:
    assert _train(tmp_path, "--set", "quality.metric=fid") == 0
    err = capsys.readouterr().err
    assert err.count("FID/KID off: no Inception weights") == 1
    run = _run(tmp_path)
    summary = json.loads((run / rf.QUALITY_SUMMARY).read_text())
    assert "quality.inception_weights" in summary["skipped"]["fid"]
    assert summary["metric"] == "swd" and "fid" in summary["metric_note"]
    assert all("fid" not in row and "kid" not in row for row in _jsonl(run / rf.QUALITY))
    assert (run / rf.BEST_CHECKPOINT).is_file()


def test_a_second_version_reuses_the_study_floor(tmp_path: Path) -> None:
    assert _train(tmp_path) == 0
    first = json.loads((_run(tmp_path) / rf.QUALITY_SUMMARY).read_text())
    assert main([str(EXPERIMENTS / "abstract" / "v3.yaml"), "--out", str(tmp_path),
                 *ARGS]) == 0
    second = json.loads((tmp_path / "abstract" / "v3" / rf.QUALITY_SUMMARY).read_text())
    assert second["floor_key"] == first["floor_key"] and second["floor"] == first["floor"]


def test_quality_off_writes_no_quality_files(tmp_path: Path) -> None:
    assert _train(tmp_path, "--set", "quality.enabled=false") == 0
    run = _run(tmp_path)
    assert not (run / rf.QUALITY).exists() and not (run / rf.QUALITY_SUMMARY).exists()
    assert not (run / rf.BEST_CHECKPOINT).exists()


def test_the_ema_survives_ctrl_c_and_resume(tmp_path: Path, monkeypatch) -> None:
    ema = ["--set", "quality.ema=true", "--set", "quality.ema_decay=0.5",
           "--set", "quality.every=1"]
    reference = tmp_path / "reference"
    assert _train(reference, *ema) == 0
    resumed = tmp_path / "resumed"
    with monkeypatch.context() as patch:
        _signal_at(patch, 7)  # mid-epoch 3: the EMA has 7 steps of history
        assert _train(resumed, *ema) == 130
    assert _train(resumed, *ema, "--resume") == 0
    for out in (reference, resumed):
        rows = _jsonl(_run(out) / rf.QUALITY)
        assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    strip = [{k: v for k, v in row.items() if k not in TIME_KEYS}
             for row in _jsonl(_run(reference) / rf.QUALITY)]
    assert strip == [{k: v for k, v in row.items() if k not in TIME_KEYS}
                     for row in _jsonl(_run(resumed) / rf.QUALITY)]
    assert all("ema_swd" in row for row in strip)
    last = rf.ema_sample_name(4)
    assert (_run(resumed) / last).read_bytes() == (_run(reference) / last).read_bytes()
    state = torch.load(_run(resumed) / rf.LAST_CHECKPOINT, weights_only=True)["hooks"]
    assert state["quality"]["ema"]["weights"]  # the average itself is in the checkpoint


def test_the_automatic_interval_keeps_metrics_near_their_share() -> None:
    # 5 s per measurement, 1 s per epoch, 10%: 5 * 0.9 / (0.1 * 1) = 45 epochs between.
    assert next_interval(None, 5.0, 10.0, 10, 1, 0.1) == 45
    assert next_interval(None, 0.1, 10.0, 10, 1, 0.1) == 1
    assert next_interval(7, 5.0, 10.0, 10, 1, 0.1) == 7
    every = next_interval(None, 5.0, 10.0, 10, 1, 0.1)
    assert 5.0 / (5.0 + every * 1.0) <= 0.1


def test_the_weight_average_moves_by_one_minus_decay_and_follows_plain_settings() -> None:
    from training.quality.ema import WeightAverage

    network = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    average = WeightAverage(network, decay=0.75)
    before = [p.detach().clone() for p in network.parameters()]
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(4.0)
        network[1].running_mean.fill_(3.0)
    average.update(network)
    for mine, old in zip(average.network.parameters(), before, strict=True):
        assert torch.allclose(mine, old + 1.0)  # 0.25 of the way to old + 4
    assert torch.equal(average.network[1].running_mean, torch.full((2,), 3.0))
    network[0].level, network[0].alpha = 3, 0.5  # a progressive G's schedule
    followed = average.follow(network)
    assert (followed[0].level, followed[0].alpha) == (3, 0.5)
    assert not followed.training  # the average never trains


def test_a_growing_generator_s_best_epoch_is_one_at_full_size(tmp_path: Path) -> None:
    # ProGAN 8 -> 16 px: 24 images at 8 px, a 48-image fade, then full size; 6 steps an epoch
    progan = str(EXPERIMENTS / "best-artworks" / "progan.yaml")
    args = ["--profile", "smoke", "--device", "cpu", "--no-progress",
            "--set", "dataset.kind=procedural", "--set", "dataset.count=48",
            "--set", "dataset.image_size=16", "--set", "progan.start=8",
            "--set", "progan.fade_images=48", "--set", "progan.stabilise_images=24",
            "--set", "train.batch_size=8", "--set", "train.epochs=4",
            "--set", "quality.every=1", "--set", "quality.samples=24"]
    assert main([progan, "--out", str(tmp_path), *args]) == 0
    run = tmp_path / "best-artworks" / "progan"
    grown = {row["epoch"] for row in _jsonl(run / rf.METRICS)
             if row.get("resolution") == 16 and row.get("alpha") == 1.0}
    rows = _jsonl(run / rf.QUALITY)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    best = json.loads((run / rf.QUALITY_SUMMARY).read_text())["best"]
    assert best is not None and best["epoch"] in grown
    candidates = [row for row in rows if row["epoch"] in grown]
    assert best["value"] == min(row["swd"] for row in candidates)
