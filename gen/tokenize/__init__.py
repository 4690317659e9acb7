"""Tokenizers: text (or music) ↔ token strings ↔ integer ids. Pure Python, no torch.

Every level shares `Vocab`; a level only decides how a corpus is split into token strings and how
token strings are joined back. `make_vocab`/`vocab_from_json` are the only entry points the rest
of gen needs.
"""

from gen.tokenize.vocab import Vocab, split_text, vocab_from_json

__all__ = ["Vocab", "split_text", "vocab_from_json"]
