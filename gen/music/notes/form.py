"""The form of a score file (MIDI, MusicXML, Humdrum) from its bar structure, through music21:
bars per section, repeats, ending on the tonic — the note-level counterpart of `gen.music.form`.

What a file can tell: MusicXML and Humdrum carry bar lines with their styles, so double bars,
final bars and repeat signs end sections there. A MIDI file has a time signature (music21 cuts
the notes into bars from it) but no bar-line styles: its form comes out as one section of N bars.
A pickup and the bar that completes it count as one bar, as in the ABC count.
"""

from __future__ import annotations

from pathlib import Path

from gen.music.form import Form

SECTION_STYLES = {"double", "final", "light-light", "light-heavy", "heavy-light", "heavy-heavy"}


def score_form(path: Path) -> Form:
    """The form of the first part of a score file (the melody in a folk tune)."""
    from music21 import bar, converter, key, meter, stream

    try:
        score = converter.parse(str(path), forceSource=True)
    except Exception as e:  # music21 raises many kinds; any of them means "cannot read"
        return Form(error=f"{type(e).__name__}: {str(e)[:100]}")
    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    part = parts[0]
    measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        try:
            part = part.makeMeasures()
        except Exception as e:
            return Form(error=f"no bars: {e}"[:120])
        measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        return Form(error="no bars")
    ts = next(iter(part.recurse().getElementsByClass(meter.TimeSignature)), None)
    full = ts.barDuration.quarterLength if ts is not None else 4.0
    form, count, repeated, carry = Form(), 0, False, 0.0
    for i, m in enumerate(measures):
        length = m.duration.quarterLength
        short = length < full - 1e-6
        # A short bar that completes the short bar before it (a pickup) adds nothing.
        if not (short and (i == 0 or carry and abs(carry + length - full) < 1e-6)):
            count += 1
        carry = length if short else 0.0
        right = m.rightBarline
        if isinstance(right, bar.Repeat) and right.direction == "end":
            repeated = True
        ends = right is not None and (right.type in SECTION_STYLES or isinstance(right, bar.Repeat))
        if ends or i == len(measures) - 1:
            if count:
                form.sections.append(count)
                form.repeats.append(repeated)
            count, repeated = 0, False
    notes = list(part.recurse().notes)
    found = next(iter(score.recurse().getElementsByClass(key.Key)), None)
    if found is None:
        sig = next(iter(score.recurse().getElementsByClass(key.KeySignature)), None)
        found = score.analyze("key") if sig is None else None
        if found is None:
            found = sig.asKey("major")
    if notes and found is not None:
        last = notes[-1]
        pitch = last.pitches[0] if last.isChord else last.pitch
        form.tonic_end = pitch.pitchClass == found.tonic.pitchClass
    return form
