"""Where output goes: generated data to stdout, everything else (logs, progress, errors) to stderr."""

import sys

from rich.console import Console

# Progress bars, logs and warnings. Never stdout: `gen sample > file` must hold only samples.
err = Console(stderr=True, highlight=False, soft_wrap=True)


def log(message: str) -> None:
    err.print(message)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {message}")


def error_line(message: str) -> None:
    """One clear line on stderr (plain text, so nothing in the message is taken as markup)."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


class PipeClosed(Exception):
    """stdout's reader has gone. Not an OSError, so click does not turn it into exit status 1."""


def write_out(text: str) -> None:
    """Write generated output to stdout immediately (streaming), without rich's rewrapping."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise PipeClosed from None
