"""ABC text for monophonic note-level samples (music21 writes no ABC, so gen does).

Pitches are spelled in the piece's key (sharps in sharp keys, flats in flat keys), with ABC 2.1's
rule that an accidental holds to the end of its bar; lengths are multiples of ``L:1/8`` (six grid
units), so triplet notes become fractional lengths such as ``2/3`` that abc2midi reads; bar lines
come from the bar tokens, and a note that crosses one is split and tied. Pure Python.
"""

from __future__ import annotations

from fractions import Fraction

from gen.music.notes import tokens as nt

UNIT = nt.GRID // 2  # grid units in an eighth note, the L:1/8 unit
SHARP_ORDER, FLAT_ORDER = "FCGDAEB", "BEADGCF"
SHARP_NAMES = ["C", "^C", "D", "^D", "E", "F", "^F", "G", "^G", "A", "^A", "B"]
FLAT_NAMES = ["C", "_D", "D", "_E", "E", "F", "_G", "G", "_A", "A", "_B", "B"]


def signature(tonic: int, minor: bool) -> int:
    """Sharps (>0) or flats (<0) of a key: fifths from C of its relative major."""
    major = (tonic + 3) % 12 if minor else tonic
    fifths = (major * 7) % 12  # pitch class → steps round the circle of fifths
    return fifths - 12 if fifths > 6 else fifths


def length(units: int) -> str:
    v = Fraction(units, UNIT)
    if v == 1:
        return ""
    if v.denominator == 1:
        return str(v.numerator)
    return f"/{v.denominator}" if v.numerator == 1 else f"{v.numerator}/{v.denominator}"


def spell(midi: int, flats: bool) -> tuple[str, int, int]:
    """(letter, alteration -1/0/1, octave number) with C4 = 60."""
    name = (FLAT_NAMES if flats else SHARP_NAMES)[midi % 12]
    return name[-1], {"^": 1, "_": -1}.get(name[0], 0), midi // 12 - 1


def octave_text(letter: str, octave: int) -> str:
    if octave >= 5:
        return letter.lower() + "'" * (octave - 5)
    return letter + "," * (4 - octave)


def melody(notes: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The top line: the highest note of each onset, each cut short where the next one starts."""
    top: dict[int, tuple[int, int, int]] = {}
    for n in notes:
        if n[1] not in top or n[0] > top[n[1]][0]:
            top[n[1]] = n
    line = [top[s] for s in sorted(top)]
    return [(m, s, min(e, line[i + 1][1]) if i + 1 < len(line) else e)
            for i, (m, s, e) in enumerate(line)]


def piece_to_abc(tokens: list[str], number: int = 1) -> str:
    dec = nt.decode(tokens)
    notes = melody(dec.notes)
    if len(notes) < len(dec.notes):
        from gen.console import warn

        warn(f"tune {number}: ABC holds one note at a time; kept the top line, dropping "
             f"{len(dec.notes) - len(notes)} of {len(dec.notes)} notes (.mid keeps them all)")
    tonic, minor = dec.keys[0][1] if dec.keys else (0, False)
    sig = signature(tonic, minor)
    key_sig = {c: 1 for c in SHARP_ORDER[:max(0, sig)]} | {c: -1 for c in FLAT_ORDER[:max(0, -sig)]}
    meter = dec.meters[0][1] if dec.meters else "4/4"
    # Segments of (start, end, midi or None for a rest), split at every bar line.
    segs, now = [], 0
    for midi, start, end in notes:
        if start > now:
            segs.append((now, start, None))
        segs.append((start, end, midi))
        now = end
    bars = sorted({b for b in dec.bars if 0 < b < now})
    out, state, cut = [], dict(key_sig), 0
    body = []
    for start, end, midi in segs:
        pieces = [start] + [b for b in bars if start < b < end] + [end]
        for a, b in zip(pieces, pieces[1:]):
            while cut < len(bars) and bars[cut] <= a:
                body.append("|")
                state, cut = {}, cut + 1
            if midi is None:
                body.append("z" + length(b - a))
                continue
            letter, alt, octave = spell(midi, sig < 0)
            held = state.get((letter, octave), key_sig.get(letter, 0))
            acc = "" if alt == held else {1: "^", -1: "_", 0: "="}[alt]
            state[(letter, octave)] = alt
            body.append(acc + octave_text(letter, octave) + length(b - a) + ("-" if b < end else ""))
    body.append("|]")
    key = nt.key_token(tonic, minor)[2:]
    out = [f"X:{number}", f"T:Sample {number}", f"M:{meter}", "L:1/8", f"K:{key}"]
    text, line = [], ""
    for tok in body:  # break lines after every fourth bar
        line += tok if tok[0] in "|" else (" " + tok if line and line[-1] not in "|" else tok)
        if tok == "|" and line.count("|") >= 4:
            text.append(line)
            line = ""
    text.append(line)
    return "\n".join(out + [t for t in text if t]) + "\n"


def to_abc(tokens: list[str]) -> str:
    """Every piece of a sample as a numbered tune."""
    pieces = nt.pieces(tokens) or [tokens]
    return "".join(piece_to_abc(p, i + 1) + "\n" for i, p in enumerate(pieces))  # blank line after each
