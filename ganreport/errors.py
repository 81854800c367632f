"""The one exception type for mistakes a user can fix (bad input, missing files).

The CLI prints it as a single line and exits with code 2; anything else is a bug
and keeps its traceback.
"""


class UserError(Exception):
    """A problem in the user's input: the message names the file/key/line and what is expected."""
