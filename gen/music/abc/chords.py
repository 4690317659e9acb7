"""Chord symbols (``"Am7"``, ``"D7/F#"``): reading them in one canonical spelling, moving them with
the notes when a tune is transposed, and the pitch classes they sound.

A chord symbol is one token, quotes included, written as the canonical spelling of what the
collection wrote: root letter and accidental, a quality from a small set (``""`` major, ``m``,
``7``, ``m7``, ``maj7``, ``dim``, ``dim7``, ``m7b5``, ``aug``, ``sus4``, ``6``, ``9`` ...) and an
optional ``/bass``. One token per symbol, not root and quality apart: the chord is one event
placed before the note it sounds with, the sampler never has to finish half a chord, and after
every tune is moved to C the symbols are few (the chords of a key, I IV V7 vi ii ..., seen
relative to the tonic), so the vocabulary stays small while each token means a chord against
the melody notes under it. Quoted text that is not a chord symbol (``"^Segno"``, ``"D.C."``,
fingerings ``"4"``) is not a chord and is dropped by the lexer.

Pure Python.
"""

from __future__ import annotations

import re

LETTERS = "CDEFGAB"
NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SYMBOL = re.compile(r"([A-G])([#b]?)([^/\s]*)(?:/([A-Ga-g])([#b+]?))?")
# Spellings of the same quality, most specific first (applied to the quality's start).
_ALIASES = [("maj7", "maj7"), ("Maj7", "maj7"), ("ma7", "maj7"), ("M7", "maj7"), ("Δ7", "maj7"),
            ("Δ", "maj7"), ("major", ""), ("maj", ""), ("M", ""), ("minor", "m"), ("min", "m"),
            ("mi", "m"), ("-", "m"), ("ø7", "m7b5"), ("ø", "m7b5"), ("°7", "dim7"), ("°", "dim"),
            ("o7", "dim7"), ("o", "dim"), ("+", "aug")]
_QUALITY = re.compile(r"(m|maj|dim|aug|sus)?(\d{1,2})?((?:b|#|add|sus|maj)\d{1,2})*")
# Intervals above the root for the triad (the quality's leading word) and what numbers add.
_TRIADS = {"": (0, 4, 7), "m": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus": (0, 5, 7)}


def _quality(text: str) -> str | None:
    """Canonical quality, or None when the text is not one (then the quote is an annotation)."""
    for alias, canon in _ALIASES:
        if text.startswith(alias):
            rest = text[len(alias):]
            if canon == "" and rest[:1].isdigit():
                canon = "maj"  # "M9", "maj9": a major seventh chord with a ninth
            text = canon + rest
            break
    if text in ("sus", "sus4"):
        return "sus4"
    if text == "m7b5" or (_QUALITY.fullmatch(text) and text != "maj"):
        return text
    return None


def parse_chord(text: str) -> tuple[str, int, str, tuple[str, int] | None] | None:
    """``"D7/F#"`` (quotes optional) → ('D', 0, '7', ('F', 1)); None if not a chord symbol."""
    m = _SYMBOL.fullmatch(text.strip('"').strip())
    if not m:
        return None
    quality = _quality(m[3])
    if quality is None:
        return None
    alter = {"#": 1, "b": -1, "": 0}
    bass = (m[4].upper(), alter.get(m[5], 1)) if m[4] else None  # "f+" (Nottingham): F sharp
    return m[1], alter[m[2]], quality, bass


def _name(letter: str, alter: int) -> str:
    return letter + {1: "#", -1: "b", 0: ""}[alter]


def chord_token(text: str) -> str | None:
    """The canonical token (``'"Am7"'``) for a quoted text, or None if it is not a chord symbol."""
    parts = parse_chord(text)
    if parts is None:
        return None
    root, alter, quality, bass = parts
    return f'"{_name(root, alter)}{quality}' + (f"/{_name(*bass)}" if bass else "") + '"'


def is_chord(tok: str) -> bool:
    return tok[:1] == '"' and tok[-1:] == '"' and len(tok) > 2


def _move(letter: str, alter: int, steps: int, semis: int) -> tuple[str, int]:
    """A note name moved by (letter steps, semitones), as the key moves: the letter moves by
    ``steps``; a double accidental is respelled on the neighbouring letter."""
    pc = (NATURAL[letter] + alter + semis) % 12
    new = LETTERS[(LETTERS.index(letter) + steps) % 7]
    new_alter = (pc - NATURAL[new] + 6) % 12 - 6
    if abs(new_alter) <= 1:
        return new, new_alter
    sharp = new_alter > 0  # E## → F#, Fbb → Eb
    for cand in LETTERS:
        a = (pc - NATURAL[cand] + 6) % 12 - 6
        if a == 0:
            return cand, 0
    for cand in LETTERS:
        a = (pc - NATURAL[cand] + 6) % 12 - 6
        if a == (1 if sharp else -1):
            return cand, a
    return new, new_alter


def transpose_chord(tok: str, steps: int, semis: int) -> str:
    """The chord token moved by the interval a tune is moved by (`gen.music.abc.pitch.interval`)."""
    parts = parse_chord(tok)
    if parts is None or (steps == 0 and semis == 0):
        return tok
    root, alter, quality, bass = parts
    root_name = _name(*_move(root, alter, steps, semis))
    bass_name = "/" + _name(*_move(*bass, steps, semis)) if bass else ""
    return f'"{root_name}{quality}{bass_name}"'


def chord_tones(tok: str) -> set[int]:
    """Pitch classes (0 = C) the chord sounds, bass included: ``'"G7"'`` → {7, 11, 2, 5}."""
    parts = parse_chord(tok)
    if parts is None:
        return set()
    root, alter, quality, bass = parts
    r = NATURAL[root] + alter
    word = re.match(r"m(?!aj)|dim|aug|sus", quality)
    triad = _TRIADS[word[0] if word else ""]
    rest = quality[word.end():] if word else quality.removeprefix("maj")
    tones = set(triad)
    if quality == "m7b5":
        tones = {0, 3, 6, 10}
    elif quality == "dim7":
        tones = {0, 3, 6, 9}
    else:
        number = re.match(r"\d+", rest)
        n = int(number[0]) if number else 0
        if n == 6:
            tones.add(9)
        elif n >= 7:
            tones.add(11 if quality.startswith("maj") else 10)
        if n >= 9:
            tones.add(2)
        if n >= 11:
            tones.add(5)
        if n >= 13:
            tones.add(9)
        for acc, num in re.findall(r"(b|#|add)(\d+)", rest):
            step = {2: 2, 4: 5, 5: 7, 6: 9, 9: 2, 11: 5, 13: 9}.get(int(num))
            if step is not None:
                if acc == "b" and int(num) == 5:
                    tones.discard(7)
                if acc == "#" and int(num) == 5:
                    tones.discard(7)
                tones.add((step + {"b": -1, "#": 1, "add": 0}[acc]) % 12)
    if "sus" in quality:  # the fourth (or second) stands in for the third
        tones -= {3, 4}
        tones.add(2 if "sus2" in quality else 5)
    out = {(r + t) % 12 for t in tones}
    if bass:
        out.add((NATURAL[bass[0]] + bass[1]) % 12)
    return out
