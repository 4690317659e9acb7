"""One run, one folder: claiming a run folder and holding it for the life of the training.

Each run folder has a lock file, ``.lock``, held with ``fcntl.flock`` while a process trains in
it. The kernel drops the lock when the process ends however it ends (``kill -9`` included), so a
stale lock never blocks the next run; the file itself may stay behind, harmless.

A new run tries ``base``, then ``base-2``, ``base-3``...: it takes the first folder whose lock it
gets and which holds no earlier run (no meta.json). The lock is the arbiter, so two runs started
at the same moment with the same default folder always end up in two folders.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from gen.checkpoint import META
from gen.errors import GenError

LOCK = ".lock"
_held: dict[Path, int] = {}  # folder -> fd; keeps the lock for the life of the process


def _try_lock(folder: Path) -> int | None:
    """An fd holding ``folder``'s lock, or None if a live process holds it."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    # Record who holds it, for the message a second writer gets.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[folder.resolve()] = fd
    return fd


def _release(folder: Path) -> None:
    fd = _held.pop(folder.resolve(), None)
    if fd is not None:
        os.close(fd)


def release_all() -> None:
    """Drop this process's locks (at the end of a run; process exit would drop them anyway)."""
    for folder in list(_held):
        _release(folder)


def _holder(folder: Path) -> str:
    try:
        pid = (folder / LOCK).read_text().strip()
    except OSError:
        pid = ""
    return f" (pid {pid})" if pid.isdigit() else ""


def claim_new(base: Path) -> Path:
    """Lock and return ``base`` or the first free ``base-N`` for a new run."""
    n = 1
    while True:
        folder = base if n == 1 else base.parent / f"{base.name}-{n}"
        n += 1
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            continue  # a file of that name: not ours to use
        except OSError as e:
            raise GenError(f"could not create run folder {folder}: {e.strerror or e}") from None
        if not folder.is_dir():
            continue
        if _try_lock(folder) is None:
            continue  # a live run holds it
        if (folder / META).exists():
            _release(folder)  # an earlier run lives here: never mix two runs in one folder
            continue
        return folder


def claim_existing(folder: Path) -> None:
    """Lock ``folder`` for ``--resume``; refuse if a live process is training in it."""
    if _try_lock(folder) is None:
        raise GenError(f"{folder} is being trained by another process{_holder(folder)}; wait for "
                       "it to finish (or stop it) before resuming, or train into another folder")
