"""Sounding pitches of ABC tokens (key signature and bar-scoped accidentals, as ABC 2.1 reads
them), and diatonic transposition of whole tunes to another tonic (folk-rnn's "all in C").

Pure Python. Pitches are MIDI numbers (middle C = ``C`` = 60).
"""

from __future__ import annotations

from gen.music.abc.chords import is_chord, transpose_chord
from gen.music.abc.lexer import (ACC_TEXT, ACCIDENTALS, BARS, LETTERS, NATURAL, _NOTE, key_signature)


def parse_note(tok: str) -> tuple[int | None, str, int]:
    """``^F,`` → (accidental +1 or None, 'F', octave offset -1 relative to C..B = 60..71)."""
    m = _NOTE.fullmatch(tok)
    acc = ACCIDENTALS[m[1]] if m[1] else None
    octave = (1 if m[2].islower() else 0) + m[3].count("'") - m[3].count(",")
    return acc, m[2].upper(), octave


def note_token(acc: int | None, letter: str, octave: int) -> str:
    text = letter if octave <= 0 else letter.lower()
    text += "," * max(-octave, 0) + "'" * max(octave - 1, 0)
    return (ACC_TEXT[acc] if acc is not None else "") + text


def pitches(tokens: list[str]) -> list[int | None]:
    """MIDI pitch of every note token in order (None for rests)."""
    key, bar, out = {}, {}, []
    for tok in tokens:
        if tok.startswith("K:"):
            key, bar = key_signature(tok), {}
        elif tok in BARS:
            bar = {}
        elif tok == "z":
            out.append(None)
        elif _NOTE.fullmatch(tok):
            acc, letter, octave = parse_note(tok)
            if acc is not None:
                bar[(letter, octave)] = acc
            alter = bar.get((letter, octave), key.get(letter, 0))
            out.append(60 + 12 * octave + NATURAL[letter] + alter)
    return out


def tonic_of(key_tok: str) -> str:
    return key_tok[2:-3]


def ends_on_tonic(tokens: list[str]) -> bool | None:
    """Is the last sounding note the tonic of the key in force (None: no key or no note yet)?"""
    key = next((t for t in reversed(tokens) if t.startswith("K:")), None)
    sounding = [p for p in pitches(tokens) if p is not None]
    if key is None or not sounding:
        return None
    return sounding[-1] % 12 == tonic_pc(key)


def tonic_pc(key_tok: str) -> int:
    """Pitch class of a key token's tonic ('K:Ador' → 9)."""
    return _tonic_parts(tonic_of(key_tok))[1]


def _tonic_parts(tonic: str) -> tuple[int, int]:
    """'F#' → (letter index 3, pitch class 6)."""
    return LETTERS.index(tonic[0]), (NATURAL[tonic[0]] + {"#": 1, "b": -1}.get(tonic[1:], 0)) % 12


def interval(src_tonic: str, dst_tonic: str) -> tuple[int, int]:
    """(letter steps, semitones) from one tonic to the nearest copy of another (within ±6)."""
    (l1, p1), (l2, p2) = _tonic_parts(src_tonic), _tonic_parts(dst_tonic)
    semis = (p2 - p1) % 12
    steps = (l2 - l1) % 7
    if semis > 6:
        semis -= 12
        steps -= 7
    return steps, semis


