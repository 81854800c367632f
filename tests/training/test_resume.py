"""Never lose work: exact resume, --force that keeps the old run, refusals, rollback, preflight.

Each test is named after what a user did. The runs are 48 images of 32 px,
3 steps an epoch, 3 epochs; the uninterrupted reference is trained once.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import torch

import training.loop
from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training.cli import main

VERSION = str(EXPERIMENTS / "abstract" / "v2.yaml")  # label smoothing: the loss draws too
ARGS = ["--profile", "smoke", "--device", "cpu", "--no-progress", "--set", "dataset.count=48",
        "--set", "train.epochs=3", "--set", "train.log_every=2"]
TIME_KEYS = ("elapsed_s", "wall_time_s", "images_per_s")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _without_time(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIME_KEYS} for row in rows]


def _train(out: Path, *extra: str) -> int:
    return main([VERSION, "--out", str(out), *ARGS, *extra])


def _run(out: Path) -> Path:
    return out / "abstract" / "v2"


def _summary(out: Path) -> dict:
    return json.loads((_run(out) / rf.SUMMARY).read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """One uninterrupted run to compare against."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("reference")
    assert _train(out) == 0
    torch.set_num_threads(threads)
    return _run(out)


def _same_as_reference(run: Path, reference: Path) -> None:
    for name in (rf.METRICS, rf.EPOCHS):
        assert _without_time(_jsonl(run / name)) == _without_time(_jsonl(reference / name)), name
    for grid in sorted((reference / rf.SAMPLES_DIR).iterdir()):
        assert (run / rf.SAMPLES_DIR / grid.name).read_bytes() == grid.read_bytes(), grid.name


def _signal_at(monkeypatch, step: int, signum: int = signal.SIGINT) -> None:
    """Send `signum` to this process right after training step `step`."""
    real_step = training.loop.train_step

    def step_then_signal(trainer, *args):
        scalars = real_step(trainer, *args)
        if trainer.step == step:
            os.kill(os.getpid(), signum)
        return scalars

    monkeypatch.setattr(training.loop, "train_step", step_then_signal)


def test_ctrl_c_then_resume_gives_the_uninterrupted_run(
    tmp_path: Path, monkeypatch, capsys, reference: Path
) -> None:
    with monkeypatch.context() as patch:
        _signal_at(patch, 5)  # mid-epoch 2, mid-row (rows every 2 steps)
        assert _train(tmp_path) == 130
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("interrupted: abstract/v2 stopped at step 5 (epoch 2)")
    assert err.endswith("--resume") and "resume with: ganreport train" in err
    assert _summary(tmp_path)["status"] == "interrupted"
    assert torch.load(_run(tmp_path) / rf.LAST_CHECKPOINT, weights_only=True)["step"] == 5
    assert _train(tmp_path, "--resume") == 0
    _same_as_reference(_run(tmp_path), reference)
    summary = _summary(tmp_path)
    assert summary["status"] == "complete" and summary["resumes"] == 1
    kinds = [row["kind"] for row in _jsonl(_run(tmp_path) / rf.EVENTS)]
    assert kinds == ["interrupted", "resume"]


def test_sigterm_checkpoints_and_exits_143(tmp_path: Path, monkeypatch, capsys) -> None:
    _signal_at(monkeypatch, 2, signal.SIGTERM)
    assert _train(tmp_path) == 143
    assert "stopped at step 2" in capsys.readouterr().err
    assert torch.load(_run(tmp_path) / rf.LAST_CHECKPOINT, weights_only=True)["step"] == 2


def test_a_torn_last_checkpoint_falls_back_to_the_previous_one(
    tmp_path: Path, monkeypatch, reference: Path
) -> None:
    with monkeypatch.context() as patch:
        _signal_at(patch, 4)
        assert _train(tmp_path) == 130
    last = _run(tmp_path) / rf.LAST_CHECKPOINT
    last.write_bytes(last.read_bytes()[:1000])  # torn, as by a crash mid-write
    assert _train(tmp_path, "--resume") == 0
    resume = [row for row in _jsonl(_run(tmp_path) / rf.EVENTS) if row["kind"] == "resume"][0]
    assert "previous.pt at step 3" in resume["detail"] and "last.pt: unreadable" in resume["detail"]
    _same_as_reference(_run(tmp_path), reference)


def test_retraining_a_complete_run_without_resume_or_force_keeps_it(
    tmp_path: Path, capsys, reference: Path
) -> None:
    assert _train(tmp_path) == 0
    before = {p: p.read_bytes() for p in _run(tmp_path).rglob("*") if p.is_file()}
    assert _train(tmp_path) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "holds a complete run (step 9)" in err and "--resume" in err and "--force" in err
    assert {p: p.read_bytes() for p in _run(tmp_path).rglob("*") if p.is_file()} == before


def test_retraining_an_interrupted_run_suggests_resume(tmp_path: Path, monkeypatch, capsys) -> None:
    with monkeypatch.context() as patch:
        _signal_at(patch, 2)
        assert _train(tmp_path) == 130
    assert _train(tmp_path) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "holds an interrupted run (step 2); pass --resume to continue it" in err


def test_resuming_a_complete_run_does_nothing(tmp_path: Path, capsys) -> None:
    assert _train(tmp_path) == 0
    metrics = (_run(tmp_path) / rf.METRICS).read_bytes()
    assert _train(tmp_path, "--resume") == 0
    assert "already complete" in capsys.readouterr().err
    assert (_run(tmp_path) / rf.METRICS).read_bytes() == metrics


