"""Note-level corpora: find scores, parse them in parallel with music21, cache their tokens.

A *unit* is what one worker parses: a MIDI/MusicXML/Humdrum file, or one tune of an ABC file
(split at ``X:`` so an 800-tune collection spreads over all cores). Each unit is looked up in
the token cache by content hash first; only misses are parsed, in a process pool. Unreadable
units are skipped and counted in one warning. Transposition works on tokens, after the cache.
"""

from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from gen.errors import GenError
from gen.music.notes import tokens as nt

SCORE_SUFFIXES = {".mid", ".midi", ".mxl", ".musicxml", ".xml", ".krn", ".abc"}
_X_LINE = re.compile(r"^X:", re.MULTILINE)


@dataclass
class Unit:
    key: str
    fmt: str        # file suffix without the dot
    path: str       # file it came from (ABC: the collection)
    text: str | None = None  # ABC tune text; None: parse the file itself


def find_files(spec: str) -> list[Path]:
    if spec.startswith("music21:"):
        return music21_paths(spec.split(":", 1)[1])
    p = Path(spec)
    if not p.exists():
        raise GenError(f"no such file or folder: {spec}")
    files = [p] if p.is_file() else sorted(
        f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    files = [f for f in files if f.suffix.lower() in SCORE_SUFFIXES]
    if not files:
        raise GenError(f"{spec} holds no MIDI, MusicXML, Humdrum or ABC files "
                       f"({', '.join(sorted(SCORE_SUFFIXES))})")
    return files


def music21_paths(name: str) -> list[Path]:
    """Files of a music21 bundled collection (bach, essenFolksong...)."""
    from gen.music.music21_corpus import paths

    found = sorted(Path(f) for f in paths(name) if Path(f).suffix.lower() in SCORE_SUFFIXES)
    if not found:
        raise GenError(f"music21 has no collection {name!r} with scores; try music21:bach or "
                       "music21:essenFolksong")
    return found


def split_abc(text: str) -> list[str]:
    """Tunes of an ABC collection, each with the file header and `%abc-2.1` (so accidentals carry
    to the bar's end, as abc2midi reads them; music21 otherwise reads ABC 1.3)."""
    starts = [m.start() for m in _X_LINE.finditer(text)]
    if not starts:
        return [f"%abc-2.1\n{text}"]
    header = text[: starts[0]]
    header = "\n".join(line for line in header.splitlines() if not line.startswith("%abc"))
    bounds = starts + [len(text)]
    return [f"%abc-2.1\n{header}\n{text[a:b]}" for a, b in zip(bounds, bounds[1:])]


def make_units(files: list[Path]) -> list[Unit]:
    from gen.music.notes.cache import content_key

    units = []
    for f in files:
        fmt = f.suffix.lower().lstrip(".")
        try:
            data = f.read_bytes()
        except OSError:
            units.append(Unit("unreadable:" + str(f), fmt, str(f)))
            continue
        if fmt == "abc":
            for tune in split_abc(data.decode("utf-8", errors="replace")):
                units.append(Unit(content_key(fmt, tune.encode()), fmt, str(f), tune))
        else:
            units.append(Unit(content_key(fmt, data), fmt, str(f)))
    return units


def parse_unit(unit: Unit) -> tuple[list[str] | None, str | None]:
    """(tokens, None) or (None, why). Runs in worker processes."""
    if unit.key.startswith("unreadable:"):
        return None, "unreadable"
    from music21 import converter

    try:
        if unit.text is not None:
            with _no_beams():
                obj = converter.parse(unit.text, format="abc")
        else:
            obj = converter.parse(unit.path, format=_FORMATS.get(unit.fmt), forceSource=True)
        from gen.music.notes.events import encode_stream

        tokens = encode_stream(obj)
    except Exception as e:  # music21 raises many kinds on bad input; all mean "skip it"
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
    return (tokens, None) if tokens else (None, "no notes")


class _no_beams:
    """music21's ABC import spends ~40% of its time in makeBeams, which only groups notes for
    engraving; events need pitches and durations, so beaming is switched off while parsing."""

    def __enter__(self):
        from music21 import stream

        self.original = stream.Stream.makeBeams
        stream.Stream.makeBeams = lambda self, *a, **k: None

    def __exit__(self, *exc):
        from music21 import stream

        stream.Stream.makeBeams = self.original


_FORMATS = {"mid": "midi", "midi": "midi", "mxl": "musicxml", "musicxml": "musicxml",
            "xml": "musicxml", "krn": "humdrum", "abc": "abc"}


def default_workers() -> int:
    env = os.environ.get("GEN_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parse_units(units: list[Unit], workers: int) -> list[tuple[list[str] | None, str | None]]:
    """Parse in a process pool (fork: workers inherit the imported music21), order kept."""
    if workers <= 1 or len(units) < 4:
        return [parse_unit(u) for u in units]
    import multiprocessing as mp

    import music21  # noqa: F401  -- imported once here so forked workers start warm

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    chunk = max(1, min(16, len(units) // (workers * 8)))
    with ctx.Pool(min(workers, len(units))) as pool:
        return pool.map(parse_unit, units, chunksize=chunk)


def prepare(files: list[Path], workers: int | None = None, use_cache: bool = True,
            quiet: bool = False) -> tuple[list[list[str]], dict]:
    """Token pieces of the files and counts: (pieces, {units, cached, parsed, skipped, errors})."""
    from gen.music.notes.cache import TokenCache

    units = make_units(files)
    cache = TokenCache() if use_cache else None
    found = cache.get_many([u.key for u in units]) if cache else {}
    todo = [u for u in units if u.key not in found]
    workers = workers or default_workers()
    if todo and not quiet and len(todo) > 20:
        from gen.console import log

        log(f"parsing {len(todo):,} scores with music21 on {min(workers, len(todo))} processes "
            "(cached for next time)")
    results = parse_units(todo, workers) if todo else []
    fresh = {u.key: r for u, r in zip(todo, results) if not u.key.startswith("unreadable:")}
    if cache:
        cache.put_many(fresh)
        cache.close()
    tokens_of = dict(found)
    tokens_of.update({k: toks for k, (toks, _) in fresh.items()})
    pieces, skipped, errors = [], [], []
    for u, r in zip(todo, results):
        if r[0] is None:
            errors.append(f"{Path(u.path).name}: {r[1]}")
    for u in units:
        toks = tokens_of.get(u.key)
        if toks:
            pieces.extend(nt.pieces(toks))
        else:
            skipped.append(u.path)
    stats = {"units": len(units), "cached": len(units) - len(todo), "parsed": len(todo),
             "skipped": len(skipped), "errors": errors[:5]}
    return pieces, stats


def transposed(pieces: list[list[str]], how: str | None) -> list[list[str]]:
    """``all``: every piece in all 12 keys (-5..+6 semitones); ``C``: each moved to tonic C."""
    if not how:
        return pieces
    if how.lower() == "all":
        out = []
        for p in pieces:
            out.extend(t for t in (nt.transpose(p, s) for s in range(-5, 7)) if t is not None)
        return out
    if how.upper() == "C":
        out = []
        for p in pieces:
            k = nt.first_key(p)
            shift = 0 if k is None else -(((k[0] + 5) % 12) - 5)  # nearest way to C: -5..+6
            out.append(nt.transpose(p, shift) or p)
        return out
    raise GenError(f"--transpose {how!r}: choose 'all' (every key) or 'C' (normalise to C)")


def load(spec: str, level: str | None = None, transpose: str | None = None, workers: int | None = None,
         **_ignored) -> tuple[str, list[str], dict]:
    """(level, tokens, stats) of a folder, score file or music21:NAME as note events, for
    `gen.corpus.load_corpus`."""
    if level not in (None, "notes"):
        raise GenError(f"--level {level} is not available for MIDI/MusicXML; use notes")
    files = find_files(spec)
    pieces, stats = prepare(files, workers)
    if stats["skipped"]:
        from gen.console import warn

        why = f" (e.g. {stats['errors'][0]})" if stats["errors"] else ""
        warn(f"skipped {stats['skipped']} of {stats['units']} scores that music21 could not read "
             f"or that hold no notes{why}")
    if not pieces:
        raise GenError(f"no usable scores in {spec}: none of {len(files)} files could be read")
    pieces = transposed(pieces, transpose)
    tokens = [t for p in pieces for t in p]
    lengths = [len(p) for p in pieces]
    return "notes", tokens, {
        "files": len(files), "pieces": len(pieces), "skipped": stats["skipped"],
        "median_tokens_per_piece": statistics.median(lengths),
        "specials": list(nt.SPECIALS),
        "options": {"transpose": transpose} if transpose else {}}
