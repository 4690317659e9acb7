"""Tokenized corpora cached on disk as memory-mapped id arrays, so memory stays flat as corpora grow.

An entry is two files under ``$GEN_CACHE_DIR/tokens`` (default ``~/.cache/gen/tokens``):
``KEY.ids``, the ids as raw integers of the smallest unsigned type that holds the vocabulary
(uint8 for most texts, uint16 for word vocabularies), and ``KEY.json``: that type, the length,
the vocabulary the ids index, and the corpus's stats. Text, word, ABC and note corpora all use it.
Both are written under temporary names and renamed, the ``.json`` last, so a crash or a second
process never sees half an entry; the ids are written with plain writes (dirty pages of a writable
map would count as this process's memory) and read back through ``np.memmap``, so training and
evaluation touch only the slices they use.

Keys are BLAKE2b over a format version, the options (kind, level, encoding, vocabulary cap, music
options) and the bytes of every input file: an edited file misses even if its size and mtime are
unchanged, a renamed or copied one hits. Hashing is the whole cost of a hit (about 1 GB/s here).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# 2: ABC stats carry the corpus's pitch range; an entry made before would leave it out.
FORMAT = "gen-tokens-2"
HASH_CHUNK = 8 << 20


def cache_dir() -> Path:
    env = os.environ.get("GEN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "gen"


def tokens_dir() -> Path:
    return cache_dir() / "tokens"


def id_dtype(vocab_size: int) -> np.dtype:
    for dt in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dt).max + 1:
            return np.dtype(dt)
    raise ValueError(f"a vocabulary of {vocab_size} tokens is too large")


@dataclass
class Entry:
    """A corpus as ids (read-only memory map), the token strings they index, and its stats."""

    key: str
    ids: np.ndarray
    tokens: list[str]
    level: str
    stats: dict = field(default_factory=dict)
    specials: list[str] = field(default_factory=list)
    hit: bool = False


def content_key(files: list[Path], options: dict) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(json.dumps([FORMAT, options], sort_keys=True).encode())
    for f in files:
        h.update(b"\0file\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(HASH_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def data_key(*parts: object) -> str:
    """Key of a derived entry (a corpus re-expressed in another vocabulary) from JSON-able parts."""
    h = hashlib.blake2b(digest_size=20)
    h.update(json.dumps([FORMAT, *parts], sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def lookup(key: str, folder: Path | None = None) -> Entry | None:
    folder = folder or tokens_dir()
    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        ids = _map(folder / f"{key}.ids", meta["dtype"], meta["length"])
    except (OSError, ValueError, KeyError):
        return None  # absent or damaged: build it again
    return Entry(key, ids, meta["tokens"], meta["level"], meta.get("stats", {}),
                 meta.get("specials", []), hit=True)


def _map(path: Path, dtype: str, length: int) -> np.ndarray:
    if length == 0:
        return np.zeros(0, dtype=dtype)
    if path.stat().st_size != length * np.dtype(dtype).itemsize:
        raise ValueError(f"{path} has the wrong size")
    return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


class Writer:
    """Streams ids into a new entry: ``write(ids)`` as often as needed, then ``commit(...)``.
    Used as a context manager, it removes its temporary file if the block raises before the
    commit (a bad byte in pass two, Ctrl-C)."""

    def __init__(self, key: str, dtype: np.dtype, folder: Path | None = None):
        self.folder = folder or _writable_dir()
        self.key, self.dtype, self.length = key, np.dtype(dtype), 0
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".ids.tmp", dir=self.folder)
        self.tmp = Path(tmp)
        self.fh = os.fdopen(fd, "wb", buffering=0)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()

    def write(self, ids: np.ndarray) -> None:
        try:
            self.fh.write(np.ascontiguousarray(ids, dtype=self.dtype).data)
        except OSError as e:
            self._failed(self.folder / f"{self.key}.ids", e)
        self.length += len(ids)

    def commit(self, tokens: list[str], level: str, stats: dict,
               specials: list[str] | None = None) -> Entry:
        meta = {"format": FORMAT, "dtype": self.dtype.name, "length": self.length,
                "tokens": tokens, "level": level, "stats": stats, "specials": list(specials or [])}
        target = self.folder / f"{self.key}.ids"
        try:
            self.fh.close()
            os.replace(self.tmp, target)
            target = self.folder / f"{self.key}.json"
            fd, tmp = tempfile.mkstemp(prefix=f".{self.key}.", suffix=".json.tmp", dir=self.folder)
            self.tmp = Path(tmp)  # what abort() removes from here on
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError as e:
            self._failed(target, e)
        ids = _map(self.folder / f"{self.key}.ids", self.dtype.name, self.length)
        return Entry(self.key, ids, tokens, level, stats, list(specials or []))

    def _failed(self, path: Path, e: OSError):
        """A full or read-only cache folder: one line, no temporary file left behind (an .ids
        without its .json is never looked up, and the next run rewrites it)."""
        from gen.errors import GenError, WriteError

        self.abort()
        raise GenError(f"{WriteError(path, e)} (token cache; free some space or point "
                       "GEN_CACHE_DIR at another folder)") from None

    def abort(self) -> None:
        try:
            self.fh.close()
        except OSError:
            pass  # the close's flush failed too: the file goes anyway
        self.tmp.unlink(missing_ok=True)


def _writable_dir() -> Path:
    d = tokens_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=d, prefix=".probe.")
        probe.close()
        return d
    except OSError:
        # An unwritable cache costs reuse on the next run, never this run.
        return Path(tempfile.mkdtemp(prefix="gen-tokens-"))


def store(key: str, ids: np.ndarray, tokens: list[str], level: str, stats: dict,
          specials: list[str] | None = None) -> Entry:
    """An entry from ids already in memory (music corpora are small)."""
    with Writer(key, id_dtype(max(len(tokens), 1))) as w:
        w.write(ids)
        return w.commit(tokens, level, stats, specials)


def remap(entry: Entry, tokens: list[str], unk: int | None, chunk: int = 1 << 22) -> Entry:
    """The entry's ids re-expressed in another vocabulary (a resumed or fine-tuned run whose
    vocabulary differs), streamed in chunks and cached too. Tokens the new vocabulary lacks map
    to ``unk``; the caller checks beforehand when there is none."""
    if entry.tokens == tokens:
        return entry
    key = data_key("remap", entry.key, tokens)
    if (hit := lookup(key)) is not None:
        return hit
    stoi = {t: i for i, t in enumerate(tokens)}
    lut = np.array([stoi.get(t, unk if unk is not None else 0) for t in entry.tokens],
                   dtype=id_dtype(len(tokens)))
    with Writer(key, lut.dtype) as w:
        for i in range(0, len(entry.ids), chunk):
            w.write(lut[entry.ids[i: i + chunk]])
        return w.commit(list(tokens), entry.level, entry.stats, entry.specials)
