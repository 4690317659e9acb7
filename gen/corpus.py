"""Find and read a corpus, decide what kind it is, and turn it into token strings.

Kinds: ``text`` (any UTF-8 file), ``abc`` (ABC tune collections) and ``notes`` (MIDI / MusicXML /
other scores through music21). Music parsing lives in `gen.music`; this module only dispatches
(through `READERS`, imported on first use) and checks the input so that every user mistake becomes
one clear `GenError`. Readers return ``(level, tokens, stats)`` and never import this module back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gen.errors import GenError

# kind -> module with load(spec, level, **options) -> (level, tokens, stats). music21 is heavy:
# a reader is imported only for a corpus of its kind.
READERS = {"abc": "gen.music.abc.corpus", "notes": "gen.music.notes.corpus"}
ABC_SUFFIXES = {".abc"}
SCORE_SUFFIXES = {".mid", ".midi", ".mxl", ".musicxml", ".xml", ".krn"}


@dataclass
class Corpus:
    """A corpus as token strings plus where it came from."""

    name: str
    kind: str
    level: str
    tokens: list[str]
    source: str
    stats: dict


def corpus_name(spec: str) -> str:
    """Run-folder name for a corpus: the file stem, folder name, or music21 collection name."""
    if spec.startswith("music21:"):
        return spec.split(":", 1)[1].replace("/", "_") or "music21"
    p = Path(spec)
    return (p.stem if p.is_file() else p.resolve().name) or "corpus"


def detect_kind(spec: str) -> str:
    if spec.startswith("music21:"):
        return "music21"
    p = Path(spec)
    if not p.exists():
        raise GenError(f"no such file or folder: {spec}")
    if p.is_dir():
        files = [f for f in p.rglob("*") if f.is_file()]
        if not files:
            raise GenError(f"folder {spec} is empty: put text, .abc or MIDI/MusicXML files in it")
        suffixes = {f.suffix.lower() for f in files}
        if suffixes & SCORE_SUFFIXES:
            return "notes"
        if suffixes & ABC_SUFFIXES:
            return "abc"
        return "text"
    if p.suffix.lower() in ABC_SUFFIXES:
        return "abc"
    if p.suffix.lower() in SCORE_SUFFIXES:
        return "notes"
    return "text"


def open_file(path: Path):
    """``open(path, "rb")``, or a GenError saying why the file cannot be read."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise GenError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise GenError(f"{path} is a folder, expected a file") from None
    except PermissionError:
        raise GenError(f"cannot read {path}: permission denied") from None


def resolve_kind(spec: str, kind: str, level: str | None) -> tuple[str, str | None]:
    """(kind, level) of a corpus: detected where ``kind`` is auto, music21 collections resolved
    to abc or notes; a GenError for a kind or text level gen does not have."""
    kind = detect_kind(spec) if kind == "auto" else kind
    if kind == "text":
        level = level or "char"
        if level not in ("char", "word"):
            raise GenError(f"--level {level} is not available for text; use char or word")
        return kind, level
    if kind == "music21":
        from gen.music.music21_corpus import kind_of

        kind = kind_of(spec)
    if kind not in READERS:
        raise GenError(f"unknown corpus kind {kind!r}; choose text, abc or notes")
    return kind, level


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The file's text, or a GenError saying why it is not usable as a text corpus."""
    with open_file(path) as fh:
        data = fh.read()
    if not data.strip():
        raise GenError(f"{path} is empty: a corpus needs some text to learn from")
    if b"\x00" in data[:65536]:
        raise GenError(f"{path} looks binary (it holds NUL bytes), not text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise GenError(f"{path} is not valid {encoding} (byte {e.start}); "
                       "pass its encoding, e.g. --encoding latin-1") from None
    except LookupError:
        raise GenError(f"unknown encoding {encoding!r}") from None
    return text.removeprefix("\ufeff")


def read_text_corpus(spec: str, encoding: str = "utf-8") -> str:
    p = Path(spec)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        texts = []
        for f in files:
            try:
                texts.append(read_text(f, encoding))
            except GenError:
                continue
        if not texts:
            raise GenError(f"folder {spec} holds no readable text files")
        return "\n".join(texts)
    return read_text(p, encoding)


def load_corpus(spec: str, kind: str = "auto", level: str | None = None,
                encoding: str = "utf-8", **music_options) -> Corpus:
    """Read a corpus and split it into token strings at the requested level."""
    from gen.tokenize import split_text

    kind, level = resolve_kind(spec, kind, level)
    if kind == "text":
        text = read_text_corpus(spec, encoding)
        tokens = split_text(text, level)
        return Corpus(corpus_name(spec), "text", level, tokens, spec, {"characters": len(text)})
    from importlib import import_module

    level, tokens, stats = import_module(READERS[kind]).load(spec, level, encoding=encoding,
                                                             **music_options)
    return Corpus(corpus_name(spec), kind, level, tokens, spec, stats)


def warmup_tokens(tokens: list[str], max_len: int = 256) -> list[str]:
    """The last stretch of ``tokens`` (the end of the training text) up to a piece boundary (a
    blank line, or a tune's end).

    Training carries the hidden state from window to window, so the model almost never starts
    from a zero state; sampled from one, the first tokens come out near uniform (measured on an
    ABC model: top next-token probability 0.04 from zero state, 0.28 after 40 tokens of context),
    and a music sample can wander off into noise. Sampling runs this context first, unseen.
    """
    n_train = len(tokens)
    end_marks = (["</s>"],) if "</s>" in tokens else (["\n", "\n"], ["\n"])
    for mark in end_marks:
        k = len(mark)
        for end in range(n_train, k - 1, -1):
            if tokens[end - k: end] == mark:
                return tokens[max(0, end - max_len): end]
    return tokens[max(0, n_train - max_len): n_train]