def test_training_into_a_folder_ganreport_did_not_make_is_refused(tmp_path: Path, capsys) -> None:
    folder = _run(tmp_path)
    folder.mkdir(parents=True)
    (folder / "thesis.tex").write_text("a week of work")
    for extra in ((), ("--force",), ("--resume",)):
        assert _train(tmp_path, *extra) == 2
        assert "not a ganreport run folder" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.tex"]


def test_force_replaces_a_run_only_once_the_new_one_completes(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    assert _train(tmp_path) == 0
    old_metrics = (_run(tmp_path) / rf.METRICS).read_text()
    with monkeypatch.context() as patch:
        _signal_at(patch, 2)
        assert _train(tmp_path, "--force") == 130
    asides = list(_run(tmp_path).parent.glob("v2.old-*"))
    assert len(asides) == 1 and (asides[0] / rf.METRICS).read_text() == old_metrics
    assert "previous run is kept at" in capsys.readouterr().err
    assert _train(tmp_path, "--force") == 0  # replaces the interrupted new run
    assert _summary(tmp_path)["status"] == "complete"
    assert list(_run(tmp_path).parent.glob("v2.old-*")) == asides  # the first old run stays


def test_resuming_with_a_changed_config_is_refused_listing_the_keys(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    with monkeypatch.context() as patch:
        _signal_at(patch, 2)
        assert _train(tmp_path) == 130
    changed = ("--set", "optim.lr=0.001", "--set", "loss.flip_prob=0.1")
    assert _train(tmp_path, "--resume", *changed) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "loss.flip_prob, optim.lr: changed since the checkpoint; pass --force" in err
    assert _train(tmp_path, "--resume", "--force", *changed) == 0
    state = torch.load(_run(tmp_path) / rf.LAST_CHECKPOINT, weights_only=True)
    assert state["optimizer_g"]["param_groups"][0]["lr"] == 0.001
    assert state["config"]["loss"]["flip_prob"] == 0.1


def test_a_nan_with_rollback_configured_reloads_the_last_good_checkpoint(
    tmp_path: Path, monkeypatch
) -> None:
    real_step, injected = training.loop.train_step, []

    def nan_once_at_step_5(trainer, *args):
        scalars = real_step(trainer, *args)
        if trainer.step == 5 and not injected:
            injected.append(True)
            trainer.meter.add({"loss_d": torch.tensor(float("inf"))})
        return scalars

    monkeypatch.setattr(training.loop, "train_step", nan_once_at_step_5)
    assert _train(tmp_path, "--set", "train.on_nonfinite=rollback") == 0
    run = _run(tmp_path)
    events = _jsonl(run / rf.EVENTS)
    assert [row["kind"] for row in events] == ["nonfinite", "rollback"]
    assert events[0]["detail"] == "loss_d not finite in steps 5-6"  # the row that saw it
    assert "back to step 3" in events[1]["detail"]
    steps = [row["step"] for row in _jsonl(run / rf.METRICS)]
    assert steps == sorted(set(steps)) and steps[-1] == 9
    summary = _summary(tmp_path)
    assert summary["status"] == "complete" and summary["rollbacks"] == 1
    state = torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)
    assert state["optimizer_d"]["param_groups"][0]["lr"] == pytest.approx(0.0005 * 0.5)


def test_a_dataset_smaller_than_one_batch_is_an_error_not_a_smaller_batch(
    tmp_path: Path, capsys
) -> None:
    assert _train(tmp_path, "--set", "dataset.count=10") == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: --set: dataset.count: ") and "train.batch_size 16" in err
    assert not (tmp_path / "abstract").exists()


def test_out_that_is_a_file_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    out = tmp_path / "runs"
    out.write_text("not a folder")
    assert _train(out) == 2
    assert "--out: " in capsys.readouterr().err and out.read_text() == "not a folder"


def test_a_read_only_out_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:
    import training.preflight

    monkeypatch.setattr(training.preflight.os, "access", lambda *_args: False)  # root ignores modes
    assert _train(tmp_path / "runs") == 2
    assert "is not writable; choose another --out" in capsys.readouterr().err


def test_a_full_disk_is_refused_before_training(tmp_path: Path, monkeypatch, capsys) -> None:
    import shutil as real_shutil

    import training.preflight

    class Usage:
        free = 2 * 2**20

    monkeypatch.setattr(training.preflight.shutil, "disk_usage", lambda _path: Usage)
    assert _train(tmp_path) == 2
    assert "only 2 MiB free; the checkpoints need about" in capsys.readouterr().err
    monkeypatch.setattr(training.preflight.shutil, "disk_usage", real_shutil.disk_usage)
    assert not (tmp_path / "abstract").exists()


def test_a_run_with_a_live_writer_is_refused_and_a_stale_one_is_interrupted(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    with monkeypatch.context() as patch:
        _signal_at(patch, 2)
        assert _train(tmp_path) == 130
    heartbeat_path = _run(tmp_path) / rf.HEARTBEAT
    heartbeat = json.loads(heartbeat_path.read_text())
    assert heartbeat["pid"] == os.getpid() and heartbeat["state"] == "interrupted"
    assert {"hostname", "started_at", "updated_at", "step"} <= set(heartbeat)
    heartbeat_path.write_text(json.dumps({**heartbeat, "state": "training",
                                          "updated_unix": time.time()}))
    assert _train(tmp_path, "--resume") == 2
    assert "a training process is writing this run" in capsys.readouterr().err
    heartbeat_path.write_text(json.dumps({**heartbeat, "state": "training",
                                          "updated_unix": time.time() - 600}))
    assert _train(tmp_path) == 2
    assert "holds an interrupted run" in capsys.readouterr().err
