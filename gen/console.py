"""Where output goes: generated data to stdout, everything else (logs, progress, errors) to stderr.

rich is imported on first use of ``err`` (PEP 562 module ``__getattr__``), not with this module:
`gen sample` writes its first character before any log line, and rich's import costs ~30 ms.
"""

import sys


def __getattr__(name: str):
    if name == "err":
        from rich.console import Console

        # Progress bars, logs and warnings. Never stdout: `gen sample > file` must hold only samples.
        console = Console(stderr=True, highlight=False, soft_wrap=True)
        globals()["err"] = console
        return console
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _err():
    return globals().get("err") or __getattr__("err")


def log(message: str) -> None:
    _err().print(message)


def warn(message: str) -> None:
    log(f"[yellow]warning:[/] {message}")


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
