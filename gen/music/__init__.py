"""Everything that touches music21 or music files, in two paths that share a little:

- `gen.music.abc`: ABC text as folk-rnn-style tokens (lexer, grammar, pitch, corpus, seed, sample,
  char, write); the model writes ABC itself.
- `gen.music.notes`: MIDI / MusicXML / scores as note events (tokens, events, corpus, cache, sample,
  write, abc export), read through music21.
- shared: `check` (validity of ABC tunes), `render` (sheet music and audio), `music21_corpus`
  (music21's bundled collections by name).

Only code under gen.music imports music21, and only inside functions that need it. Nothing here
imports `gen.corpus` back: corpus readers return plain (level, tokens, stats).
"""
