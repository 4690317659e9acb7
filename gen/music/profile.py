"""What a musician compares between two sets of tunes: which scale degrees sound (relative to the
key's tonic, weighted by duration), melodic intervals, note lengths in beats, how much of the
melody lies in the chord symbol above it, and how the bar lines, repeats and endings are laid out.

Read from gen's ABC tokens (`gen.music.abc.lexer`), with the grammar's timing
(`gen.music.abc.grammar.TuneState`) and ABC 2.1 accidentals (`gen.music.abc.pitch.pitches`), so it
counts time the way `gen check`'s bar check does. Pure Python: no torch, no music21.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from gen.music.abc.chords import chord_tones
from gen.music.abc.lexer import BARS, END, NATURAL, is_pitch
from gen.music.abc.pitch import pitches

INTERVAL_CLIP = 12  # leaps beyond an octave are counted as an octave


@dataclass
class Note:
    at: int                  # index of its pitch token
    pitch: int | None        # MIDI number; None for a rest
    bar: int                 # bars with music before it
    onset: Fraction          # since the bar line, in whole notes
    dur: Fraction            # in whole notes (tuplets and broken rhythm applied)
    key: str | None          # K: token in force
    meter: str | None        # M: token in force
    chord: str | None        # chord symbol in force (the last one written before it)
    tied: bool = False       # tied to the note before (``A2-A``)


def plain(tokens: list[str]) -> list[str]:
    """Numbered bar lines (``|7``, the model's own stream) read as ``|``."""
    return ["|" if t[:1] == "|" and t[1:].isdigit() else t for t in tokens]


def notes(tokens: list[str]) -> list[Note]:
    """Every note and rest of a lexed tune, with where it falls and what is in force over it."""
    from gen.music.abc.grammar import TuneState

    tokens = plain(tokens)
    heights = iter(pitches(tokens))
    st, out = TuneState(), []
    key = chord = None
    bar, tie_next = 0, False
    for i, tok in enumerate(tokens):
        ends_note = tok in BARS or tok == END or is_pitch(tok)
        if ends_note and out and out[-1].bar == bar and out[-1].dur == 0:
            out[-1].dur = st.pos - out[-1].onset
        if tok in BARS or tok == END:
            if st.pos > 0:
                bar += 1
        elif tok.startswith("K:"):
            key = tok
        elif tok.startswith('"'):
            chord = tok
        elif tok == "-":
            tie_next = True
        st.advance(tok)
        if is_pitch(tok):
            out.append(Note(i, next(heights), bar, st.before, Fraction(0), key, st.meter_tok, chord,
                            tie_next))
            tie_next = False
    return [n for n in out if n.dur > 0]


def merged(items: list[Note]) -> list[Note]:
    """Tied notes of one pitch as one sound (for lengths and intervals)."""
    out: list[Note] = []
    for n in items:
        if n.tied and out and out[-1].pitch == n.pitch and n.pitch is not None:
            last = out[-1]
            out[-1] = Note(last.at, last.pitch, last.bar, last.onset, last.dur + n.dur, last.key,
                           last.meter, last.chord, last.tied)
        else:
            out.append(n)
    return out


def beat(meter: str | None) -> Fraction:
    """One beat in whole notes: a dotted quarter in 6/8, 9/8, 12/8; a half in C| and 2/2; else
    the meter's denominator (a quarter when there is no meter)."""
    if not meter or meter in ("M:none", "M:C"):
        return Fraction(1, 4)
    if meter == "M:C|":
        return Fraction(1, 2)
    num, den = (int(x) for x in meter[2:].split("/"))
    return Fraction(3, den) if den == 8 and num in (6, 9, 12) else Fraction(1, den)


def tonic_pc(key: str) -> int:
    tonic = key[2:-3]
    return (NATURAL[tonic[0]] + {"#": 1, "b": -1}.get(tonic[1:], 0)) % 12


def tune_counts(tokens: list[str]) -> dict:
    """This tune's histograms and chord-tone sums."""
    items = notes(tokens)
    degrees, intervals, lengths = Counter(), Counter(), Counter()
    chord_in = chord_all = Fraction(0)
    for n in items:
        if n.pitch is None:
            continue
        if n.key:
            degrees[(n.pitch - tonic_pc(n.key)) % 12] += float(n.dur)
        tones = chord_tones(n.chord) if n.chord else set()
        if tones:
            chord_all += n.dur
            chord_in += n.dur if n.pitch % 12 in tones else 0
    sounding = [n for n in merged(items) if n.pitch is not None]
    for a, b in zip(sounding, sounding[1:]):
        intervals[max(-INTERVAL_CLIP, min(INTERVAL_CLIP, b.pitch - a.pitch))] += 1
    for n in sounding:
        lengths[str(n.dur / beat(n.meter))] += 1
    return {"degrees": degrees, "intervals": intervals, "lengths": lengths,
            "chord_in": chord_in, "chord_all": chord_all,
            "has_chords": any(t.startswith('"') and chord_tones(t) for t in tokens)}


def layout(tokens: list[str]) -> str:
    """The tune's bar lines, repeats and endings: runs of bars as counts, ``p`` for a short bar
    that opens the tune or a section (a pickup), e.g. ``p |: 7 [1 1 :| [2 1 ||``. Bar lines are
    first tidied as training tidies them (``::`` is ``:| |:``; two in a row become one)."""
    from gen.music.abc.corpus import normalize_bars
    from gen.music.abc.grammar import TuneState

    st, items, run = TuneState(), [], 0
    for tok in normalize_bars(plain(tokens)):
        if tok in BARS or tok == END:
            if st.pos > 0:
                full = st.meter is None or st.pos >= st.meter
                if not full and st.section_first:
                    items += [str(run)] if run else []
                    items.append("p")
                    run = 0
                else:
                    run += 1
            if tok not in ("|", END):
                items += [str(run)] if run else []
                items.append(tok)
                run = 0
        elif tok[:1] == "[" and tok[1:].isdigit():
            items += [str(run)] if run else []
            items.append(tok)
            run = 0
        st.advance(tok)
    items += [str(run)] if run else []
    return " ".join(items)


def ends_with_pickup(layout_text: str) -> bool:
    """The last bar with music is a lone pickup after the tune's last section (``... :| p``)."""
    marks = [m for m in layout_text.split() if m not in BARS]
    return len(marks) > 1 and marks[-1] == "p"


def js_distance(p: Counter, q: Counter) -> float:
    """Jensen-Shannon distance (base 2: 0 same, 1 disjoint) of two histograms."""
    sp, sq = sum(p.values()), sum(q.values())
    if not sp or not sq:
        return float("nan")
    total = 0.0
    for k in set(p) | set(q):
        a, b = p.get(k, 0) / sp, q.get(k, 0) / sq
        m = (a + b) / 2
        total += (a * math.log2(a / m) if a else 0) + (b * math.log2(b / m) if b else 0)
    return math.sqrt(max(0.0, total / 2))


def profile(tunes: list[list[str]]) -> dict:
    """Pooled figures of a set of lexed tunes."""
    degrees, intervals, lengths = Counter(), Counter(), Counter()
    chord_in = chord_all = Fraction(0)
    chorded = 0
    layouts = []
    for tokens in tunes:
        c = tune_counts(tokens)
        degrees.update(c["degrees"])
        intervals.update(c["intervals"])
        lengths.update(c["lengths"])
        if c["has_chords"]:
            chorded += 1
            chord_in += c["chord_in"]
            chord_all += c["chord_all"]
        layouts.append(layout(tokens))
    return {"tunes": len(tunes), "degrees": degrees, "intervals": intervals, "lengths": lengths,
            "chord_tunes": chorded,
            "chord_tone_share": float(chord_in / chord_all) if chord_all else None,
            "layouts": layouts,
            "pickup_end": sum(map(ends_with_pickup, layouts)) / len(layouts) if layouts else 0.0}


def layout_share(layouts: list[str], known: list[str]) -> float:
    """Share of ``layouts`` that also occur among ``known``."""
    seen = set(known)
    return sum(x in seen for x in layouts) / len(layouts) if layouts else 0.0

