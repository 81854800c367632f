"""How a run ended, derived from its files rather than trusted from summary.json.

A training process killed by the OOM killer, a power cut or `kill -9` never gets to
rewrite `summary.json`, which then says "running" for ever. The writer also keeps a
heartbeat file (pid, hostname, updated_at) fresh while it lives, so a "running" run whose
heartbeat is missing, stale, or names a dead process on this machine is interrupted.
The clock, the host name and the process check come in as a `Now`, so tests can fix them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import runformat


@dataclass(frozen=True)
class Now:
    """The moment of reading: wall time, this machine's name, and whether a pid lives."""

    time: datetime
    host: str
    pid_alive: Callable[[int], bool]

    @classmethod
    def real(cls) -> Now:
        return cls(datetime.now(timezone.utc), socket.gethostname(), pid_alive)


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this machine (signal 0 probes only)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class RunStatus:
    """`state` is what the site shows; `recorded` what summary.json said."""

    state: str  # running | complete | interrupted | diverged | unknown
    recorded: str
    step: int | None = None  # the last step done, when known
    reason: str = ""  # why a recorded "running" is read as interrupted
    resume: str | None = None  # the command that continues an interrupted run

    @property
    def text(self) -> str:
        """'complete', 'running', 'interrupted at step 120', 'diverged at step 80'."""
        if self.state in ("interrupted", "diverged") and self.step is not None:
            return f"{self.state} at step {self.step}"
        return self.state

    @property
    def finished(self) -> bool:
        return self.state == "complete"


def derive_status(recorded: Any, last_step: int | None, heartbeat: dict[str, Any] | None,
                  now: Now, study: str, version: str) -> RunStatus:
    """The run's real state from summary.json's `status`, the last step and the heartbeat."""
    resume = runformat.resume_command(study, version)
    if recorded in ("complete", "diverged"):
        return RunStatus(recorded, recorded, last_step)
    if recorded == "interrupted":
        return RunStatus("interrupted", recorded, last_step, "summary.json says so", resume)
    if recorded != "running":
        return RunStatus("unknown", str(recorded), last_step)
    stale = heartbeat_problem(heartbeat, now)
    if stale:
        return RunStatus("interrupted", recorded, last_step, stale, resume)
    return RunStatus("running", recorded, last_step)


def heartbeat_problem(heartbeat: dict[str, Any] | None, now: Now) -> str:
    """Why the writer of a "running" run is not alive any more; '' when it may be."""
    if heartbeat is None:
        return f"summary.json says running but there is no {runformat.HEARTBEAT}"
    updated = parse_time(heartbeat.get("updated_at"))
    if updated is None:
        return f"{runformat.HEARTBEAT} has no readable updated_at"
    age = (now.time - updated).total_seconds()
    if age > runformat.HEARTBEAT_STALE_S:
        return f"its heartbeat stopped {format_age(age)} ago"
    pid = heartbeat.get("pid")
    if heartbeat.get("hostname") == now.host and isinstance(pid, int) and not now.pid_alive(pid):
        return f"its process {pid} on {now.host} is gone"
    return ""


def parse_time(text: Any) -> datetime | None:
    """ISO 8601 -> aware datetime (a time without offset is taken as UTC); None if unreadable."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def format_age(seconds: float) -> str:
    """400 -> '6 min', 7300 -> '2 h', 200000 -> '2 days'."""
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
