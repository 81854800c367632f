"""heartbeat.json: proof that a run's writer is still alive, for the site to judge.

A background thread rewrites the file every INTERVAL_S seconds while training
runs, whatever the loop is doing (a first step under torch.compile can take
minutes). kill -9 stops it with the process, so the site can tell "running"
from "interrupted at step N": a heartbeat older than STALE_AFTER_S, or one
whose pid is gone on this host, means the writer is gone.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from ganreport import runformat as rf
from training.rundir import RunWriter, now_iso

INTERVAL_S = 10.0
STALE_AFTER_S = 60.0  # six missed beats


class Heartbeat:
    """Context manager that keeps heartbeat.json fresh; `where()` gives (step, epoch)."""

    def __init__(self, writer: RunWriter, where: Callable[[], tuple[int, int]]) -> None:
        self.writer = writer
        self.where = where
        self.started_at = now_iso()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def beat(self, state: str = "training") -> None:
        """Write the file now (also called by the loop at checkpoints and at the end)."""
        step, epoch = self.where()
        self.writer.write_json(rf.HEARTBEAT, self.payload(state, step, epoch))

    def payload(self, state: str, step: int, epoch: int) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "started_at": self.started_at,
            "updated_at": now_iso(),
            "updated_unix": round(time.time(), 3),
            "state": state,  # training, or the run's status once the writer has stopped
            "step": step,
            "epoch": epoch,
            "interval_s": INTERVAL_S,
            "stale_after_s": STALE_AFTER_S,
        }

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            try:
                self.beat()
            except OSError:  # a full disk must not kill training from a side thread
                pass

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
