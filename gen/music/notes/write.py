"""Write note events to files: MIDI and MusicXML through music21, tokens as text otherwise.

MIDI keeps overlapping notes as they are (one track, tempo and General MIDI program set), so
independent readers such as mido see exactly the decoded notes. MusicXML needs notes that do not
overlap within a voice, so the part is chordified first (held notes become tied chord members).
"""

from __future__ import annotations

from pathlib import Path

from gen.errors import GenError
from gen.music.notes import tokens as nt

MIDI_SUFFIXES = {".mid", ".midi"}
XML_SUFFIXES = {".musicxml", ".xml", ".mxl"}


def numbered(path: Path, i: int, n: int) -> Path:
    """x.mid for one sample; x-1.mid, x-2.mid... for several."""
    return path if n == 1 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")


def write(tokens: list[str], path: Path, bpm: float | None = None,
          instrument: str | None = None) -> int:
    """Write ``tokens`` to ``path`` (format by suffix); returns the number of notes written."""
    suffix = path.suffix.lower()
    if suffix not in MIDI_SUFFIXES | XML_SUFFIXES:
        from gen.checkpoint import atomic_write

        if suffix == ".abc":
            from gen.music.notes.abc import to_abc

            text = to_abc(tokens)
        else:
            text = nt.join(tokens) + "\n"
        atomic_write(path, lambda f: f.write(text.encode()))
        return len(nt.decode(tokens).notes)
    from gen.music.notes.events import to_score

    score, dec = to_score(tokens, bpm, instrument)
    if not dec.notes:
        raise GenError(f"nothing to write to {path}: the sample holds no notes "
                       "(try a longer --length or a higher --temperature)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    try:
        if suffix in MIDI_SUFFIXES:
            score.write("midi", fp=str(tmp))
        else:
            chords = score.chordify()
            chords.insert(0, score.parts[0].getInstrument())
            chords.write("musicxml" if suffix != ".mxl" else "mxl", fp=str(tmp))
        tmp.replace(path)
    except OSError as e:
        raise GenError(f"could not write {path}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return len(dec.notes)


def read_midi_notes(path: Path) -> list[tuple[int, float, float]]:
    """(midi, start s, end s) of every note in a MIDI file, read with mido (not music21), so
    checks of written files do not trust the library that wrote them."""
    import mido

    mid = mido.MidiFile(str(path))
    now, on, out = 0.0, {}, []
    for msg in mid:  # iterating a MidiFile merges tracks and converts ticks to seconds
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            on.setdefault((msg.channel, msg.note), []).append(now)
        elif msg.type in ("note_off", "note_on"):
            starts = on.get((msg.channel, msg.note))
            if starts:
                out.append((msg.note, starts.pop(0), now))
    return sorted(out, key=lambda n: (n[1], -n[0]))


def max_polyphony(notes: list[tuple[int, float, float]]) -> int:
    """Most notes sounding at once."""
    edges = sorted([(s, 1) for _, s, e in notes] + [(e, -1) for _, s, e in notes],
                   key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, d in edges:
        cur += d
        best = max(best, cur)
    return best
