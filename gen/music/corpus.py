"""Music corpora: dispatch to the ABC reader or the note-level (MIDI/MusicXML) reader."""

from __future__ import annotations

from gen.errors import GenError


def load(spec: str, kind: str, level: str | None, encoding: str = "utf-8", **options):
    """Return a gen.corpus.Corpus for an ABC or score corpus (kind 'abc', 'notes' or 'music21')."""
    if kind == "music21":
        from gen.music.music21_corpus import kind_of

        kind = kind_of(spec)
    if kind == "abc":
        from gen.music.abc_corpus import load as load_abc

        return load_abc(spec, level, encoding=encoding, **options)
    if kind == "notes":
        from gen.music.notes_corpus import load as load_notes

        return load_notes(spec, level, **options)
    raise GenError(f"unknown corpus kind {kind!r}; choose text, abc or notes")
