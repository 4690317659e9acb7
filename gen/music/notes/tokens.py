"""Note-level event tokens: a polyphonic, triplet-safe score as a flat token sequence.

Why this vocabulary (a paragraph for the README):
    A piece is a run of *frames*. A frame lists the pitches sounding from now on, high to low --
    ``C4`` for a note that starts here, ``~C4`` for one held over from the previous frame -- and
    ends with one time-shift token (``+1`` = a quarter note, ``+1/3`` = a triplet eighth, ``+3/2``
    = a dotted quarter) that moves time to the next moment anything changes. A frame with no
    pitches is a rest. Bar lines ``|``, key ``K:G``/``K:F#m`` and meter ``M:6/8`` tokens sit
    between frames; each piece is wrapped in ``<s>`` ... ``</s>``. This is Magenta's
    polyphony_rnn idea (``NEW p`` / ``CONT p`` per step, high to low) with one change: time moves
    in variable shifts on a 1/12-quarter grid instead of one ``STEP`` per 16th. The 1/12 grid
    holds 16ths, triplet eighths and triplet 16ths exactly (Magenta's 16th grid loses
    triplets), and variable shifts keep a monophonic tune at two tokens per note (pitch + shift,
    like folk-rnn's note + duration) instead of one token per grid step. Chords and several parts
    come out as several pitches per frame, so chorales come back as chorales.

Pure Python: no torch, no music21. `decode` turns tokens into note tuples; gen.music.notes.events
turns those into music21 streams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

START, END, BAR = "<s>", "</s>", "|"
SPECIALS = [START, END]
GRID = 12            # time units per quarter note: 16ths (3) and triplets (4, 2) are exact
MAX_SHIFT = 4 * GRID  # longer gaps are split, held notes re-listed with ~

NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
KEY_MAJOR = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
KEY_MINOR = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_PITCH_RE = re.compile(r"^([A-Ga-g])(#|##|b|bb|-|--)?(-?\d+)$")
_KEY_RE = re.compile(r"^([A-G])(#|b)?(m?)$")


def split(text: str) -> list[str]:
    return text.split()


def join(tokens: list[str]) -> str:
    """Space-separated, one line per piece (a newline after each </s>)."""
    return " ".join(tokens).replace(f"{END} ", f"{END}\n")


# ---- token constructors and parsers -------------------------------------------------------

def pitch_name(midi: int) -> str:
    return f"{NAMES[midi % 12]}{midi // 12 - 1}"


def parse_pitch(text: str) -> int | None:
    """MIDI number of ``C4``, ``Eb4``, ``E-4`` (music21 spelling) or ``F##3``; None if not a pitch."""
    if text.endswith("-1") and text[:-2] in NAMES:
        return NAMES.index(text[:-2])  # our octave -1 (MIDI 0-11), not music21's flat 1
    m = _PITCH_RE.match(text)
    if not m:
        return None
    letter, acc, octave = m.groups()
    alter = {"#": 1, "##": 2, "b": -1, "bb": -2, "-": -1, "--": -2}.get(acc or "", 0)
    midi = _LETTER[letter.upper()] + alter + (int(octave) + 1) * 12
    return midi if 0 <= midi <= 127 else None


def note_token(midi: int, held: bool = False) -> str:
    return ("~" if held else "") + pitch_name(midi)


def parse_note(token: str) -> tuple[int, bool] | None:
    """(midi, held) for a pitch token, else None."""
    held = token.startswith("~")
    midi = parse_pitch(token[1:] if held else token)
    return None if midi is None else (midi, held)


def shift_token(units: int) -> str:
    return f"+{Fraction(units, GRID)}"


def parse_shift(token: str) -> int | None:
    """Grid units of a shift token ``+3/2``; None if not a shift or off the grid."""
    if not token.startswith("+"):
        return None
    try:
        q = Fraction(token[1:]) * GRID
    except (ValueError, ZeroDivisionError):
        return None
    return int(q) if q.denominator == 1 and q > 0 else None


def shifts(units: int) -> list[str]:
    """Shift tokens for a gap, each at most MAX_SHIFT."""
    out = []
    while units > 0:
        step = min(units, MAX_SHIFT)
        out.append(shift_token(step))
        units -= step
    return out


def key_token(tonic_pc: int, minor: bool) -> str:
    return f"K:{(KEY_MINOR if minor else KEY_MAJOR)[tonic_pc % 12]}{'m' if minor else ''}"


