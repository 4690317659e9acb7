"""Writing tunes: tokens → ABC text (pure), and ABC text → MIDI / MusicXML through music21.

music21 has no ABC writer (it silently writes a repr), so ABC text always comes from
`write_tokens`. music21 reads ABC as version 1.3 unless told otherwise, which changes what
accidentals mean; every parse here prepends ``%abc-2.1``.
"""

from __future__ import annotations

import re
from pathlib import Path

from gen.errors import GenError
from gen.music.abc.grammar import TuneState, beat_group
from gen.music.abc.lexer import BARS, END, SECTION_BARS, START, is_pitch

NO_SPACE_AFTER = {">", ">>", ">>>", "<", "<<", "<<<", "-"}


def write_body(tokens: list[str], meter_tok: str | None = None, bars_per_line: int = 4) -> str:
    """Body text: beamed groups separated by spaces, a new line every few bars or at a section
    end, mid-tune fields inline (``[K:Gmaj]``)."""
    # Numbered bar lines (``|7``, the model's own stream) are plain bar lines in ABC.
    tokens = ["|" if t[:1] == "|" and t[1:].isdigit() else t for t in tokens]
    state = TuneState()
    state.phase = "body"
    if meter_tok:
        state.advance(meter_tok)
    group = beat_group(meter_tok)
    lines, line, bars = [], "", 0
    for tok in tokens:
        if tok[:2] in ("M:", "L:", "K:"):
            # Inline field: a field on a line of its own could make the next line read as one.
            line += f"[{tok}]"
            if tok.startswith("M:"):
                group = beat_group(tok)
            state.advance(tok)
            continue
        starts_note = is_pitch(tok) or tok.startswith("(") or tok.startswith('"')
        on_beat = state.pos > 0 and (state.pos / group).denominator == 1 and not state.tuplet_left
        if (starts_note and line and (on_beat or tok.startswith("(")) and state.last not in BARS and not line.endswith(" ")
                and state.last not in NO_SPACE_AFTER and not state.last.startswith(("(", '"'))):
            line += " "
        if tok in BARS and state.last in BARS and line:
            line += " "  # "| |" is two bar lines, "||" is one double bar
        line += tok
        state.advance(tok)
        if tok in BARS:
            bars += 1
            if bars >= bars_per_line or (tok in SECTION_BARS and tok != "|:" and bars >= 2):
                lines.append(line)
                line, bars = "", 0
    if line.strip():
        lines.append(line.rstrip())
    # A body line such as "g:|" would read as a field line ("g:"): an explicit length of one
    # unit ("g1:|") keeps it music.
    merged = [ln[0] + "1" + ln[1:] if re.match(r"[A-Za-z]:", ln) else ln for ln in lines]
    return "\n".join(merged)


def write_tune(tokens: list[str], number: int = 1, title: str | None = None,
               extra: list[str] = ()) -> str:
    """One complete tune (``X:``, ``T:``, ``M:``, ``L:``, extra header lines, ``K:`` last)."""
    body = [t for t in tokens if t not in (START, END)]
    head = {}
    while body and body[0][:2] in ("M:", "L:", "K:") and body[0][0] not in head:
        tok = body.pop(0)
        head[tok[0]] = tok
        if "K" in head:
            break
    meter = head.get("M", "M:4/4")
    lines = [f"X:{number}", f"T:{title or f'Tune {number}'}", meter, head.get("L", "L:1/8"),
             *extra, head.get("K", "K:Cmaj")]
    return "\n".join(lines) + "\n" + write_body(body, meter) + "\n"


def tunes_of(tokens: list[str]) -> list[list[str]]:
    """Split a token list at start tokens into tunes (tokens outside tunes are dropped)."""
    tunes, cur = [], None
    for tok in tokens:
        if tok == START:
            cur = [tok]
            tunes.append(cur)
        elif cur is not None:
            cur.append(tok)
            if tok == END:
                cur = None
    return tunes


def write_tokens(tokens: list[str]) -> str:
    if START not in tokens:
        return write_body(list(tokens))
    return "".join(write_tune(t, i) + "\n" for i, t in enumerate(tunes_of(tokens), 1))


def parse_abc(text: str):
    """A music21 Score for one tune's ABC text, read as ABC 2.1."""
    from music21 import converter

    return converter.parse("%abc-2.1\n" + text, format="abc")


def numbered(path: Path, i: int, n: int) -> Path:
    """``out.mid`` for one tune; ``out-1.mid``, ``out-2.mid``... for several."""
    return path if n == 1 else path.with_name(f"{path.stem}-{i}{path.suffix}")


def write_scores(tunes: list[str], path: Path, bpm: float | None = None,
                 instrument: str | None = None) -> list[Path]:
    """Write each tune's ABC text to MIDI (.mid/.midi) or MusicXML (.musicxml/.xml/.mxl)."""
    suffix = path.suffix.lower()
    fmt = {".mid": "midi", ".midi": "midi", ".musicxml": "musicxml", ".xml": "musicxml",
           ".mxl": "mxl"}.get(suffix)
    if fmt is None:
        raise GenError(f"cannot write {path.name}: use .abc, .mid or .musicxml")
    from gen.errors import os_error
    from gen.outfile import atomic_output

    inst = None
    if instrument:
        from music21 import instrument as m21inst

        try:
            inst = m21inst.fromString(instrument)
        except Exception:
            raise GenError(f"unknown instrument {instrument!r}; try violin, flute, piano") from None
    written = []
    for i, text in enumerate(tunes, 1):
        try:
            score = parse_abc(text)
        except Exception as e:
            raise GenError(f"music21 could not read tune {i}: {e}") from None
        part = score.parts[0] if score.parts else score
        if bpm:
            from music21 import tempo

            for old in score.recurse().getElementsByClass(tempo.MetronomeMark):
                old.activeSite.remove(old)
            part.insert(0, tempo.MetronomeMark(number=bpm))
        if inst is not None:
            part.insert(0, inst)
        out = numbered(path, i, len(tunes))
        with atomic_output(out) as tmp:  # a full disk leaves no half-written file
            try:
                score.write(fmt, fp=str(tmp))
            except Exception as e:
                if os_error(e) is not None:
                    raise
                # music21 cannot unfold some repeat structures: write them played once
                try:
                    score = parse_abc(re.sub(r":*\|+:*|::|\[\d", "|", text))
                    score.write(fmt, fp=str(tmp))
                except Exception as again:
                    if os_error(again) is not None:
                        raise
                    first = str(again).splitlines()[0] if str(again) else type(again).__name__
                    raise GenError(f"music21 could not write tune {i} as {out.name} ({first}); "
                                   "write it as .abc instead") from None
        written.append(out)
    return written


def tune_notes(text: str) -> list[tuple[str, float]]:
    """(pitch name or 'rest', quarter length) of every note in a tune as music21 reads it."""
    score = parse_abc(text)
    out = []
    for n in score.flatten().notesAndRests:
        if n.isNote:
            out.append((n.pitch.nameWithOctave, float(n.quarterLength)))
        elif n.isRest:
            out.append(("rest", float(n.quarterLength)))
        elif n.isChord and not n.__class__.__name__ == "ChordSymbol":
            out.append((n.pitches[0].nameWithOctave, float(n.quarterLength)))
    return out
