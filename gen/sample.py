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


@torch.no_grad()
def generate(model: RNNLM, seed_ids: list[int], length: int, num_samples: int = 1,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             rng_seed: int | None = None, mask_fn=None) -> Iterator[torch.Tensor]:
    """Yield (N,) new token ids, ``length`` times. ``mask_fn(logits)`` may forbid tokens (music)."""
    model.eval()
    generator = torch.Generator().manual_seed(rng_seed) if rng_seed is not None else None
    logits, hidden = prime(model, seed_ids, num_samples)
    for _ in range(length):
        scores = filter_logits(logits, temperature, top_k, top_p)
        if mask_fn is not None:
            scores = mask_fn(scores)
        token = draw(scores, generator)
        yield token
        logits, hidden = model.step(token, hidden)
