"""Several processes: DDP on the CPU (gloo, 2 ranks) and versions trained side by side.

The end-to-end tests start real processes (`ganreport train --nproc 2`, torchrun itself,
`--parallel 2`) on smoke-size runs; GANREPORT_PARITY_DIR makes every rank write a
fingerprint of its weights and its own loss after each step (training/parity.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS, REPO_ROOT, write_study
from tests.training.test_cli import _check_run, _jsonl
from tests.training.test_loop import tiny_config, tiny_images
from training import distributed, loop
from training.batches import BatchStream
from training.parity import ENV as PARITY_ENV

SMOKE = ["--profile", "smoke", "--device", "cpu", "--no-progress"]
STEPS_PER_EPOCH = 3  # smoke: 48 images, batch 16


def _train(args: list[str], tmp: Path, parity: Path | None = None,
           launcher: list[str] | None = None, **extra_env: str) -> subprocess.CompletedProcess:
    """Run `python -m ganreport train ARGS` (or another launcher) from the repository root."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANREPORT_CACHE": str(tmp / "cache"),
           **extra_env}
    env.pop(PARITY_ENV, None)
    if parity is not None:
        parity.mkdir(parents=True, exist_ok=True)
        env[PARITY_ENV] = str(parity)
    command = launcher or [sys.executable, "-m", "ganreport", "train"]
    return subprocess.run([*command, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def _parity(folder: Path, rank: int) -> list[tuple[int, str, float]]:
    rows = [line.split() for line in (folder / f"rank{rank}.txt").read_text().splitlines()]
    return [(int(step), digest, float(loss)) for step, digest, loss in rows]


def _weights(run: Path) -> dict[str, torch.Tensor]:
    state = torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)
    return {f"{net}.{key}": value for net in ("generator", "discriminator")
            for key, value in state[net].items()}


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two epochs of abstract/v1 on two gloo ranks: (runs folder, parity folder)."""
    tmp = tmp_path_factory.mktemp("ddp")
    out, parity = tmp / "runs", tmp / "parity"
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(out), *SMOKE,
                   "--nproc", "2"], tmp, parity)
    assert done.returncode == 0, done.stderr
    return out, parity


def test_two_ranks_keep_identical_weights_after_every_step(ddp_run) -> None:
    _out, parity = ddp_run
    rank0, rank1 = _parity(parity, 0), _parity(parity, 1)
    steps = list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert [row[0] for row in rank0] == steps and [row[0] for row in rank1] == steps
    assert [row[1] for row in rank0] == [row[1] for row in rank1]  # the same weights...
    assert any(a[2] != b[2] for a, b in zip(rank0, rank1, strict=True))  # ...from other data
    assert len({row[1] for row in rank0}) == len(steps)  # and every step changed them


def test_rank_0_alone_writes_exactly_one_run_folder(ddp_run) -> None:
    out, _parity_dir = ddp_run
    assert sorted(path.relative_to(out).as_posix() for path in out.glob("*/*")) == ["abstract/v1"]
    run = out / "abstract" / "v1"
    _check_run(run, epochs=2)
    metrics = _jsonl(run / rf.METRICS)  # one row per step: a second writer would double them
    assert [row["step"] for row in metrics] == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    env = json.loads((run / rf.ENV).read_text())
    assert env["performance"]["ranks"] == 2 and env["performance"]["backend"] == "gloo"
    assert "--nproc 2" in env["command"]
    summary = json.loads((run / rf.SUMMARY).read_text())
    assert summary["steps"] == 2 * STEPS_PER_EPOCH  # the global batch of 16, split in two


@pytest.fixture(scope="module")
def resumed(ddp_run, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The two-epoch DDP run, resumed under DDP for a third epoch: (run folder, parity)."""
    tmp = tmp_path_factory.mktemp("ddp-resume")
    shutil.copytree(ddp_run[0], tmp / "runs")
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp / "runs"),
                   *SMOKE, "--nproc", "2", "--resume", "--force", "--set", "train.epochs=3"],
                  tmp, tmp / "parity")
    assert done.returncode == 0, done.stderr
    return tmp / "runs" / "abstract" / "v1", tmp / "parity"


