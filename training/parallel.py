"""`ganreport train experiments/<study> --parallel K`: K versions at once, one process each.

The parent resolves and plans every version first, with the same checks as a serial run
(a typo in v3.yaml or a complete run in the way fails before anything starts), and fills
the dataset cache. Then it runs `python -m training <study>/<version>.yaml ...` once per
version, at most K at a time: each child gets one CUDA device of its own
(CUDA_VISIBLE_DEVICES) or, on the CPU, a K-th of the cores (OMP_NUM_THREADS). Each child
writes its run folder as a serial run would; its output lines are prefixed with its version.
Children run in their own session, so a Ctrl-C reaches each exactly once (forwarded by the
parent) and every running version stops at a checkpoint. The end is one line per version.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from training.errors import UserError
from training.fast.settings import cores_available

POLL_S = 0.2


@dataclass
class Job:
    """One version's child process and what it said last."""

    version: str
    argv: list[str]
    process: subprocess.Popen | None = None
    slot: int = -1
    last_error: str = ""
    reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def code(self) -> int | None:
        return None if self.process is None else self.process.poll()


def child_argv(args: argparse.Namespace, version_file: Path) -> list[str]:
    """The command line of one version's child: the same options, one version, no --parallel."""
    argv = [str(version_file), "--out", args.out, "--device", args.device, "--profile",
            args.profile]
    for override in args.overrides:
        argv += ["--set", override]
    argv += [flag for flag, on in (("--resume", args.resume), ("--force", args.force)) if on]
    return [*argv, "--no-progress"]  # a pipe has no terminal to draw a bar on


def _relay(job: Job) -> None:
    """Copy a child's output to stderr, each line prefixed with its version."""
    assert job.process is not None and job.process.stdout is not None
    for line in job.process.stdout:
        if line.startswith("error:"):
            job.last_error = line.strip()
        sys.stderr.write(f"[{job.version}] {line}")
        sys.stderr.flush()


def _start(job: Job, slot: int, cuda_devices: int, threads: int) -> None:
    env = dict(os.environ)
    if cuda_devices:  # the slot's device among those this process may see
        visible = env.get("CUDA_VISIBLE_DEVICES", ",".join(map(str, range(cuda_devices))))
        env["CUDA_VISIBLE_DEVICES"] = visible.split(",")[slot % cuda_devices].strip()
    else:
        env.setdefault("OMP_NUM_THREADS", str(threads))
    job.slot = slot
    job.process = subprocess.Popen(
        [sys.executable, "-m", "training", *job.argv], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True,
    )
    job.reader = threading.Thread(target=_relay, args=(job,), daemon=True)
    job.reader.start()


def run_jobs(jobs: list[Job], parallel: int, cuda_devices: int) -> int | None:
    """Run every job once, at most `parallel` at a time; the signal that stopped them, if any."""
    threads = max(1, cores_available() // parallel)
    pending, running, free = list(jobs), [], list(range(parallel))
    stopped: int | None = None

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopped
        if stopped is None:
            stopped = signum
            for job in running:
                job.process.send_signal(signum)

    previous = {number: signal.signal(number, forward) for number in (signal.SIGINT,
                                                                      signal.SIGTERM)}
    try:
        while running or (pending and stopped is None):
            while pending and free and stopped is None:
                job = pending.pop(0)
                _start(job, free.pop(0), cuda_devices, threads)
                running.append(job)
            time.sleep(POLL_S)
            for job in [job for job in running if job.code is not None]:
                job.reader.join()
                running.remove(job)
                free.append(job.slot)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return stopped


def train_parallel(args: argparse.Namespace, argv: list[str]) -> int:
    """Plan the study's versions, then train them `args.parallel` at a time; the exit code."""
    from training.cli import Plan, pick_device, prepare  # the serial path's own checks
    from training.profiles import pick_profile
    from training.study import locate, resolve

    if args.nproc is not None and args.nproc > 1:
        raise UserError("--parallel", str(args.parallel), "use --nproc or --parallel, not both")
    device = pick_device(args.device)
    path = Path(args.path)
    study, versions = locate(path)
    folder = path if path.is_dir() else path.parent
    profile = pick_profile(args.profile, device.type, study.profiles)
    configs = [resolve(study, version, profile, args.overrides)
               for version in dict.fromkeys(versions)]  # each version once
    plans: list[Plan] = prepare(args, configs, device)[0]
    jobs = [Job(plan.config.version, child_argv(args, folder / f"{plan.config.version}.yaml"))
            for plan in plans if plan.action != "skip"]
    for plan in plans:
        if plan.action == "skip":
            print(f"{plan.config.study}/{plan.config.version}: {plan.note}", file=sys.stderr)
    cuda_devices = torch.cuda.device_count() if device.type == "cuda" else 0
    width = min(args.parallel, len(jobs)) or 1
    print(f"training {len(jobs)} versions of {study.name}, {width} at a time "
          f"({f'one per CUDA device of {cuda_devices}' if cuda_devices else 'on the CPU'})",
          file=sys.stderr)
    stopped = run_jobs(jobs, width, cuda_devices)
    code = report(study.name, jobs, stopped)
    if stopped is not None:
        from training.cli import resume_command

        print(f"interrupted: resume the study with: {resume_command(argv)}", file=sys.stderr)
    return code


def report(study: str, jobs: list[Job], stopped: int | None) -> int:
    """One line per version; 0 when all completed, else the first failure's exit code."""
    failures: list[int] = []
    for job in jobs:
        code = job.code
        if code is None:
            state = "not started (stopped first)"
        elif code == 0:
            state = "done"
        elif code in (130, 143):
            state = f"interrupted with a checkpoint (exit {code})"
        else:
            state = f"failed (exit {code})" + (f": {job.last_error}" if job.last_error else "")
            failures.append(code)
        print(f"parallel: {study}/{job.version} {state}", file=sys.stderr)
    if stopped is not None:
        return 128 + stopped
    return failures[0] if failures else 0
