"""Chord symbols as lead sheets write them (``"G"``, ``"Em"``, ``"D7"``, ``"Am7/G"``) and the
pitch classes they name, for counting which melody notes are chord tones.

Pure Python. Pitch classes are 0-11 with C = 0.
"""

from __future__ import annotations

import re

from gen.music.abc.lexer import NATURAL

_SYMBOL = re.compile(r"([A-G])([#b]?)([^/]*)(?:/([A-Ga-g])([#b]?))?")
# Intervals above the root, by the text after the root (longest names first when matching).
QUALITIES = {
    "": (0, 4, 7), "maj": (0, 4, 7), "M": (0, 4, 7),
    "m": (0, 3, 7), "min": (0, 3, 7), "-": (0, 3, 7),
    "dim": (0, 3, 6), "o": (0, 3, 6), "aug": (0, 4, 8), "+": (0, 4, 8),
    "sus": (0, 5, 7), "sus4": (0, 5, 7), "sus2": (0, 2, 7),
    "7": (0, 4, 7, 10), "9": (0, 4, 7, 10, 2), "6": (0, 4, 7, 9), "add9": (0, 4, 7, 2),
    "maj7": (0, 4, 7, 11), "M7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10), "min7": (0, 3, 7, 10), "m6": (0, 3, 7, 9), "m9": (0, 3, 7, 10, 2),
    "dim7": (0, 3, 6, 9), "o7": (0, 3, 6, 9), "m7b5": (0, 3, 6, 10),
    "7sus4": (0, 5, 7, 10), "7sus": (0, 5, 7, 10),
}


def pitch_class(letter: str, accidental: str = "") -> int:
    return (NATURAL[letter.upper()] + {"#": 1, "b": -1}.get(accidental, 0)) % 12


def chord_tones(symbol: str) -> frozenset[int] | None:
    """Pitch classes of a chord symbol (quotes allowed), or None when it is not one (an
    annotation such as ``"^Segno"`` or a quality we do not know). A slash bass is a tone too."""
    text = symbol.strip('"').strip()
    m = _SYMBOL.fullmatch(text)
    if not m or m[3] not in QUALITIES:
        return None
    root = pitch_class(m[1], m[2])
    tones = {(root + i) % 12 for i in QUALITIES[m[3]]}
    if m[4]:
        tones.add(pitch_class(m[4], m[5]))
    return frozenset(tones)


def name_chord(root_letter: str, root_pc: int, quality: str) -> str:
    """``name_chord('F', 6, 'm')`` → ``F#m``: the root spelled on its letter."""
    alter = (root_pc - NATURAL[root_letter] + 6) % 12 - 6
    return root_letter + {0: "", 1: "#", -1: "b"}.get(alter, "") + quality
