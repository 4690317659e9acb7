"""ABC tokens, one per musical unit (folk-rnn's scheme): the lexer from text to tokens.

A tune is ``<s> M:6/8 L:1/8 K:Dmaj <body tokens> </s>``. Body tokens:

- pitch ``^F``, ``=B,``, ``c'`` (accidental, letter and octave marks as one token) and rest ``z``;
- length ``2``, ``/2``, ``3/2`` as a separate token after a note, absent for one unit (``L:``).
  Splitting pitch from length keeps the vocabulary small (~100 tokens for 800 tunes) and lets the
  constrained sampler pick the pitch freely, then only a length that fits the bar;
- bars ``|`` ``||`` ``|]`` ``|:`` ``:|`` ``::``, endings ``[1`` ``[2``, tuplets ``(3``, broken rhythm
  ``>`` ``<``, tie ``-``, chord symbols ``"Am"`` (one token each, canonical spelling:
  `gen.music.abc.chords`), and fields ``M:``/``L:``/``K:`` changing mid-tune.

Dropped on reading (they do not change which notes sound or how long): spaces, line breaks,
decorations, slurs, grace notes, annotations, lyrics. Chords ``[CEG]`` keep their first note.
Pure Python: no torch, no music21. Tokens back to text: `gen.music.abc.write`; both as one
token level: `gen.music.abc.tokens`.
"""

from __future__ import annotations

import re
from fractions import Fraction

from gen.music.abc.chords import chord_token

# Part of the token cache's key (with a digest of this package's source): 2 = chord symbols in
# one canonical spelling, transposed with the notes.
TOKENIZER_VERSION = 2
START, END = "<s>", "</s>"
SPECIALS = [START, END]
BARS = {"|", "||", "|]", "|:", ":|", "::"}
SECTION_BARS = {"||", "|]", "|:", ":|", "::"}
MODES = {"": "maj", "maj": "maj", "ion": "maj", "m": "min", "min": "min", "aeo": "min",
         "dor": "dor", "phr": "phr", "lyd": "lyd", "mix": "mix", "loc": "loc"}
# Semitones of the tonic above the major key with the same signature, per mode.
MODE_SHIFT = {"maj": 0, "min": 9, "dor": 2, "phr": 4, "lyd": 5, "mix": 7, "loc": 11}
LETTERS = "CDEFGAB"
NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACCIDENTALS = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
ACC_TEXT = {v: k for k, v in ACCIDENTALS.items()}
SHARP_ORDER, FLAT_ORDER = "FCGDAEB", "BEADGCF"
MAJOR_SHARPS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7,
                "F": -1, "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}


class AbcError(ValueError):
    """Text the lexer cannot turn into tokens (the tune is skipped, or the seed refused)."""


_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)")
_LEN = re.compile(r"\d+/\d+|\d+/+|\d+|/+\d*")
_BODY = re.compile(r"""
   (?P<tuplet>\(\d(?::\d*)?(?::\d*)?)
 | (?P<skip>[ \t\r\n`$\\~.*()H-Yh-wy])
 | (?P<comment>%.*)
 | (?P<field>\[[A-Za-z]:[^\]\n]*\])
 | (?P<quote>"[^"\n]*")
 | (?P<deco>![^!\s|]*!|\+[^+\s|]*\+|!)
 | (?P<grace>\{[^}]*\})
 | (?P<bar>::+|:*\[?\|+\]?:*)(?P<ending>\d)?
 | (?P<ending2>\[\d)
 | (?P<chord>\[[^\]\n]*\])
 | (?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*)
 | (?P<rest>[zx])
 | (?P<len>\d+/\d+|\d+/+|\d+|/+\d*)
 | (?P<broken>>{1,3}|<{1,3})
 | (?P<tie>-)
""", re.VERBOSE)


