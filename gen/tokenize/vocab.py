"""A vocabulary: an ordered list of token strings and the level that produced them.

Levels:
- ``char``: every Unicode character is a token (char-rnn's choice).
- ``word``: words with their leading space, punctuation and line breaks (see `word.py`), capped
  to the most frequent, the rest mapped to ``<unk>``.
- ``abc`` and ``notes``: musical units; each music path owns its tokenizer
  (`gen.music.abc.tokens`, `gen.music.notes.tokens`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from importlib import import_module
from typing import Iterable

from gen.errors import GenError

UNK = "<unk>"

# Each level is a module with split(text) -> tokens and join(tokens) -> text. Named here, imported
# on first use, so the text levels never load music code.
LEVEL_MODULES = {"char": "gen.tokenize.char", "word": "gen.tokenize.word",
                 "abc": "gen.music.abc.tokens", "notes": "gen.music.notes.tokens"}
LEVELS = tuple(LEVEL_MODULES)


def level_module(level: str):
    if level not in LEVEL_MODULES:
        raise GenError(f"unknown token level {level!r}; choose one of {', '.join(LEVELS)}")
    return import_module(LEVEL_MODULES[level])


def split_text(text: str, level: str) -> list[str]:
    return level_module(level).split(text)


@dataclass
class Vocab:
    """Token strings in id order. ``unk`` is the id unknown tokens map to, or None (char level)."""

    tokens: list[str]
    level: str = "char"
    specials: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stoi = {t: i for i, t in enumerate(self.tokens)}
        self.unk = self.stoi.get(UNK)

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(cls, tokens: Iterable[str], level: str, max_size: int | None = None,
              specials: Iterable[str] = ()) -> "Vocab":
        """Sorted vocabulary of the tokens seen; with ``max_size``, the most frequent plus <unk>."""
        specials = list(specials)
        counts = Counter(tokens)
        for s in specials:
            counts.pop(s, None)
        if max_size is not None:
            # Capped vocabularies always have <unk>, so any seed or evaluation text can be encoded.
            keep = [t for t, _ in counts.most_common(max(max_size - len(specials) - 1, 1))]
            specials = specials + [UNK]
        else:
            keep = list(counts)
        return cls(specials + sorted(keep), level, specials)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids for the tokens; unseen tokens become <unk>, or raise naming them if there is none."""
        stoi, unk = self.stoi, self.unk
        if unk is not None:
            return [stoi.get(t, unk) for t in tokens]
        tokens = list(tokens)
        try:
            return [stoi[t] for t in tokens]
        except KeyError:
            raise GenError(f"the model never saw {describe_unknown(self.unknown(tokens))}") from None

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """Tokens the vocabulary lacks, in order of first appearance."""
        return list(dict.fromkeys(t for t in tokens if t not in self.stoi))

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def join(self, tokens: list[str]) -> str:
        return level_module(self.level).join(tokens)

    def encode_text(self, text: str) -> list[int]:
        return self.encode(split_text(text, self.level))

    def decode_text(self, ids: Iterable[int]) -> str:
        return self.join(self.decode(ids))

    def to_json(self) -> dict:
        return {"level": self.level, "tokens": self.tokens, "specials": self.specials}


def vocab_from_json(data: dict) -> Vocab:
    return Vocab(list(data["tokens"]), data.get("level", "char"), list(data.get("specials", [])))


def describe_unknown(tokens: list[str], limit: int = 10) -> str:
    """'3 tokens: 'é', '€', '\\t'' — repr() so invisible characters are visible."""
    shown = ", ".join(repr(t) for t in tokens[:limit])
    more = f" and {len(tokens) - limit} more" if len(tokens) > limit else ""
    noun = "character" if all(len(t) == 1 for t in tokens) else "token"
    return f"{len(tokens)} {noun}{'s' if len(tokens) != 1 else ''}: {shown}{more}"