def test_resume_under_ddp_continues_from_rank_0s_checkpoint(resumed) -> None:
    run, parity = resumed
    summary = json.loads((run / rf.SUMMARY).read_text())
    assert summary["status"] == "complete" and summary["steps"] == 3 * STEPS_PER_EPOCH
    assert summary["resumes"] == 1
    assert [row["epoch"] for row in _jsonl(run / rf.EPOCHS)] == [1, 2, 3]
    events = [row for row in _jsonl(run / rf.EVENTS) if row["kind"] == "resume"]
    assert len(events) == 1 and events[0]["step"] == 2 * STEPS_PER_EPOCH
    rank0, rank1 = _parity(parity, 0), _parity(parity, 1)
    assert [row[0] for row in rank0] == [row[0] for row in rank1] == [7, 8, 9]
    assert [row[1] for row in rank0] == [row[1] for row in rank1]


def test_torchrun_directly_trains_what_the_resumed_run_trained(resumed, tmp_path: Path) -> None:
    """`torchrun --nproc_per_node=2 -m training`: three epochs straight, the same weights."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node", "2", "--log-dir", str(tmp_path / "logs"), "-m", "training"]
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path / "runs"),
                   *SMOKE, "--set", "train.epochs=3"], tmp_path, launcher=launcher)
    assert done.returncode == 0, done.stderr
    straight = tmp_path / "runs" / "abstract" / "v1"
    _check_run(straight, epochs=3)
    assert "--nproc 2" not in json.loads((straight / rf.ENV).read_text())["command"]
    resumed_weights, straight_weights = _weights(resumed[0]), _weights(straight)
    assert resumed_weights.keys() == straight_weights.keys()
    for key, value in straight_weights.items():
        assert torch.equal(value, resumed_weights[key]), key


def test_a_non_finite_loss_on_one_rank_rolls_every_rank_back_together(tmp_path: Path) -> None:
    parity = tmp_path / "parity"
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path / "runs"),
                   *SMOKE, "--nproc", "2", "--set", "train.on_nonfinite=rollback",
                   "--set", "quality.enabled=false"], tmp_path, parity,
                  GANREPORT_PARITY_INF="1:4")  # rank 1 alone sees inf after step 4
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / "abstract" / "v1"
    events = _jsonl(run / rf.EVENTS)
    assert [row["kind"] for row in events] == ["nonfinite", "rollback"]
    assert "back to step 3" in events[1]["detail"]
    summary = json.loads((run / rf.SUMMARY).read_text())
    assert summary["status"] == "complete" and summary["rollbacks"] == 1
    assert summary["steps"] == 2 * STEPS_PER_EPOCH
    rank0, rank1 = _parity(parity, 0), _parity(parity, 1)
    assert [row[0] for row in rank0] == [row[0] for row in rank1] == [1, 2, 3, 4, 4, 5, 6]
    assert [row[1] for row in rank0] == [row[1] for row in rank1]
    state = torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)
    assert state["optimizer_d"]["param_groups"][0]["lr"] == pytest.approx(0.0005 * 0.5)


def test_a_user_error_is_one_line_and_exit_2_from_every_rank(tmp_path: Path) -> None:
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path / "runs"),
                   *SMOKE, "--nproc", "2", "--set", "train.batch_size=15"], tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["error: --set: train.batch_size: a batch of 15 does not split over 2 "
                     "processes (--nproc); use a multiple of 2"], done.stderr
    assert not (tmp_path / "runs" / "abstract").exists()


def test_parallel_trains_each_version_once_side_by_side(tmp_path: Path) -> None:
    source = EXPERIMENTS / "abstract"
    study = (source / "study.yaml").read_text().replace("versions: [v1, v2, v3]",
                                                        "versions: [v1, v2]")
    folder = write_study(tmp_path / "duo", "duo", {
        "study": study, "v1": (source / "v1.yaml").read_text(),
        "v2": (source / "v2.yaml").read_text(),
    })
    done = _train([str(folder), "--out", str(tmp_path / "runs"), *SMOKE, "--parallel", "2"],
                  tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 at a time" in done.stderr
    for version in ("v1", "v2"):
        run = tmp_path / "runs" / "duo" / version
        _check_run(run, epochs=2)
        assert len(_jsonl(run / rf.METRICS)) == 2 * STEPS_PER_EPOCH  # trained once, not twice
        assert not (run / rf.EVENTS).exists()  # no resume, no restart: one child, one run
        assert f"{version}.yaml" in json.loads((run / rf.ENV).read_text())["command"]
        assert f"parallel: duo/{version} done" in done.stderr
    assert sorted(path.name for path in (tmp_path / "runs" / "duo").iterdir()) == ["v1", "v2"]


def test_parallel_reports_a_failing_version_before_starting_any(tmp_path: Path) -> None:
    source = EXPERIMENTS / "abstract"
    folder = write_study(tmp_path / "duo", "duo", {
        "study": (source / "study.yaml").read_text().replace("[v1, v2, v3]", "[v1, v2]"),
        "v1": (source / "v1.yaml").read_text(), "v2": "parent: v1\ntrain:\n  epochz: 3\n",
    })
    done = _train([str(folder), "--out", str(tmp_path / "runs"), *SMOKE, "--parallel", "2"],
                  tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and "epochz" in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="nccl: needs two CUDA devices")
def test_two_gpus_with_nccl_and_sync_batchnorm_stay_identical(tmp_path: Path) -> None:
    parity = tmp_path / "parity"
    done = _train([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path / "runs"),
                   "--profile", "smoke", "--device", "cuda", "--no-progress", "--nproc", "2",
                   "--set", "performance.sync_batchnorm=true"], tmp_path, parity)
    assert done.returncode == 0, done.stderr
    env = json.loads((tmp_path / "runs" / "abstract" / "v1" / rf.ENV).read_text())
    assert env["performance"]["backend"] == "nccl" and env["performance"]["sync_batchnorm"]
    assert [row[:2] for row in _parity(parity, 0)] == [row[:2] for row in _parity(parity, 1)]


# ---------------------------------------------------------------------- in one process


def test_each_rank_takes_its_half_of_the_same_global_batch() -> None:
    images = tiny_images()
    whole = BatchStream(images, 8, seed=3, flip=True, device=torch.device("cpu"))
    halves = [BatchStream(images, 8, seed=3, flip=True, device=torch.device("cpu"),
                          shard=(rank, 2)) for rank in (0, 1)]
    for _ in range(6):  # across a new permutation too (4 batches per pass)
        parts = [stream.next() for stream in halves]
        assert [part.shape[0] for part in parts] == [4, 4]
        assert torch.equal(torch.cat(parts), whole.next())
    assert halves[0].state_dict()["position"] == whole.state_dict()["position"]


def test_each_rank_draws_its_slice_of_the_global_latents() -> None:
    config = tiny_config()
    whole = loop.make_trainer(config, torch.device("cpu"), tiny_images())
    ranks = [loop.make_trainer(config, torch.device("cpu"), tiny_images()) for _ in (0, 1)]
    for rank, trainer in enumerate(ranks):
        trainer.shard = (rank, 2)
    assert torch.equal(torch.cat([loop.draw_z(t, 4) for t in ranks]), loop.draw_z(whole, 8))


def test_sync_batchnorm_keeps_parameters_and_samples_locally() -> None:
    network = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    weight = network[1].weight
    plain = torch.nn.BatchNorm2d(4)
    plain.load_state_dict(network[1].state_dict())
    synced = distributed.sync_batchnorm(network)
    assert isinstance(synced[1], distributed.LocalSamplingSyncBatchNorm)
    assert synced[1].weight is weight  # the optimizer's parameters stay the same objects
    assert synced[1].state_dict().keys() == plain.state_dict().keys()  # checkpoints unchanged
    features = torch.randn(6, 4, 5, 5)
    with torch.no_grad():
        assert torch.allclose(synced[1](features), plain(features))


def test_other_ranks_write_nothing(tmp_path: Path) -> None:
    writer = distributed.RankWriter(tmp_path / "run", writes=False)
    writer.start()
    writer.write_config({"a": 1})
    writer.write_json(rf.SUMMARY, {"a": 1})
    writer.append_jsonl(rf.METRICS, {"step": 1})
    writer.write_grid(1, torch.zeros(64, 3, 8, 8))
    writer.write_real_grid(torch.zeros(64, 3, 8, 8, dtype=torch.uint8))
    writer.write_checkpoint({"step": 1})
    assert writer.trim_jsonl(rf.METRICS, lambda row: True) == 0
    assert not (tmp_path / "run").exists()


def test_several_processes_refuse_sync_batchnorm_on_the_cpu(monkeypatch) -> None:
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    config = tiny_config("performance.sync_batchnorm=true")
    with pytest.raises(distributed.UserError, match="performance.sync_batchnorm: needs CUDA"):
        distributed.check_config(config, torch.device("cpu"))
    distributed.check_config(tiny_config(), torch.device("cpu"))  # batch 8 splits in two
    with pytest.raises(distributed.UserError, match="does not split over 2"):
        distributed.check_config(tiny_config("train.batch_size=7"), torch.device("cpu"))
