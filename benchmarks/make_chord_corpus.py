"""Build corpora/session-chords.abc: a chord-bearing collection of the kind dance-band and session
books are (reels and hornpipes in 4/4, jigs in 6/8, waltzes and airs in 3/4; a chord symbol over
nearly every bar; ties; ``L:1/8`` and ``L:1/4``), drawn from music21's bundled ABC collections.

    python benchmarks/make_chord_corpus.py [-o corpora/session-chords.abc] [--stats]

No dataset can be downloaded here, and music21's collections carry almost no chord symbols (two
Nottingham tunes do), so the tunes get chords from a simple harmoniser stated in HARMONISER below.
Everything is deterministic: files in sorted order, tunes in file order, draws by
``random.Random(SEED)``. The tunes are read with gen's own ABC lexer (`gen.music.abc.lexer`), so
decorations, slurs, grace notes and annotations are dropped and a chord ``[CEG]`` keeps its first
note; they are written back as plain ABC 2.1.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen.music.abc.corpus import read_tunes  # noqa: E402
from gen.music.abc.grammar import walk  # noqa: E402
from gen.music.abc.lexer import (BARS, END, LETTERS, NATURAL, SECTION_BARS, AbcError,  # noqa: E402
                                 is_length, is_pitch, length_token, length_value, lex_tune,
                                 meter_length)
from gen.music.abc.chords import chord_tones  # noqa: E402
from gen.music.music21_corpus import corpus_root  # noqa: E402
from gen.music.profile import notes, tonic_pc  # noqa: E402

SEED = 18
OUT = Path(__file__).resolve().parents[1] / "corpora" / "session-chords.abc"
# (collection, meters taken, unit lengths taken, tunes drawn, unit written). Meters C and C| are
# written 4/4 (the same bar length); a new unit rescales every length (L:1/16 to L:1/8 doubles
# them; Aird's reels are written in L:1/4 as the Nottingham Music Database writes dance tunes).
# Within a draw, tunes with ties come first (session books tie notes far more often than these
# collections), the rest are drawn at random. None: all of them.
DRAWS = [
    ("nottingham-dataset", {"M:4/4"}, {"L:1/4"}, None, None),  # the two tunes with chords
    ("ryansMammoth", {"M:C|", "M:C", "M:4/4"}, {"L:1/8", "L:1/16"}, 170, "L:1/8"),
    ("airdsAirs", {"M:C|", "M:C", "M:4/4"}, {"L:1/8", "L:1/16"}, 120, "L:1/4"),
    ("essenFolksong", {"M:4/4"}, {"L:1/4"}, None, None),
    ("essenFolksong", {"M:4/4"}, {"L:1/8", "L:1/16"}, 60, "L:1/8"),
    ("ryansMammoth", {"M:6/8"}, {"L:1/8", "L:1/16"}, 130, "L:1/8"),
    ("airdsAirs", {"M:6/8"}, {"L:1/8", "L:1/16"}, 130, "L:1/8"),
    ("essenFolksong", {"M:6/8"}, {"L:1/8", "L:1/16"}, 80, "L:1/8"),
    ("airdsAirs", {"M:3/4"}, {"L:1/8", "L:1/16", "L:1/4"}, None, None),  # L:1/16 → L:1/8 always
    ("essenFolksong", {"M:3/4"}, {"L:1/4"}, None, None),
    ("essenFolksong", {"M:3/4"}, {"L:1/8", "L:1/16"}, 170, "L:1/8"),
]
MIN_BARS, MAX_BARS = 8, 48
KEY_FIT = 0.9  # share of the melody's duration in the scale of the tune's K: (mode as written)
SCALES = {"maj": (0, 2, 4, 5, 7, 9, 11), "min": (0, 2, 3, 5, 7, 8, 10), "dor": (0, 2, 3, 5, 7, 9, 10),
          "mix": (0, 2, 4, 5, 7, 9, 10), "phr": (0, 1, 3, 5, 7, 8, 10), "lyd": (0, 2, 4, 6, 7, 9, 11),
          "loc": (0, 1, 3, 5, 6, 8, 10)}
HARMONISER = """\
Chords were added by a simple harmoniser (benchmarks/make_chord_corpus.py), one chord per bar:
the candidates are the major and minor triads built on the degrees of the tune's scale (the mode
its K: names) and, in major and minor keys, the dominant seventh V7 (in minor, V and V7 with the
raised leading note). Each candidate scores the duration of the bar's melody notes that are its
tones, plus a tenth of the bar's length for I, IV and V (so V7 wins over V only where the melody
holds the seventh for more than a tenth of the bar); ties go in the order I, V, IV, V7, vi, ii,
iii, vii. In 4/4 the bar is split into two half-bar chords when a note starts at the half and the
two halves' best chords cover at least a quarter of the bar more melody than the bar's best
chord. Short bars of at most half the meter (pickups) get no chord. Tunes that already have chord
symbols keep theirs and get none added."""


def name_chord(root_letter: str, root_pc: int, quality: str) -> str:
    """``name_chord('F', 6, 'm')`` → ``F#m``: the root spelled on its letter."""
    alter = (root_pc - NATURAL[root_letter] + 6) % 12 - 6
    return root_letter + {0: "", 1: "#", -1: "b"}.get(alter, "") + quality


