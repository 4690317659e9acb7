"""Autoregressive sampling: prime the hidden state with a seed, then draw one token at a time.

The filters are pure functions on logits; `generate` runs N samples as one batch and yields the
new token of every stream at each step, so callers can stream text as it is produced.
"""

from __future__ import annotations

from typing import Iterator

import torch

from gen.model import RNNLM


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None) -> torch.Tensor:
    """Scale by 1/temperature, keep the k most likely and the smallest set with mass ≥ p."""
    logits = logits.float() / temperature
    if top_k is not None and 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = sorted_logits.softmax(-1)
        # Drop a token when the mass before it already reaches p; the top token always stays.
        drop = probs.cumsum(-1) - probs >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def draw(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    probs = logits.softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def prime(model: RNNLM, seed_ids: list[int], num_samples: int):
    """Run the seed once and copy its final state to every stream: (logits (N, V), hidden)."""
    x = torch.tensor(seed_ids, dtype=torch.long).view(-1, 1)
    logits, hidden = model(x)
    last = logits[-1].expand(num_samples, -1)
    if isinstance(hidden, tuple):
        hidden = tuple(h.expand(-1, num_samples, -1).contiguous() for h in hidden)
    else:
        hidden = hidden.expand(-1, num_samples, -1).contiguous()
    return last, hidden


class Rule:
    """What differs per kind of sampling, plugged into the one loop in `generate`.

    A rule sees every step of every stream: it may force the next token (a seed plan, a stream
    that already ended), reshape the raw logits before temperature and top-k/top-p (a grammar mask
    as -inf, a bias such as an end-of-tune bonus), and say when all streams are done (a stop
    rule). Text sampling uses no rule; ABC and note-level sampling each bring their own.
    """

    def forced(self) -> list[int | None] | None:
        """Per stream, the id to emit next regardless of the model (None: draw), or None."""
        return None

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        """Raw (N, V) float logits → logits with forbidden tokens at -inf (may edit in place)."""
        return logits

    def advance(self, ids: list[int]) -> None:
        """The ids just emitted, one per stream."""

    def done(self) -> bool:
        """True once every stream has finished: the loop stops without another model step."""
        return False


@torch.no_grad()
def generate(model: RNNLM, seed_ids: list[int], length: int, num_samples: int = 1,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             rng_seed: int | None = None, rule: Rule | None = None) -> Iterator[torch.Tensor]:
    """Yield (N,) new token ids, at most ``length`` times: the one sampling loop of gen.

    ``seed_ids`` (warm-up context and seed) are run once and their final state copied to all N
    streams; then each step filters, draws one token per stream and feeds it back."""
    model.eval()
    generator = torch.Generator().manual_seed(rng_seed) if rng_seed is not None else None
    logits, hidden = prime(model, seed_ids, num_samples)
    for _ in range(length):
        forced = rule.forced() if rule is not None else None
        scores = logits.float()
        if rule is not None:
            scores = rule.scores(scores)
            # A row the rule closed entirely is forced anyway; any finite row keeps softmax sane.
            scores[torch.isneginf(scores).all(-1)] = 0.0
        token = draw(filter_logits(scores, temperature, top_k, top_p), generator)
        if forced is not None:
            token = torch.tensor([d if f is None else f for f, d in zip(forced, token.tolist())])
        yield token
        if rule is not None:
            rule.advance(token.tolist())
            if rule.done():
                return
        logits, hidden = model.step(token, hidden)
