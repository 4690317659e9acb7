"""The ABC path, top to bottom: `lexer` (text → tokens) → `grammar` (where a tune stands, what may
come next) → `corpus` (collections → token stream) → `seed` (what a sample starts with) →
`sample` (constrained sampling) / `char` (character-level runs) → `write` (tokens → ABC text,
music21 for MIDI/MusicXML). `pitch` holds sounding pitches and transposition; `tokens` is the
``abc`` token level (split + join) the vocabulary uses."""