def transpose(tokens: list[str], dst_tonic: str) -> list[str]:
    """The tune moved so its (first) key's tonic is ``dst_tonic``, modes kept, spelled against the
    new key signature with explicit accidentals where a bar's earlier accidental would mislead;
    chord symbols (root and bass) move by the same interval."""
    first_key = next((t for t in tokens if t.startswith("K:")), None)
    if first_key is None:
        return list(tokens)
    steps, semis = interval(tonic_of(first_key), dst_tonic)
    if steps == 0 and semis == 0:
        return list(tokens)
    src_key, dst_key, src_bar, dst_bar, out = {}, {}, {}, {}, []
    for tok in tokens:
        if tok.startswith("K:"):
            letter_i, _ = _tonic_parts(tonic_of(tok))
            new_letter = LETTERS[(letter_i + steps) % 7]
            pc = (NATURAL[tok[2]] + {"#": 1, "b": -1}.get(tok[3:-3], 0) + semis) % 12
            alter = (pc - NATURAL[new_letter] + 6) % 12 - 6
            if abs(alter) > 1:
                return list(tokens)  # a tonic like E## cannot be a key: leave the tune as it is
            new_tok = f"K:{new_letter}{'#' if alter == 1 else 'b' if alter == -1 else ''}{tok[-3:]}"
            src_key, dst_key = key_signature(tok), key_signature(new_tok)
            src_bar, dst_bar = {}, {}
            out.append(new_tok)
        elif tok in BARS:
            src_bar, dst_bar = {}, {}
            out.append(tok)
        elif tok != "z" and _NOTE.fullmatch(tok):
            acc, letter, octave = parse_note(tok)
            if acc is not None:
                src_bar[(letter, octave)] = acc
            midi = 60 + 12 * octave + NATURAL[letter] + src_bar.get((letter, octave), src_key.get(letter, 0))
            idx = LETTERS.index(letter) + 7 * octave + steps
            new_letter, new_oct = LETTERS[idx % 7], idx // 7
            new_alter = midi + semis - (60 + 12 * new_oct + NATURAL[new_letter])
            if abs(new_alter) > 2:
                out.append(tok)
                continue
            implied = dst_bar.get((new_letter, new_oct), dst_key.get(new_letter, 0))
            other_octaves = any(k[0] == new_letter and v != new_alter for k, v in dst_bar.items())
            explicit = new_alter != implied or other_octaves or acc is not None and new_alter != dst_key.get(new_letter, 0)
            if explicit:
                dst_bar[(new_letter, new_oct)] = new_alter
            out.append(note_token(new_alter if explicit else None, new_letter, new_oct))
        elif is_chord(tok):
            out.append(transpose_chord(tok, steps, semis))  # chords move with the notes
        else:
            out.append(tok)
    return out


def pitch_range(tunes: list[list[str]], share: float = 0.01) -> dict:
    """Where the corpus's tunes lie. "notes": [low, high] with ``share`` of all notes below and
    above, the register most of the music is in; "tunes": from the ``share`` quantile of the
    tunes' lowest notes to the ``1 - share`` one of their highest, how far a tune reaches. A
    stray note or tune widens neither."""
    per_tune = [h for h in ([p for p in pitches(t) if p is not None] for t in tunes) if h]
    if not per_tune:
        return {}
    return {"notes": _cut(sorted(p for h in per_tune for p in h), share),
            "tunes": [_cut(sorted(map(min, per_tune)), share)[0],
                      _cut(sorted(map(max, per_tune)), share)[1]]}


def _cut(values: list[int], share: float) -> list[int]:
    k = min(int(share * len(values)), len(values) - 1)
    return [values[k], values[len(values) - 1 - k]]


def move_octaves(tokens: list[str], octaves: int) -> list[str]:
    """Every note ``octaves`` octaves up (down when negative). Keys and chord symbols stay as they
    are (a chord symbol names no octave); bar accidentals stay right, since ABC ties them to the
    letter and octave and every note moves alike."""
    if octaves == 0:
        return list(tokens)
    out = []
    for tok in tokens:
        if tok != "z" and _NOTE.fullmatch(tok):
            acc, letter, octave = parse_note(tok)
            tok = note_token(acc, letter, octave + octaves)
        out.append(tok)
    return out


def fit_register(tokens: list[str], register: dict) -> list[str]:
    """The tune an octave down, up or where it is: whichever leaves the fewest notes beyond the
    corpus tunes' reach (``register["tunes"]``), then the fewest outside its usual register
    (``register["notes"]``), then the smaller move, then down. Moving a tune from C to another
    tonic takes the nearest copy of the tonic, often an octave from where the corpus has it.
    Both ranges are needed: on irish.abc's and session-chords' own tunes moved through C, the
    usual register alone left 18% of irish tunes reaching d', the reach alone 9% of session
    tunes; both together 2-3% (benchmarks/register_figures.py)."""
    return move_octaves(tokens, _best_octave(tokens, register)[0])


def register_misses(tokens: list[str], register: dict) -> int:
    """How many notes stay beyond the corpus tunes' reach at the tune's best octave: 0 when the
    tune fits. Used to draw a tonic the tune fits in (gen.music.abc.seed.pick_tonic)."""
    return _best_octave(tokens, register)[1]


def _best_octave(tokens: list[str], register: dict) -> tuple[int, int]:
    heights = [p for p in pitches(tokens) if p is not None]
    if not heights:
        return 0, 0

    def outside(octaves: int, name: str) -> int:
        low, high = register[name]
        return sum(not low <= p + 12 * octaves <= high for p in heights)

    best = min((0, -1, 1), key=lambda o: (outside(o, "tunes"), outside(o, "notes"), abs(o)))
    return best, outside(best, "tunes")
