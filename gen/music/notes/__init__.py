"""The note-event path, top to bottom: `tokens` (the event vocabulary, pure) → `events` (music21
scores ↔ events) → `corpus` (find, parse in parallel, `cache`) → `sample` (grammar rule on the
one sampling loop) → `write` (MIDI / MusicXML) and `abc` (monophonic samples as ABC text)."""
