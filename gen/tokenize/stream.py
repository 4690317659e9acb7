"""Text files → a token-cache entry in two streaming passes, never holding the corpus in memory.

Pass one reads the files in chunks of ``CHUNK`` bytes, checks them (binary, undecodable, empty:
the same one-line errors as `gen.corpus.read_text`) and counts tokens, which gives the vocabulary
`Vocab.build` would give for the whole token list. Pass two reads them again and writes ids into
a `gen.tokens_cache` entry. At char level both passes work on code points as numpy arrays
(``str.encode('utf-32-le')`` viewed as uint32, counted with ``bincount``, mapped through a
lookup table), so any script goes at the speed of ASCII. At word level each chunk's regex tokens
go through a Python dict (a Python step per word; words are about 5x fewer than characters).
Chunks are cut after a line break, which no word token spans, so chunking never changes tokens.
Memory is a few chunks' worth whatever the corpus size.
"""

from __future__ import annotations

import codecs
from collections import Counter
from pathlib import Path
from typing import Iterator

import numpy as np

from gen import tokens_cache as tc
from gen.errors import GenError

CHUNK = 4 << 20  # bytes per read: small enough that a 10 MB and a 1 GB corpus peak alike
N_CODE_POINTS = 0x110000


def _chunks(path: Path, encoding: str) -> Iterator[str]:
    """Decoded text of one file in pieces; every problem is a GenError naming the file."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise GenError(f"unknown encoding {encoding!r}") from None
    from gen.corpus import open_file

    with open_file(path) as fh:
        offset, first, seen = 0, True, False
        while True:
            data = fh.read(CHUNK)
            if first and b"\x00" in data[:65536]:
                raise GenError(f"{path} looks binary (it holds NUL bytes), not text")
            pending = len(decoder.getstate()[0])  # bytes held back from the previous read
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as e:
                raise GenError(f"{path} is not valid {encoding} (byte {offset - pending + e.start}); "
                               "pass its encoding, e.g. --encoding latin-1") from None
            if first:
                text, first = text.removeprefix("\ufeff"), False
            seen = seen or not text.isspace() and bool(text)
            if text:
                yield text
            if not data:
                break
            offset += len(data)
        if not seen:
            raise GenError(f"{path} is empty: a corpus needs some text to learn from")


def _corpus_chunks(files: list[Path], encoding: str, lines: bool = False) -> Iterator[str]:
    """The corpus in pieces: files joined by one line break, as `gen.corpus.read_text_corpus`
    joins them. With ``lines``, each piece but the last ends after a line break."""
    rest = ""
    for i, f in enumerate(files):
        pieces = _chunks(f, encoding)
        if i:
            rest += "\n"
        for piece in pieces:
            piece = rest + piece
            cut = piece.rfind("\n") + 1 if lines else len(piece)
            rest = piece[cut:]
            if cut:
                yield piece[:cut]
    if rest:
        yield rest


def usable_files(files: list[Path], encoding: str) -> list[Path]:
    """The files of a folder that read as text; the others are skipped, as `read_text_corpus`
    skips them."""
    good = []
    for f in files:
        try:
            for _ in _chunks(f, encoding):
                pass
            good.append(f)
        except GenError:
            continue
    return good


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def encode_chars(files: list[Path], encoding: str, key: str) -> tc.Entry:
    counts = np.zeros(N_CODE_POINTS, dtype=np.int64)
    for piece in _corpus_chunks(files, encoding):
        found = np.bincount(_code_points(piece))
        counts[: len(found)] += found
    present = np.flatnonzero(counts)
    tokens = [chr(c) for c in present]  # code-point order is Vocab.build's sorted order
    dtype = tc.id_dtype(len(tokens))
    lut = np.zeros(N_CODE_POINTS, dtype=dtype)
    lut[present] = np.arange(len(present), dtype=dtype)
    with tc.Writer(key, dtype) as writer:
        for piece in _corpus_chunks(files, encoding):
            writer.write(lut[_code_points(piece)])
        return writer.commit(tokens, "char", {"characters": int(counts.sum())})


def encode_words(files: list[Path], encoding: str, key: str, vocab_size: int) -> tc.Entry:
    from gen.tokenize import Vocab
    from gen.tokenize.word import split

    counts: Counter[str] = Counter()
    characters = 0
    for piece in _corpus_chunks(files, encoding, lines=True):
        counts.update(split(piece))
        characters += len(piece)
    vocab = Vocab.build(counts, "word", vocab_size)  # a Counter's counts, in first-seen order
    stoi, unk = vocab.stoi, vocab.unk
    with tc.Writer(key, tc.id_dtype(len(vocab))) as writer:
        for piece in _corpus_chunks(files, encoding, lines=True):
            writer.write(np.fromiter((stoi.get(t, unk) for t in split(piece)), dtype=np.int64))
        return writer.commit(vocab.tokens, "word", {"characters": characters}, vocab.specials)
