"""SIGINT and SIGTERM during training: finish the step, checkpoint, then stop.

The handlers only raise a flag that the loop reads between steps, so a
checkpoint is never taken halfway through an update. A second signal while
the first is being handled falls back to the default behaviour (Ctrl-C twice
stops at once, keeping the last checkpoint).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number


class StopSignals:
    """Context manager: `requested` holds the signal number once SIGINT/SIGTERM arrived."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested is not None:  # second signal: stop now
            self._restore()
            signal.raise_signal(signum)
            return
        self.requested = signum

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._restore()
