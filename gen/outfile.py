"""Writing output files so that a failure leaves nothing half-written.

`atomic_output(path)` hands out a temporary path beside ``path`` (same suffix, so music21,
fluidsynth or rsvg-convert pick the format from it) and renames it over ``path`` only when the
block succeeds. On any failure the temporary file is removed and whatever was at ``path`` stays
as it was; a failed write (full disk, read-only folder, quota, a deleted folder), even one that
a library wrapped in its own exception, becomes one `gen.errors.WriteError` line. Checkpoints
use `gen.checkpoint.atomic_write`, the same idea for a file object.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gen.errors import WriteError, discard, os_error


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        if not tmp.exists():
            return  # the block chose to write nothing
        os.replace(tmp, path)
    except BaseException as e:
        left = discard(tmp)
        if (cause := os_error(e)) is not None:
            raise WriteError(path, cause, left) from None
        raise


def write_text(path: Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
