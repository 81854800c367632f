"""A 2-stage progan run stopped inside a fade-in and resumed continues with the same alpha."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import torch

import training.loop
from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training.cli import main

VERSION = str(EXPERIMENTS / "best-artworks" / "progan.yaml")
# 48 images, batch 8: 6 steps an epoch; stage 0 (4 px) 24 images, then 8 px fades over 48
ARGS = ["--profile", "smoke", "--device", "cpu", "--no-progress",
        "--set", "dataset.kind=procedural", "--set", "dataset.image_size=16",
        "--set", "progan.target=16", "--set", "progan.start=8", "--set", "progan.batch_sizes=[8]",
        "--set", "progan.fade_images=48", "--set", "progan.stabilise_images=24",
        "--set", "train.batch_size=8", "--set", "train.epochs=2", "--set", "train.log_every=1"]
SCHEDULE = ("resolution", "alpha", "stage")


def _rows(out: Path) -> list[dict]:
    text = (out / "best-artworks" / "progan" / rf.METRICS).read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_killed_in_a_fade_in_then_resumed_continues_the_same_stage_and_alpha(
    tmp_path: Path, monkeypatch
) -> None:
    assert main([VERSION, "--out", str(tmp_path / "ref"), *ARGS]) == 0
    reference = _rows(tmp_path / "ref")
    real_step = training.loop.train_step

    def step_then_sigint(trainer, *args):
        scalars = real_step(trainer, *args)
        if trainer.step == 5:  # 40 images: stage 1 fading, alpha 16/48 after this step
            os.kill(os.getpid(), signal.SIGINT)
        return scalars

    with monkeypatch.context() as patch:
        patch.setattr(training.loop, "train_step", step_then_sigint)
        assert main([VERSION, "--out", str(tmp_path / "cut"), *ARGS]) == 130
    stopped = _rows(tmp_path / "cut")[-1]
    assert stopped["stage"] == 1 and 0 < stopped["alpha"] < 1 and stopped["resolution"] == 16
    assert main([VERSION, "--out", str(tmp_path / "cut"), *ARGS, "--resume"]) == 0
    resumed = _rows(tmp_path / "cut")
    assert [{k: r[k] for k in ("step", *SCHEDULE)} for r in resumed] == [
        {k: r[k] for k in ("step", *SCHEDULE)} for r in reference]
    assert [r["loss_d"] for r in resumed] == [r["loss_d"] for r in reference]
    events = [json.loads(line) for line in (
        tmp_path / "cut" / "best-artworks" / "progan" / rf.EVENTS).read_text().splitlines()]
    assert [e["kind"] for e in events] == ["stage", "stage", "interrupted", "resume"]
    state = torch.load(tmp_path / "cut" / "best-artworks" / "progan" / rf.LAST_CHECKPOINT,
                       weights_only=False)
    assert state["step"] == 12
