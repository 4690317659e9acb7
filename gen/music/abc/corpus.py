"""ABC corpora: one file of many tunes, a folder of .abc files, or a music21 collection.

Tunes are split at ``X:`` lines and lexed by the pure regex lexer in `gen.music.abc.lexer` (about
4,000 tunes a second, so no cache is needed; music21 would take 30-60 ms a tune). Tunes it
cannot read (several voices, unusual keys or meters, stray text) are skipped and counted in one
warning. The tunes are put in a fixed shuffled order so that the trainer's contiguous last-10%
validation split holds a sample of every tune type rather than the file's last section.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from pathlib import Path

from gen.errors import GenError
from gen.music.abc.lexer import (BARS, END, SPECIALS, START, AbcError, lex_tune, norm_field,
                              split_tunes)
from gen.music.abc.pitch import pitch_range

TONICS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
DROP_CHAR_FIELDS = ("X:", "Z:", "T:", "N:", "S:", "O:", "H:", "B:", "D:", "F:", "%")


def source_files(spec: str) -> list[Path]:
    if spec.startswith("music21:"):
        from gen.music.music21_corpus import paths

        return paths(spec)
    p = Path(spec)
    if not p.exists():
        raise GenError(f"no such file or folder: {spec}")
    if p.is_dir():
        files = sorted(f for f in p.rglob("*.abc") if f.is_file())
        if not files:
            raise GenError(f"folder {spec} holds no .abc files")
        return files
    return [p]


def read_abc(path: Path, encoding: str = "utf-8") -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")  # old ABC collections are often Latin-1


def file_defaults(text: str) -> dict:
    """Fields in a file header (before the first ``X:``) apply to every tune of the file."""
    head = re.split(r"(?m)^X:", text, maxsplit=1)[0]
    out = {}
    for m in re.finditer(r"(?m)^([ML]):(.*)$", head):
        try:
            out[m[1]] = norm_field(m[1], m[2])
        except AbcError:
            pass
    return out


def read_tunes(spec: str, encoding: str = "utf-8") -> tuple[list[tuple[str, dict]], int]:
    """(tune text, file defaults) of every tune, and how many files were read."""
    files = source_files(spec)
    tunes = []
    for f in files:
        text = read_abc(f, encoding)
        defaults = file_defaults(text)
        tunes.extend((t, defaults) for t in split_tunes(text))
    if not tunes:
        raise GenError(f"{spec} holds no ABC tunes (no line starts with X:)")
    return tunes, len(files)


STRENGTH = {"|": 0, "||": 1, "|]": 2}


def merge_bars(a: str, b: str) -> list[str]:
    """Bar lines for two in a row (``:|`` at a line end, ``|:`` at the next line's start)."""
    if a == ":|" and b == "|:":
        return [a, b]  # abc2midi accepts ":| |:" where it rejects "::" after an implicit repeat
    close, open_ = a == ":|" or b == ":|", b == "|:" or a == "|:"
    if close or open_:
        return [":|", "|:"] if close and open_ else [":|" if close else "|:"]
    return [max(a, b, key=STRENGTH.get)]


def normalize_bars(tokens: list[str]) -> list[str]:
    """Tidy repeat structure the way abc2midi needs it: ``::`` is written ``:| |:``, two bar
    lines in a row become one, and a first ending after a closed repeat gets its start repeat
    (abc2midi otherwise reports "[1 before |:")."""
    out: list[str] = []
    for tok in tokens:
        parts = [":|", "|:"] if tok == "::" else [tok]
        for part in parts:
            if part in BARS and out and out[-1] in BARS and not (out[-1] == ":|" and part == "|:"):
                out[-1:] = merge_bars(out[-1], part)
            else:
                out.append(part)
    closed_at = None
    for i, tok in enumerate(out):
        if tok == ":|":
            closed_at = i
        elif tok == "|:":
            closed_at = None
        elif tok == "[1" and closed_at is not None:
            out.insert(closed_at + 1, "|:")
            closed_at = None
    return out


def char_tokens(text: str) -> list[str]:
    """Character tokens of one tune: its text without number, title and notes lines."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(DROP_CHAR_FIELDS)]
    return [START, *"\n".join(lines), "\n", END]


def load(spec: str, level: str | None = None, encoding: str = "utf-8", transpose: str | None = None,
         **_ignored) -> tuple[str, list[str], dict]:
    """(level, tokens, stats) of the corpus, for `gen.corpus.load_corpus`. ``transpose``: "C"
    (the default at level abc: every tune moved to tonic C, its mode kept, as folk-rnn does;
    measured on irish.abc it lowers held-out loss and brings the interval histogram nearer the
    corpus), "all" (each tune in all 12 keys) or "none".
    The tonics the tunes had are kept in the stats so sampling can move tunes back."""
    from gen.console import warn

    level = level or "abc"
    if level not in ("abc", "char"):
        raise GenError(f"--level {level} is not available for ABC; use abc (default) or char")
    if transpose is None:
        transpose = "C" if level == "abc" else "none"
    if transpose not in ("none", "C", "all"):
        raise GenError(f"--transpose {transpose} is not available for ABC; use C, all or none")
    if transpose != "none" and level == "char":
        raise GenError("--transpose needs --level abc (characters are not transposed)")
    raw, nfiles = read_tunes(spec, encoding)
    tunes, reasons = [], Counter()
    for text, defaults in raw:
        try:
            tokens = lex_tune(text, defaults)
        except AbcError as e:
            reasons[str(e).split("'")[0].split(":")[0].removesuffix(" K").strip() or "unreadable"] += 1
            continue
        tunes.append(normalize_bars(tokens) if level == "abc" else char_tokens(text))
    if not tunes:
        raise GenError(f"none of the {len(raw)} tunes in {spec} could be read as ABC")
    if reasons:
        why = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        warn(f"skipped {sum(reasons.values())} of {len(raw)} tunes that could not be read ({why})")
    random.Random(0).shuffle(tunes)
    form = {}
    if level == "abc":
        from gen.music.abc.phrasing import corpus_form

        form = corpus_form(tunes)  # section lengths the sampler keeps to
    keys = Counter(next((t for t in tune if t.startswith("K:")), "") for tune in tunes) \
        if level == "abc" else Counter()
    # The register the tunes are written in, before any transposition: tunes sampled in C are
    # put back into it (gen.music.abc.seed.finish_tunes).
    register = {"pitch_range": pitch_range(tunes)} if level == "abc" else {}
    if transpose != "none":
        from gen.music.abc.pitch import transpose as move

        tunes = [move(t, "C") for t in tunes] if transpose == "C" else \
            [move(t, tonic) for t in tunes for tonic in TONICS]
    if level == "abc":
        from gen.music.abc.phrasing import number_bars

        tunes = [number_bars(t) for t in tunes]  # tell the model where it is in the section
        form["numbered_bars"] = True
    tokens = [t for tune in tunes for t in tune]
    # Keys tunes actually start in (after transposition). Sampling keeps to these: a key token
    # seen only in a stray tune or a mid-tune change leads the model off into atonal noise.
    firsts = Counter(next((t for t in tune if t.startswith("K:")), "") for tune in tunes)
    header_keys = sorted(k for k, n in firsts.items() if k and n >= max(2, 0.005 * len(tunes)))
    # Meters tunes start in: `gen sample --meter` offers these (and names them when asked for another).
    meters = Counter(next((t for t in tune if t.startswith("M:")), "") for tune in tunes) \
        if level == "abc" else Counter()
    stats = {"header_keys": header_keys, "meters": {k: n for k, n in meters.most_common() if k},
             "tunes": len(tunes), "skipped": sum(reasons.values()), "files": nfiles,
             "median_tune_tokens": statistics.median(len(t) for t in tunes),
             "specials": list(SPECIALS), "shuffled": True,
             "keys": dict(keys.most_common()), "options": {"transpose": transpose}, **register, **form}
    return level, tokens, stats


def corpus_tunes(spec: str, level: str = "abc", **options) -> list[list[str]]:
    """The corpus as one token list per tune (for figures and copy checks)."""
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):
        _, tokens, _ = load(spec, level, **options)
    tunes, cur = [], []
    for tok in tokens:
        cur.append("|" if tok[:1] == "|" and tok[1:].isdigit() else tok)  # numbered bar lines
        if tok == END:
            tunes.append(cur)
            cur = []
    return tunes
