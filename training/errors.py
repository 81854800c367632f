"""The one exception type for mistakes a user can fix (bad config, missing data).

The CLI prints it as one line, `error: <source>: <key>: <what is expected>`,
and exits with code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem in the user's input, located by source (a file or option) and key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = str(source)
        self.key = key
        self.message = message
        super().__init__(f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}")


class Interrupted(Exception):
    """Training stopped on SIGINT/SIGTERM after writing a checkpoint (not an error)."""

    def __init__(self, signum: int, step: int, epoch: int) -> None:
        self.signum, self.step, self.epoch = signum, step, epoch
        super().__init__(f"stopped by signal {signum} at step {step} (epoch {epoch})")