def length_value(tok: str) -> Fraction:
    """'3/2' → 3/2, '/' → 1/2, '//' → 1/4, '3/' → 3/2, '2' → 2."""
    if "/" not in tok:
        return Fraction(int(tok))
    num, _, rest = tok.partition("/")
    slashes = 1 + len(rest) - len(rest.lstrip("/"))
    den = rest.lstrip("/")
    return Fraction(int(num or 1), int(den) if den else 2 ** slashes)


def length_token(value: Fraction) -> str | None:
    """Canonical spelling of a length in units; None for one unit (ABC writes nothing)."""
    if value == 1:
        return None
    if value.denominator == 1:
        return str(value.numerator)
    return f"/{value.denominator}" if value.numerator == 1 else f"{value.numerator}/{value.denominator}"


def norm_field(name: str, value: str) -> str:
    """Canonical ``M:``/``L:``/``K:`` token, or AbcError for values we do not model."""
    value = value.split("%")[0].strip()
    if name == "M":
        if value in ("C", "C|", "none"):
            return f"M:{value}"
        m = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
        if not m:
            raise AbcError(f"unsupported meter M:{value}")
        return f"M:{int(m[1])}/{int(m[2])}"
    if name == "L":
        m = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
        if not m:
            raise AbcError(f"unsupported unit length L:{value}")
        return f"L:{int(m[1])}/{int(m[2])}"
    m = re.fullmatch(r"([A-G])([#b]?)\s*([A-Za-z]*)(.*)", value)
    if not m or (m[4].strip() and not re.fullmatch(r"\s*((clef|octave|transpose|middle|stafflines)=\S*|"
                                                     r"treble|bass|alto|tenor|\s)*", m[4])):
        raise AbcError(f"unsupported key K:{value}")
    mode = MODES.get(m[3][:3].lower() if m[3].lower() not in ("m",) else "m")
    if mode is None:
        raise AbcError(f"unsupported mode in K:{value}")
    return f"K:{m[1]}{m[2]}{mode}"


def meter_length(tok: str) -> Fraction | None:
    """Bar length in whole notes for an ``M:`` token."""
    v = tok[2:]
    if v == "none":
        return None
    return Fraction(1) if v in ("C", "C|") else Fraction(v)


def key_signature(tok: str) -> dict[str, int]:
    """Alteration per letter for a ``K:`` token, e.g. K:Ador → {} , K:Dmaj → {'F': 1, 'C': 1}."""
    tonic, mode = tok[2:-3], tok[-3:]
    pc = (NATURAL[tonic[0]] + {"#": 1, "b": -1}.get(tonic[1:], 0) - MODE_SHIFT[mode]) % 12
    names = {NATURAL[k]: k for k in MAJOR_SHARPS if len(k) == 1}
    candidates = [k for k in MAJOR_SHARPS if (NATURAL[k[0]] + {"#": 1, "b": -1}.get(k[1:], 0)) % 12 == pc]
    major = min(candidates, key=lambda k: abs(MAJOR_SHARPS[k])) if candidates else names.get(pc, "C")
    n = MAJOR_SHARPS[major]
    return {c: 1 for c in SHARP_ORDER[:n]} if n >= 0 else {c: -1 for c in FLAT_ORDER[:-n]}


def is_pitch(tok: str) -> bool:
    return tok == "z" or bool(_NOTE.fullmatch(tok))


def is_length(tok: str) -> bool:
    return bool(_LEN.fullmatch(tok))


def lex_body(text: str) -> list[str]:
    """Tokens of tune body text (no header lines). Raises AbcError on what it cannot read."""
    out: list[str] = []
    for line in text.splitlines():
        if re.match(r"[A-Za-z]:", line):
            name = line[0]
            if name in "MLK":
                out.append(norm_field(name, line[2:]))
            elif name == "V":
                raise AbcError("several voices (V:) are not supported")
            continue  # lyrics, titles, parts, notes: no sounding content
        out.extend(_lex_line(line))
    return out


