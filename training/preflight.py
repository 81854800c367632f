"""Checks before any training starts: what each run folder holds, and room to write.

`train` never deletes a run folder it did not make, and never overwrites a
run without being asked: each version's folder is classified first (absent,
empty, foreign, live, complete, diverged, interrupted) and the CLI decides
from that and --resume/--force. The output folder must be a writable folder
with room for the checkpoints. All of this runs before the first step.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ganreport import runformat as rf
from training.errors import UserError

CONFIG_TEMPORARY = f".{rf.CONFIG}."  # atomic_write's temporary file for config.yaml


@dataclass
class FolderState:
    """What a run folder holds before training: kind, and the step it reached if it is a run."""

    kind: str  # absent, empty, foreign, live, complete, diverged, interrupted
    step: int = 0
    detail: str = ""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_ours(folder: Path) -> bool:
    """A folder ganreport made: a config.yaml naming study and version, or our summary.json."""
    summary = _read_json(folder / rf.SUMMARY)
    if summary is not None and "format_version" in summary:
        return True
    try:
        config = yaml.safe_load((folder / rf.CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(config, dict) and {"study", "version"} <= set(config)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def writer_alive(heartbeat: dict[str, Any] | None) -> bool:
    """The staleness rule: a heartbeat in state "training", younger than its stale_after_s,
    and (on this host) from a process that still exists."""
    if not heartbeat or heartbeat.get("state") != "training":
        return False
    age = time.time() - float(heartbeat.get("updated_unix") or 0)
    if age > float(heartbeat.get("stale_after_s") or 60):
        return False
    if heartbeat.get("hostname") == socket.gethostname():
        return _pid_alive(int(heartbeat.get("pid") or 0))
    return True


def inspect_folder(folder: Path) -> FolderState:
    """Classify what is at a version's run folder."""
    if not folder.exists() and not folder.is_symlink():
        return FolderState("absent")
    if not folder.is_dir():
        return FolderState("foreign", detail="it is a file, not a folder")
    if all(entry.name.startswith(CONFIG_TEMPORARY) for entry in folder.iterdir()):
        return FolderState("empty")  # nothing, or killed while config.yaml was being written
    if not is_ours(folder):
        return FolderState("foreign", detail="it has no config.yaml or summary.json of ganreport")
    summary = _read_json(folder / rf.SUMMARY) or {}
    step = summary.get("steps") if isinstance(summary.get("steps"), int) else 0
    heartbeat = _read_json(folder / rf.HEARTBEAT)
    if writer_alive(heartbeat):
        return FolderState("live", step, f"pid {heartbeat['pid']} on {heartbeat['hostname']}")
    status = summary.get("status")
    if status in ("complete", "diverged"):
        return FolderState(status, step)
    return FolderState("interrupted", step)


def move_aside(folder: Path) -> Path:
    """Rename a run folder to `<version>.old-<timestamp>` beside it; return the new path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = folder.with_name(f"{folder.name}{rf.SET_ASIDE}{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = folder.with_name(f"{folder.name}{rf.SET_ASIDE}{stamp}-{counter}")
    os.rename(folder, aside)
    return aside


def nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output(out: Path, option: str = "--out") -> None:
    """The runs folder is, or can become, a writable folder."""
    if out.exists() and not out.is_dir():
        raise UserError(option, str(out), "is a file; expected a folder for run folders")
    base = nearest_existing(out)
    if not base.is_dir():
        raise UserError(option, str(out), f"{base} is a file; expected a folder for run folders")
    if not os.access(base, os.W_OK | os.X_OK):
        raise UserError(option, str(out), f"{base} is not writable; choose another --out")


def check_disk(out: Path, needed: int, option: str = "--out") -> None:
    """Enough free space at `out` for `needed` bytes (the checkpoints of the largest run)."""
    free = shutil.disk_usage(nearest_existing(out)).free
    if free < needed:
        raise UserError(
            option, str(out), f"only {free / 2**20:.0f} MiB free; the checkpoints need about "
            f"{needed / 2**20:.0f} MiB (three copies while one is rotated in); free some space "
            "or choose another --out",
        )
