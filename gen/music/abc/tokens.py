"""The ``abc`` token level: `split` (text → tokens, the lexer) and `join` (tokens → text, the
writer), the two functions `gen.tokenize.vocab` asks of every level."""

from __future__ import annotations

from gen.music.abc.lexer import split
from gen.music.abc.write import write_tokens as join

__all__ = ["split", "join"]