def _lex_line(line: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(line):
        m = _BODY.match(line, pos)
        if not m:
            raise AbcError(f"cannot read {line[pos:pos + 12]!r}")
        pos = m.end()
        kind = m.lastgroup if m.lastgroup not in ("ending",) else "bar"
        text = m.group(kind)
        if kind in ("skip", "comment", "deco", "grace"):
            continue
        if kind == "field":
            if text[1] in "MLK":
                out.append(norm_field(text[1], text[3:-1]))
            continue
        if kind == "quote":
            chord = chord_token(text[1:-1])  # None: an annotation, not a chord symbol
            if chord:
                out.append(chord)
            continue
        if kind == "bar":
            out.append(_norm_bar(text))
            if m.group("ending"):
                out.append("[" + m.group("ending"))
        elif kind == "ending2":
            out.append(text)
        elif kind == "chord":
            notes = _NOTE.findall(text)
            if not notes:
                raise AbcError(f"cannot read chord {text!r}")
            acc, letter, octave = notes[0]
            inner = re.search(r"[A-Ga-g][,']*(\d+/\d+|\d+/+|\d+|/+\d*)?", text)
            out.append(acc + letter + octave)
            tok = length_token(length_value(inner.group(1))) if inner and inner.group(1) else None
            if tok:
                out.append(tok)
        elif kind == "tuplet":
            out.append(text[:2])
        elif kind == "rest":
            out.append("z")
        elif kind == "len":
            if not out or not (is_pitch(out[-1]) or is_length(out[-1])):
                raise AbcError(f"length {text!r} without a note")
            value = length_value(text)
            if is_length(out[-1]):  # chord outer length multiplies the inner one
                value *= length_value(out.pop())
            tok = length_token(value)
            if tok:
                out.append(tok)
        else:
            out.append(text)
    return out


def _norm_bar(text: str) -> str:
    left, right = text.startswith(":"), text.endswith(":")
    if set(text) == {":"} or (left and right):
        return "::"
    if left:
        return ":|"
    if right:
        return "|:"
    if text.endswith("]"):
        return "|]"
    return "||" if text.count("|") > 1 else "|"


def split_tunes(text: str) -> list[str]:
    """Tune texts of an ABC file, each starting at its ``X:`` line (the file header is dropped)."""
    parts = re.split(r"(?m)^(?=X:)", text)
    return [p for p in parts if p.startswith("X:")]


def lex_tune(text: str, defaults: dict | None = None) -> list[str]:
    """``<s> M L K body </s>`` for one tune's text; missing M:/L: come from ``defaults`` or ABC's."""
    fields = dict(defaults or {})
    lines = text.splitlines()
    body_at = None
    for i, line in enumerate(lines):
        m = re.match(r"([A-Za-z]):(.*)", line)
        if not m:
            if line.strip() and not line.lstrip().startswith("%"):
                body_at = i
                break
            continue
        if m[1] in "MLK":
            fields[m[1]] = norm_field(m[1], m[2])
        elif m[1] == "V":
            raise AbcError("several voices (V:) are not supported")
        if m[1] == "K":
            body_at = i + 1
            break
    if "K" not in fields or body_at is None:
        raise AbcError("no K: field")
    meter = fields.get("M", "M:4/4")
    unit = fields.get("L") or ("L:1/16" if (meter_length(meter) or 1) < Fraction(3, 4) else "L:1/8")
    body = lex_body("\n".join(lines[body_at:]))
    if not any(is_pitch(t) and t != "z" for t in body):
        raise AbcError("no notes")
    return [START, meter, unit, fields["K"], *body, END]


def split(text: str) -> list[str]:
    """Tokens for ABC text: whole tunes (``X:`` ...) get start/end tokens; a fragment (a seed's
    header lines and/or notes) gives its tokens alone."""
    tunes = split_tunes(text)
    if not tunes:
        return lex_body(text)
    return [t for tune in tunes for t in lex_tune(tune)]

