"""music21 streams ↔ note-level event tokens (see gen.music.notes.tokens for the vocabulary).

`encode_score` flattens every part of a score into one set of (pitch, start, end) notes on the
1/12-quarter grid, takes bar lines from the first part's measures and key/meter from the
score, and hands them to `frames_to_tokens`. `to_score` does the reverse for writing files.
"""

from __future__ import annotations

from fractions import Fraction

from gen.music.notes import tokens as nt


def _units(ql) -> int:
    return round(Fraction(ql).limit_denominator(10000) * nt.GRID)


def _key_of(score, flat) -> tuple[int, bool] | None:
    from music21 import key

    ks = flat.getElementsByClass(key.KeySignature).first()
    if ks is None:
        try:
            k = score.analyze("key")  # MIDI often has no key signature: estimate it
        except Exception:
            return None
        return k.tonic.pitchClass, k.mode == "minor"
    if isinstance(ks, key.Key) and ks.mode == "minor":
        return ks.tonic.pitchClass, True
    # Major, modal (ABC's Dor, Mix...) or a bare signature: name it by its major key, as folk-rnn
    # keeps the signature; the mode is in the notes.
    return ks.asKey("major").tonic.pitchClass, False


def encode_score(score) -> list[str]:
    """One piece (a music21 Score or Part) as ``<s> K: M: frames... </s>``; [] if it has no notes."""
    from music21 import meter, stream

    flat = score.flatten()
    notes: list[tuple[int, int, int]] = []
    open_ties: dict[int, int] = {}  # midi -> index in notes of a note whose tie continues
    for n in flat.notes:
        ql = n.duration.quarterLength
        if ql == 0:
            continue  # grace notes take no time
        s, e = _units(n.offset), _units(n.offset + ql)
        e = max(e, s + 1)
        tie = n.tie.type if n.tie is not None else None
        for p in n.pitches:
            midi = p.midi
            if not 0 <= midi <= 127:
                continue
            i = open_ties.get(midi)
            if tie in ("stop", "continue") and i is not None and notes[i][2] == s:
                notes[i] = (midi, notes[i][1], e)
            else:
                notes.append((midi, s, e))
                i = len(notes) - 1
            if tie in ("start", "continue"):
                open_ties[midi] = i
            else:
                open_ties.pop(midi, None)
    if not notes:
        return []
    end = max(e for _, _, e in notes)
    marks: dict[int, list[str]] = {}
    parts = score.parts if isinstance(score, stream.Score) and score.parts else [score]
    measures = list(parts[0].getElementsByClass(stream.Measure))
    if measures:
        bar_times = [_units(m.offset) for m in measures[1:]]
        last = measures[-1]
        bar_times.append(_units(last.offset + last.duration.quarterLength))
        end = max(end, bar_times[-1])
    else:
        ts = flat.getElementsByClass(meter.TimeSignature).first()
        bar = _units(ts.barDuration.quarterLength) if ts is not None else 0
        bar_times = list(range(bar, end + bar, bar)) if bar else []
        end = max(end, bar_times[-1]) if bar_times else end
    for t in bar_times:
        if 0 < t <= end:
            marks.setdefault(t, []).append(nt.BAR)
    head = []
    k = _key_of(score, flat)
    if k is not None:
        head.append(nt.key_token(*k))
    seen_meter = None
    for ts in flat.getElementsByClass(meter.TimeSignature):
        t = _units(ts.offset)
        tok = f"M:{ts.ratioString}"
        if tok == seen_meter:
            continue
        seen_meter = tok
        if t == 0:
            head.append(tok)
        elif t <= end:
            marks.setdefault(t, []).append(tok)
    marks[0] = head + marks.get(0, [])
    return [nt.START, *nt.frames_to_tokens(notes, marks, end), nt.END]


def encode_stream(obj) -> list[str]:
    """Tokens for whatever music21 parsed: a Score, a Part, or an Opus of several pieces."""
    from music21 import stream

    if isinstance(obj, stream.Opus):
        return [t for s in obj.scores for t in encode_score(s)]
    return encode_score(obj)


def to_score(tokens: list[str], bpm: float | None = None, instrument: str | None = None):
    """A one-part music21 Score from event tokens, with tempo, instrument, key and meter set.
    Notes that start and end together become one chord."""
    from music21 import chord, instrument as m21instrument, key, meter, note, stream, tempo

    dec = nt.decode(tokens)
    part = stream.Part()
    if instrument:
        try:
            part.insert(0, m21instrument.fromString(instrument))
        except Exception:
            from gen.errors import GenError

            raise GenError(f"unknown instrument {instrument!r}; try a General MIDI name such as "
                           "piano, violin, flute, cello or acoustic guitar") from None
    else:
        part.insert(0, m21instrument.Piano())
    part.insert(0, tempo.MetronomeMark(number=bpm or 120))
    for t, ratio in dec.meters:
        try:
            part.insert(Fraction(t, nt.GRID), meter.TimeSignature(ratio))
        except Exception:
            pass  # "none" and other free meters have no music21 time signature
    for t, (pc, minor) in dec.keys:
        k = nt.key_token(pc, minor)[2:].rstrip("m")
        part.insert(Fraction(t, nt.GRID), key.Key(k.replace("b", "-"), "minor" if minor else "major"))
    groups: dict[tuple[int, int], list[int]] = {}
    for midi, s, e in dec.notes:
        groups.setdefault((s, e), []).append(midi)
    for (s, e), pitches in sorted(groups.items()):
        ql = Fraction(e - s, nt.GRID)
        el = note.Note(pitches[0]) if len(pitches) == 1 else chord.Chord(sorted(pitches))
        el.quarterLength = ql
        part.insert(Fraction(s, nt.GRID), el)
    score = stream.Score()
    score.insert(0, part)
    return score, dec