def scale_chords(key: str) -> list[tuple[str, frozenset[int], bool]]:
    """(name, pitch classes, primary) of each candidate chord, in tie-break order."""
    tonic, mode = key[2:-3], key[-3:]
    t, scale, letter0 = tonic_pc(key), SCALES[mode], LETTERS.index(tonic[0])
    triads = {}
    for i in range(7):
        root, third, fifth = scale[i], scale[(i + 2) % 7], scale[(i + 4) % 7]
        if mode == "min" and i == 4:
            third = 11  # harmonic minor: the dominant is major
        quality = {(4, 7): "", (3, 7): "m"}.get(((third - root) % 12, (fifth - root) % 12))
        if quality is not None:
            pcs = frozenset((t + x) % 12 for x in (root, third, fifth))
            triads[i] = (name_chord(LETTERS[(letter0 + i) % 7], (t + root) % 12, quality), pcs, i in (0, 3, 4))
    if mode in ("maj", "min") and 4 in triads:
        fifth = (t + scale[4]) % 12
        seventh = frozenset(triads[4][1] | {(fifth + 10) % 12})
        triads["V7"] = (name_chord(LETTERS[(letter0 + 4) % 7], fifth, "7"), seventh, False)
    order = [0, 4, 3, "V7", 5, 1, 2, 6]
    return [triads[k] for k in order if k in triads]


def best_chord(span, chords, length: Fraction) -> tuple[str | None, Fraction, float]:
    """(name, covered duration, score) of the best chord over a span of notes."""
    best = (None, Fraction(0), -1.0)
    for name, pcs, primary in chords:
        covered = sum((n.dur for n in span if n.pitch is not None and n.pitch % 12 in pcs), Fraction(0))
        score = float(covered) + (0.1 * float(length) if primary else 0.0)
        if score > best[2] + 1e-9:
            best = (name, covered, score)
    return best


def harmonise(tokens: list[str]) -> list[str]:
    """The tune with a chord symbol inserted over every bar (or half bar), as HARMONISER says."""
    items = notes(tokens)
    inserts: dict[int, str] = {}
    for bar in sorted({n.bar for n in items}):
        span = [n for n in items if n.bar == bar]
        meter = meter_length(span[0].meter) if span[0].meter else None
        length = sum((n.dur for n in span), Fraction(0))
        if span[0].key is None or (meter and length * 2 <= meter) or all(n.pitch is None for n in span):
            continue
        chords = scale_chords(span[0].key)
        whole = best_chord(span, chords, length)
        place = [(span[0], whole[0])]
        if meter == 1 and length == 1:
            half = Fraction(1, 2)
            first = [n for n in span if n.onset < half]
            second = [n for n in span if n.onset >= half]
            if second and second[0].onset == half:
                a, b = best_chord(first, chords, half), best_chord(second, chords, half)
                if a[0] != b[0] and a[1] + b[1] - whole[1] >= Fraction(1, 4):
                    place = [(span[0], a[0]), (second[0], b[0])]
        for note, name in place:
            at = note.at - 1 if note.at > 0 and tokens[note.at - 1].startswith("(") else note.at
            inserts[at] = f'"{name}"'
    out = []
    for i, tok in enumerate(tokens):
        if i in inserts:
            out.append(inserts[i])
        out.append(tok)
    return out


