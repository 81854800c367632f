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
