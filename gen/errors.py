"""The one exception type for mistakes a user can make.

The CLI catches `GenError` and prints its message as a single line on stderr with a non-zero
exit; anything else is a bug and keeps its traceback.
"""


class GenError(Exception):
    """A problem the user can fix: the message says what is wrong and what to do."""


class WriteError(GenError):
    """A file could not be written (full disk, read-only folder, quota, a deleted folder).
    Raised after the temporary file is removed; what was at ``path`` before is untouched."""

    def __init__(self, path, cause: BaseException | str, left=None):
        self.path = path
        self.cause = cause if isinstance(cause, str) else (
            getattr(cause, "strerror", None) or str(cause) or type(cause).__name__)
        import os

        name = os.path.basename(str(path))
        if not os.path.exists(path):
            kept = "nothing was written"
        elif name.endswith((".pt", ".safetensors")) or name == "meta.json":
            kept = "the previous checkpoint is untouched"
        else:
            kept = "the previous version is untouched"
        if left is not None:  # a read-only folder refuses the clean-up too
            kept += f"; its temp file {os.path.basename(str(left))} could not be removed"
        super().__init__(f"could not write {path}: {self.cause}; {kept}")


def discard(tmp) -> object | None:
    """Remove a temp file after a failed write; return it if it could not be removed (the
    folder went read-only or away), so the error line can say so, else None."""
    import os

    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    except OSError:
        return tmp
    return None


class Stopped(GenError):
    """Training stopped on a signal (Ctrl-C, SIGTERM, SIGHUP) after saving its state. The CLI
    exits with ``128 + signum``, as a shell reports a process ended by that signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = 128 + signum


def os_error(e: BaseException | None) -> OSError | None:
    """The OSError behind ``e``: itself, or one in its cause/context chain (torch and other
    libraries wrap a failed write in their own exception types)."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, OSError):
            return e
        if isinstance(e, GenError):
            return None  # already said in its own words
        seen.add(id(e))
        e = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    return None