def rescale(tokens: list[str], factor: Fraction) -> list[str]:
    """Every note's length in units times ``factor`` (to write L:1/16 tunes in L:1/8)."""
    out = []
    for i, tok in enumerate(tokens):
        if is_length(tok):
            continue
        out.append(tok)
        if is_pitch(tok):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            value = (length_value(nxt) if is_length(nxt) else Fraction(1)) * factor
            out += [length_token(value)] if length_token(value) else []
    return out


def write(tokens: list[str], number: int, title: str, source: str) -> str:
    """Plain ABC 2.1: header, then four bars a line (a section end ends its line)."""
    meter, unit, key = tokens[1], tokens[2], tokens[3]
    mode = {"maj": "", "min": "m"}.get(key[-3:], key[-3:])
    head = [f"X:{number}", f"T:{title}", f"S:{source}", meter, unit, f"K:{key[2:-3]}{mode}"]
    lines, line, bars = [], "", 0
    for tok in tokens[4:]:
        if tok == END:
            break
        if tok[:2] in ("M:", "L:", "K:"):
            line += f"[{tok}]"
        elif tok in BARS:
            line += (" " if line.endswith(tuple("|:")) else "") + tok
            bars += 1
            if bars >= 4 or (tok in SECTION_BARS and tok != "|:" and bars >= 2):
                lines.append(line)
                line, bars = "", 0
        else:
            line += (" " if tok.startswith('"') and line and not line.endswith(("(", " ")) else "") + tok
    if line.strip():
        lines.append(line)
    # A body line such as "g:|" would read as a field: one unit written out ("g1:|") keeps it music.
    lines = [ln[0] + "1" + ln[1:] if ln[:1].isalpha() and ln[1:2] == ":" else ln for ln in lines]
    return "\n".join(head + lines) + "\n"


def key_fit(tokens: list[str]) -> float:
    items = [n for n in notes(tokens) if n.pitch is not None and n.key]
    total = sum(float(n.dur) for n in items)
    inside = sum(float(n.dur) for n in items
                 if (n.pitch - tonic_pc(n.key)) % 12 in SCALES[n.key[-3:]])
    return inside / total if total else 0.0


def pool(collection: str, meters: set, units: set) -> list[tuple[list[str], str, str]]:
    """(tokens, title, source) of the collection's tunes that pass the filters, in file order."""
    out = []
    raw, _ = read_tunes(f"music21:{collection}" if collection != "nottingham-dataset"
                        else str(corpus_root() / collection))
    for i, (text, defaults) in enumerate(raw):
        try:
            tokens = lex_tune(text, defaults)
        except AbcError:
            continue
        if tokens[1] not in meters or tokens[2] not in units:
            continue
        if any(t[:2] in ("M:", "L:") for t in tokens[3:]):
            continue  # one meter and unit a tune
        state = walk(tokens)
        if state.bar_problems() or not MIN_BARS <= sum(state.sections) <= MAX_BARS:
            continue
        if key_fit(tokens) < KEY_FIT:
            continue
        title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("T:")), "") or "Untitled"
        number = text.splitlines()[0][2:].strip()
        out.append((tokens, title, f"music21 corpus {collection}, tune {i + 1} (X:{number})"))
    return out


