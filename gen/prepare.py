"""Corpus → ids on disk: the cached, memory-mapped form that training reads.

`prepare` finds the corpus's files, keys them by content and options, and either maps a cached
entry (`gen.tokens_cache`) or builds one: text (char and word level) in two streaming passes
(`gen.tokenize.stream`), music by parsing it as before (`gen.corpus.load_corpus`: music
collections are small, the parse is what is slow) and storing the ids in the same format. A second
run on the same corpus maps the entry and starts training at once, without reading the text again
or importing music21. The vocabulary is the entry's token list, as `Vocab.build` would make it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen import tokens_cache as tc
from gen.corpus import READERS, corpus_name, resolve_kind
from gen.errors import GenError


@dataclass
class Prepared:
    name: str
    kind: str
    source: str
    entry: tc.Entry
    seconds: float

    @property
    def ids(self) -> np.ndarray:
        return self.entry.ids

    @property
    def level(self) -> str:
        return self.entry.level

    @property
    def stats(self) -> dict:
        return self.entry.stats

    @property
    def vocab(self):
        from gen.tokenize import Vocab

        return Vocab(list(self.entry.tokens), self.entry.level, list(self.entry.specials))

    def tokens(self, start: int, stop: int) -> list[str]:
        """Token strings of ids[start:stop] (for a warm-up context, say)."""
        table = self.entry.tokens
        return [table[i] for i in np.asarray(self.ids[max(0, start): stop]).tolist()]


def _keyed_files(spec: str, options: dict) -> tuple[list[Path], str]:
    """The corpus's files (a folder's in name order, hidden ones left out) and their content
    key under ``options``; a folder's file names are part of the key (their order is the text's)."""
    p = Path(spec)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        options = {**options, "names": [str(f.relative_to(p)) for f in files]}
    else:
        files = [p]
    try:
        return files, tc.content_key(files, options)
    except FileNotFoundError:
        raise GenError(f"no such file: {spec}") from None
    except PermissionError as e:
        raise GenError(f"cannot read {e.filename}: permission denied") from None


def _code_version(kind: str) -> str:
    """Digest of the reader's source, so cached music ids from an older tokenizer miss."""
    from importlib.util import find_spec

    h = hashlib.blake2b(digest_size=8)
    package = Path(find_spec(READERS[kind]).origin).parent
    for f in sorted(package.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()


def prepare(spec: str, kind: str = "auto", level: str | None = None, encoding: str = "utf-8",
            vocab_size: int = 10000, **music_options) -> Prepared:
    t0 = time.perf_counter()
    kind, level = resolve_kind(spec, kind, level)
    if kind == "text":
        entry = _text(spec, level, encoding, vocab_size)
    else:
        entry = _music(spec, kind, level, encoding, vocab_size, music_options)
    return Prepared(corpus_name(spec), kind, spec, entry, time.perf_counter() - t0)


def _text(spec: str, level: str, encoding: str, vocab_size: int) -> tc.Entry:
    from gen.tokenize import stream

    files, key = _keyed_files(spec, {"kind": "text", "level": level, "encoding": encoding,
                                     "vocab": vocab_size if level == "word" else None})
    if (hit := tc.lookup(key)) is not None:
        return hit
    if Path(spec).is_dir():
        files = stream.usable_files(files, encoding)
        if not files:
            raise GenError(f"folder {spec} holds no readable text files")
    if level == "word":
        return stream.encode_words(files, encoding, key, vocab_size)
    return stream.encode_chars(files, encoding, key)


def _music(spec: str, kind: str, level: str | None, encoding: str, vocab_size: int,
           options: dict) -> tc.Entry:
    from importlib.metadata import version

    from gen.corpus import load_corpus
    from gen.tokenize import Vocab

    described = {"kind": kind, "level": level, "encoding": encoding, "vocab": vocab_size,
                 "options": options, "code": _code_version(kind),
                 "music21": version("music21")}
    key = tc.data_key(spec, described) if spec.startswith("music21:") \
        else _keyed_files(spec, described)[1]
    if (hit := tc.lookup(key)) is not None:
        return hit
    corpus = load_corpus(spec, kind, level, encoding, **options)
    cap = corpus.stats.get("vocab_cap", vocab_size) if corpus.level == "word" else None
    vocab = Vocab.build(corpus.tokens, corpus.level, cap, specials=corpus.stats.get("specials", []))
    ids = np.asarray(vocab.encode(corpus.tokens), dtype=np.int64)
    return tc.store(key, ids, vocab.tokens, corpus.level, corpus.stats, vocab.specials)
