"""Sampling character-level ABC runs (the MIT lab's way): characters until the end-of-tune token,
with no grammar; each tune gets its ``X:`` number and a title."""

from __future__ import annotations

from gen.errors import GenError
from gen.music.abc.lexer import END, START
from gen.sample import Rule


class CharRule(Rule):
    """Plays ``<s>`` and the seed, never draws another ``<s>``, ends a stream at ``</s>``."""

    def __init__(self, vocab, plan: list[str], num: int):
        self.vocab, self.plan = vocab, [vocab.stoi[t] for t in plan]
        self.start, self.end = vocab.stoi[START], vocab.stoi[END]
        self.texts, self.ended = [""] * num, [False] * num
        self.step = 0

    def forced(self) -> list[int | None] | None:
        if self.step < len(self.plan):
            return [self.plan[self.step]] * len(self.texts)
        return [self.end if e else None for e in self.ended]

    def scores(self, logits):
        logits = logits.clone()  # the loop may hand over a view shared by all streams
        logits[:, self.start] = float("-inf")
        return logits

    def advance(self, ids: list[int]) -> None:
        for i, tid in enumerate(ids):
            if self.ended[i] or tid == self.start:
                continue
            if tid == self.end:
                self.ended[i] = True
            else:
                self.texts[i] += self.vocab.tokens[tid]
        self.step += 1

    def done(self) -> bool:
        return all(self.ended)


def generate_chars(loaded, seed: str, num: int, temperature: float, top_k, top_p, rng_seed: int,
                   max_chars: int = 2000, precision: str = "auto") -> list[str]:
    from gen.sample import generate

    vocab = loaded.vocab
    plan = [START, *seed]
    missing = vocab.unknown(plan)
    if missing:
        from gen.tokenize.vocab import describe_unknown

        raise GenError(f"the seed has {describe_unknown(missing)} that the model never saw")
    rule = CharRule(vocab, plan, num)
    for _ in generate(loaded.model, loaded.warmup_ids or [rule.end], len(plan) + max_chars, num,
                      temperature, top_k, top_p, rng_seed, rule=rule, precision=precision):
        pass
    return rule.texts


def char_tunes(loaded, req) -> list[str]:
    """The tunes `gen sample` writes for a character-level ABC run, one string each."""
    from gen.music.abc.seed import seed_text

    texts = generate_chars(loaded, seed_text(req) or "", req.num_samples, req.temperature,
                           req.top_k, req.top_p, req.rng_seed, req.length or 2000, req.precision)
    return [f"X:{i}\nT:Sample {i}\n{t.strip()}\n" for i, t in enumerate(texts, 1)]