def build() -> tuple[list[str], Counter]:
    rng = random.Random(SEED)
    tunes, stats, cache = [], Counter(), {}
    for collection, meters, units, n, draw_unit in DRAWS:
        key = (collection, tuple(sorted(meters)), tuple(sorted(units)))
        cache[key] = cache.get(key) or pool(collection, meters, units)
        found = cache[key]
        tied = [i for i, t in enumerate(found) if "-" in t[0]]
        rest = [i for i, t in enumerate(found) if "-" not in t[0]]
        n = len(found) if n is None else min(n, len(found))
        picks = tied[:n] + (rng.sample(rest, n - len(tied)) if n > len(tied) else [])
        chosen = [found[i] for i in sorted(picks)]
        stats[f"{collection} {'/'.join(sorted(meters))} {'/'.join(sorted(units))}"] = len(chosen)
        for tokens, title, source in chosen:
            unit = draw_unit
            if any(t.startswith('"') and chord_tones(t) for t in tokens):
                stats["kept their own chords"] += 1
            else:
                tokens = harmonise(tokens)
            unit = unit or ("L:1/8" if tokens[2] == "L:1/16" else None)
            if unit and unit != tokens[2]:
                factor = Fraction(tokens[2][2:]) / Fraction(unit[2:])
                tokens = [tokens[0], tokens[1], unit, *rescale(tokens[3:], factor)]
            tokens = ["M:4/4" if t in ("M:C", "M:C|") else t for t in tokens]
            stats["with ties"] += "-" in tokens
            tunes.append((tokens, title, source))
    order = {"M:4/4": 0, "M:6/8": 1, "M:3/4": 2}  # a book: reels and hornpipes, jigs, waltzes
    tunes.sort(key=lambda t: order[t[0][1]])
    texts = [write(tokens, i, title, source) for i, (tokens, title, source) in enumerate(tunes, 1)]
    stats.update(Counter(t[0][1] for t in tunes))
    stats.update(Counter(t[0][2] for t in tunes))
    return texts, stats


def music21_version() -> str:
    from importlib.metadata import version

    return version("music21")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    ap.add_argument("--stats", action="store_true", help="print what was drawn to stderr")
    args = ap.parse_args()
    texts, stats = build()
    comment = "\n".join(f"% {ln}" if ln else "%" for ln in (
        f"session-chords.abc: {len(texts)} tunes made by benchmarks/make_chord_corpus.py (seed {SEED})",
        f"from music21 {music21_version()}'s bundled ABC collections (Ryan's Mammoth Collection 1883, Aird's Airs,",
        "the Essen folksong collection; two Nottingham Music Database tunes with their own chords).",
        "Drawn (tunes with ties first, then at random):",
        *(f"  {k}: {v}" for k, v in stats.items() if k.count(" ") == 2),
        f"In all: {stats['M:4/4']} in 4/4, {stats['M:6/8']} in 6/8, {stats['M:3/4']} in 3/4; "
        f"{stats['L:1/8']} in L:1/8, {stats['L:1/4']} in L:1/4; {stats['with ties']} with ties.",
        "Kept: tunes gen's lexer reads, one meter, every bar the right length by gen's bar check,",
        f"{MIN_BARS}-{MAX_BARS} bars, at least {KEY_FIT:.0%} of the melody's duration in the scale of its K:.",
        "Written: M:C and M:C| as M:4/4, L:1/16 as L:1/8, Aird's reels in L:1/4 (as the Nottingham",
        "Music Database writes dance tunes); decorations, slurs, grace notes and",
        "annotations dropped; a chord [CEG] keeps its first note.",
        *HARMONISER.splitlines()))
    args.out.write_text("%abc-2.1\n" + comment + "\n\n" + "\n".join(texts))
    if args.stats:
        for k, v in stats.items():
            print(f"{k}: {v}", file=sys.stderr)
    print(f"wrote {args.out} ({len(texts)} tunes, {args.out.stat().st_size:,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
