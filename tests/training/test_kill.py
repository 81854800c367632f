"""kill -9 at seeded random moments, then --resume: the metrics equal an uninterrupted run.

Each kill lands 0-2 newly logged steps into a `python -m training` process, plus
a random delay (so it can hit start-up, the resume itself, a step, a checkpoint
being written or a grid); the next process resumes. The test reports kills
survived and the largest loss of work in steps. GANREPORT_KILLS=N runs a longer
campaign (default 3 kills; it ends early if the run completes), and
GANREPORT_KILL_CHECKPOINT_STEPS=null measures the default schedule (every epoch).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS, REPO_ROOT
from tests.training.test_cli import one_thread  # noqa: F401 (autouse: the reference's threads)
from training.cli import main
from training.preflight import inspect_folder

VERSION = str(EXPERIMENTS / "abstract" / "v2.yaml")
CHECKPOINT_STEPS = os.environ.get("GANREPORT_KILL_CHECKPOINT_STEPS", "2")
ARGS = ["--profile", "smoke", "--device", "cpu", "--no-progress", "--set", "dataset.count=48",
        "--set", "train.epochs=8", "--set", f"train.checkpoint_steps={CHECKPOINT_STEPS}"]
TOTAL_STEPS, STEPS_PER_EPOCH = 24, 3
TIME_KEYS = ("elapsed_s", "wall_time_s", "images_per_s")


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "training", VERSION, "--out", str(out), *ARGS, *extra]


def _environment() -> dict[str, str]:
    # one thread in every process: the same arithmetic, and no spin-waiting on shared cores
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}


def _rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line torn by the kill
            pass
    return rows


def _without_time(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIME_KEYS} for row in rows]


def _kill_after(out: Path, resume: bool, steps: int, delay: float) -> int:
    """Start training, SIGKILL it once `steps` steps are logged plus `delay` s; return the
    last step logged before the kill (the work that was done)."""
    run = out / "abstract" / "v2"
    process = subprocess.Popen(_command(out, *(["--resume"] if resume else [])), cwd=REPO_ROOT,
                               env=_environment(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        logged = _rows(run / rf.METRICS)
        if logged and logged[-1]["step"] >= steps:
            break
        time.sleep(0.005)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    logged = _rows(run / rf.METRICS)
    return logged[-1]["step"] if logged else 0


def _resumable(run: Path) -> bool:
    """What the next --resume will accept: nothing yet, or a run of ours (maybe finished)."""
    return inspect_folder(run).kind in ("absent", "empty", "interrupted", "complete")


def _resumed_from(run: Path) -> int:
    """The step the newest checkpoint holds (what a resume will start from)."""
    for name in (rf.LAST_CHECKPOINT, rf.PREVIOUS_CHECKPOINT):
        try:
            return int(torch.load(run / name, weights_only=True)["step"])
        except Exception:
            continue
    return 0


def test_kill_9_at_random_moments_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    kills = int(os.environ.get("GANREPORT_KILLS", "3"))
    reference = tmp_path / "reference"
    assert main(_command(reference)[3:]) == 0  # in this process, also on one thread
    chooser = random.Random(20240611)
    out, survived, largest_loss, moments, tried = tmp_path / "killed", 0, 0, [], 0
    run, done = out / "abstract" / "v2", 0
    for index in range(kills):
        if inspect_folder(run).kind == "complete":
            break
        done = _kill_after(out, resume=index > 0, steps=done + chooser.randint(0, 2),
                           delay=chooser.uniform(0.0, 0.15))
        tried += 1
        start = _resumed_from(run)
        largest_loss = max(largest_loss, done - start)
        moments.append(f"{done}->{start}")
        survived += _resumable(run)
    finish = subprocess.run(_command(out, "--resume"), cwd=REPO_ROOT, env=_environment(),
                            capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    for name in (rf.METRICS, rf.EPOCHS):
        killed = _without_time(_rows(out / "abstract" / "v2" / name))
        assert killed == _without_time(_rows(reference / "abstract" / "v2" / name)), name
    summary = json.loads((out / "abstract" / "v2" / rf.SUMMARY).read_text())
    assert summary["status"] == "complete" and summary["steps"] == TOTAL_STEPS
    assert survived == tried >= min(kills, 3)
    every = STEPS_PER_EPOCH if CHECKPOINT_STEPS == "null" else int(CHECKPOINT_STEPS)
    assert largest_loss <= every
    print(f"\nkill -9: {survived} of {tried} kills survived; largest loss of work "
          f"{largest_loss} steps (logged step -> resumed from: {', '.join(moments)})")
