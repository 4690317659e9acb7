"""Everything that touches music21 or music files: corpora, decoding, writing, rendering, checks.

Only code under gen.music imports music21, and only inside functions that need it.
"""
