"""The one exception type for mistakes a user can make.

The CLI catches `GenError` and prints its message as a single line on stderr with a non-zero
exit; anything else is a bug and keeps its traceback.
"""


class GenError(Exception):
    """A problem the user can fix: the message says what is wrong and what to do."""