def parse_key(token: str) -> tuple[int, bool] | None:
    """(tonic pitch class, minor) of ``K:F#m``; None if not a key token."""
    if not token.startswith("K:"):
        return None
    m = _KEY_RE.match(token[2:])
    if not m:
        return None
    letter, acc, minor = m.groups()
    return (_LETTER[letter] + {"#": 1, "b": -1}.get(acc or "", 0)) % 12, bool(minor)


def is_meter(token: str) -> bool:
    return token.startswith("M:")


# ---- transposition (token level, so cached tokens stay untransposed) -----------------------

def transpose(tokens: list[str], semitones: int) -> list[str] | None:
    """Tokens moved by ``semitones``; None if a pitch would leave MIDI 0..127."""
    out = []
    for t in tokens:
        note = parse_note(t)
        if note is not None:
            midi = note[0] + semitones
            if not 0 <= midi <= 127:
                return None
            out.append(note_token(midi, note[1]))
            continue
        key = parse_key(t)
        out.append(key_token(key[0] + semitones, key[1]) if key is not None else t)
    return out


def pieces(tokens: list[str]) -> list[list[str]]:
    """Split a sequence into pieces, each ``<s> ... </s>``."""
    result, cur = [], None
    for t in tokens:
        if t == START:
            cur = [t]
        elif cur is not None:
            cur.append(t)
            if t == END:
                result.append(cur)
                cur = None
    return result


def first_key(tokens: list[str]) -> tuple[int, bool] | None:
    for t in tokens:
        k = parse_key(t)
        if k is not None:
            return k
    return None


# ---- decoding tokens to notes --------------------------------------------------------------

@dataclass
class Decoded:
    """Notes as (midi, start, end) in grid units, plus bar, meter and key positions."""

    notes: list[tuple[int, int, int]] = field(default_factory=list)
    bars: list[int] = field(default_factory=list)
    meters: list[tuple[int, str]] = field(default_factory=list)
    keys: list[tuple[int, tuple[int, bool]]] = field(default_factory=list)
    end: int = 0


def decode(tokens: list[str]) -> Decoded:
    """Notes from event tokens. Tolerant: ``~p`` with no sounding p starts a new note, unknown
    tokens are ignored, so any model output decodes."""
    out = Decoded()
    now = 0
    sounding: dict[int, int] = {}   # midi -> start
    listed: set[int] = set()        # pitches named in the current frame

    def close(midi: int) -> None:
        start = sounding.pop(midi)
        if now > start:
            out.notes.append((midi, start, now))

    for t in tokens:
        note = parse_note(t)
        if note is not None:
            midi, held = note
            if midi in listed:
                continue
            if midi in sounding and not held:
                close(midi)  # re-struck: the old note ends where the new one starts
            if midi not in sounding:
                sounding[midi] = now
            listed.add(midi)
            continue
        units = parse_shift(t)
        if units is not None:
            for midi in [m for m in sounding if m not in listed]:
                close(midi)
            listed = set()
            now += units
        elif t == BAR:
            out.bars.append(now)
        elif is_meter(t):
            out.meters.append((now, t[2:]))
        elif parse_key(t) is not None:
            out.keys.append((now, parse_key(t)))
    for midi in list(sounding):  # notes listed in a frame with no shift after it have no length
        close(midi)
    out.end = now
    return out


def frames_to_tokens(notes: list[tuple[int, int, int]], marks: dict[int, list[str]],
                     end: int) -> list[str]:
    """Encode notes (midi, start, end in grid units) with marks (bar/meter/key tokens by time)."""
    starts: dict[int, list[tuple[int, int]]] = {}
    times = {0, end} | set(marks)
    for midi, s, e in notes:
        starts.setdefault(s, []).append((midi, e))
        times.update((s, e))
    times = sorted(t for t in times if 0 <= t <= end)
    tokens: list[str] = []
    sounding: dict[int, int] = {}  # midi -> end
    for i, t in enumerate(times):
        tokens.extend(marks.get(t, ()))
        sounding = {m: e for m, e in sounding.items() if e > t}
        new: set[int] = set()
        for midi, e in starts.get(t, ()):
            # A pitch struck again while another voice holds it (unison): one note, the longer.
            sounding[midi] = max(e, sounding.get(midi, 0)) if midi in new else e
            new.add(midi)
        if i + 1 == len(times):
            break
        gap, first = times[i + 1] - t, True
        while gap > 0:
            for midi in sorted(sounding, reverse=True):
                tokens.append(note_token(midi, held=not (first and midi in new)))
            step = min(gap, MAX_SHIFT)
            tokens.append(shift_token(step))
            gap -= step
            first = False
    return tokens
