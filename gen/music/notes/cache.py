"""Token cache for parsed music, keyed by the content of what was parsed.

Parsing a score with music21 costs ~30 ms; reading its tokens back from here costs microseconds,
so the second `gen train` on a folder starts at once. Keys are SHA-256 of an encoder version,
the format and the bytes, so an edited file (or a new encoder) misses and is parsed again, while
a renamed or copied file hits. Failures are cached too (tokens NULL), so a corrupt file is not
re-parsed every time. One SQLite file under ``$GEN_CACHE_DIR`` (default ``~/.cache/gen``): safe
with several processes, and one query fetches thousands of entries.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from gen.tokens_cache import cache_dir

ENCODER_VERSION = "notes-1"


def content_key(fmt: str, data: bytes) -> str:
    h = hashlib.sha256()
    h.update(f"{ENCODER_VERSION}\0{fmt}\0".encode())
    h.update(data)
    return h.hexdigest()


class TokenCache:
    """``get_many(keys) -> {key: tokens or None (failed)}``, ``put_many({key: (tokens, error)})``."""

    def __init__(self, path: Path | None = None):
        self.path = path or cache_dir() / "notes-tokens.sqlite"
        self.db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("CREATE TABLE IF NOT EXISTS units "
                            "(key TEXT PRIMARY KEY, tokens TEXT, error TEXT)")
        except (OSError, sqlite3.Error):
            self.db = None  # an unwritable cache only costs speed, never the run

    def get_many(self, keys: list[str]) -> dict[str, list[str] | None]:
        found: dict[str, list[str] | None] = {}
        if self.db is None:
            return found
        for i in range(0, len(keys), 500):
            chunk = keys[i: i + 500]
            q = f"SELECT key, tokens FROM units WHERE key IN ({','.join('?' * len(chunk))})"
            try:
                for key, tokens in self.db.execute(q, chunk):
                    found[key] = None if tokens is None else tokens.split(" ") if tokens else []
            except sqlite3.Error:
                return found
        return found

    def put_many(self, entries: dict[str, tuple[list[str] | None, str | None]]) -> None:
        if self.db is None or not entries:
            return
        rows = [(k, None if toks is None else " ".join(toks), err) for k, (toks, err) in entries.items()]
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO units VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
