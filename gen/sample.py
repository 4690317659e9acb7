"""Autoregressive sampling: prime the hidden state with a seed, then draw one token at a time.

The filters are pure functions on logits; `generate` runs N samples as one batch and yields the
new token of every stream at each step, so callers can stream text as it is produced. The seed
goes through the model's full-sequence forward (fast for long inputs); the steps after it go
through `gen.stepper.Stepper`, which equals the forward to float tolerance at a fraction of the
cost of calling nn.LSTM per token.
"""

from __future__ import annotations

from typing import Iterator

import torch

from gen.errors import GenError
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
        """Raw (N, V) float logits → logits with forbidden tokens at -inf (may edit in place;
        the tensor is the stepper's buffer, overwritten by the next step: copy what you keep)."""
        return logits

    def advance(self, ids: list[int]) -> None:
        """The ids just emitted, one per stream."""

    def done(self) -> bool:
        """True once every stream has finished: the loop stops without another model step."""
        return False


def threads_for(batch: int) -> int:
    """Torch threads for stepping ``batch`` streams. A step is a few small matrix products that
    end before a second thread pays off, and a busy core makes OpenMP's barriers stall: measured
    on 2 shared cores, 2x256 LSTM, 1 thread against 2: 95 against 140 us/step for one stream,
    1.0-1.6 against 4-26 ms for 32 streams, 2.3-3.2 against 19-76 ms for 128 streams. Only very
    large batches get torch's default."""
    return 1 if batch <= 256 else max(1, torch.get_num_threads())


# From this many streams on, bf16 steps beat fp32 on a CPU with native bf16 (2x256 LSTM, 1 thread:
# 4 streams 124 against 177 us, 32 streams 299 against 667 us; 2 streams 128 against 108 us).
BF16_MIN_STREAMS = 4


def step_dtype(precision: str, batch: int, device: torch.device) -> torch.dtype:
    """The stepper's dtype: ``auto`` takes bf16 for 4+ streams on CPUs with native bf16. Measured
    on trained 2x256/2x384 models, teacher-forced over 48k validation characters, bf16 steps
    score within 0.0002 nats of fp32 (LSTM, GRU and RNN alike)."""
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if precision != "auto":
        raise GenError(f"unknown precision {precision!r}; choose auto, fp32 or bf16")
    from gen.device import cpu_has_bf16

    if device.type == "cpu" and batch >= BF16_MIN_STREAMS and cpu_has_bf16():
        return torch.bfloat16
    return torch.float32


class _ThreadCount:
    """torch's thread count is process-wide; samplers running side by side (the studio serves
    requests on several threads) share it. The first to enter saves the count the process had,
    the last to leave puts it back, so overlapping samplers cannot leave the process pinned."""

    def __init__(self):
        import threading

        self.lock, self.active, self.saved = threading.Lock(), 0, None

    def enter(self, wanted: int) -> None:
        with self.lock:
            if self.active == 0:
                self.saved = torch.get_num_threads()
            self.active += 1
            if torch.get_num_threads() != wanted:
                torch.set_num_threads(wanted)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            if self.active == 0 and torch.get_num_threads() != self.saved:
                torch.set_num_threads(self.saved)


_threads = _ThreadCount()


def sample_ids(probs: torch.Tensor, generator: torch.Generator | None, noise: torch.Tensor) -> torch.Tensor:
    """One id per row of ``probs``, exactly as ``torch.multinomial(probs, 1)`` draws it (argmax
    of p / q with q ~ Exp(1), the same generator calls), minus its per-call checks and buffers."""
    noise.exponential_(generator=generator)
    return torch.argmax(torch.div(probs, noise, out=noise), dim=-1)


def generate(model: RNNLM, seed_ids: list[int], length: int, num_samples: int = 1,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             rng_seed: int | None = None, rule: Rule | None = None,
             precision: str = "auto") -> Iterator[torch.Tensor]:
    """Yield (N,) new token ids, at most ``length`` times: the one sampling loop of gen.

    ``seed_ids`` (warm-up context and seed) are run once through the full-sequence forward and
    their final state copied to all N streams; then each step filters, draws one token per
    stream and feeds it back through a `Stepper` (gen/stepper.py), never through nn.LSTM, in
    the dtype `step_dtype` picks for ``precision`` and N."""
    _threads.enter(threads_for(num_samples))
    try:
        yield from _loop(model, seed_ids, length, num_samples, temperature, top_k, top_p,
                         rng_seed, rule, precision)
    finally:
        _threads.leave()


@torch.inference_mode()
def _loop(model, seed_ids, length, num_samples, temperature, top_k, top_p, rng_seed, rule,
          precision):
    from gen.stepper import Stepper

    model.eval()
    generator = torch.Generator().manual_seed(rng_seed) if rng_seed is not None else None
    logits, hidden = prime(model, seed_ids, num_samples)
    logits = logits.float().contiguous()  # a rule may edit it in place: no shared rows
    if not torch.isfinite(logits).all():
        raise GenError("the model's outputs are not finite numbers: its weights have diverged; "
                       "sample from an earlier checkpoint or retrain with a lower --lr")
    device = next(model.parameters()).device
    stepper = Stepper(model, num_samples, step_dtype(precision, num_samples, device))
    stepper.load_state(hidden)
    filtered = top_k is not None or top_p is not None
    scaled = torch.empty(num_samples, logits.size(-1))
    noise = torch.empty_like(scaled)
    for _ in range(length):
        scores = logits
        if rule is not None:
            forced = rule.forced()
            scores = rule.scores(scores)
            # A row the rule closed entirely is forced anyway; any finite row keeps softmax sane.
            scores[torch.isneginf(scores).all(-1)] = 0.0
        if filtered:
            scores = filter_logits(scores, temperature, top_k, top_p)
        elif temperature != 1.0:
            scores = torch.div(scores, temperature, out=scaled)
        token = sample_ids(scores.softmax(-1), generator, noise)
        if rule is not None and forced is not None:
            token = torch.tensor([d if f is None else f for f, d in zip(forced, token.tolist())])
        yield token
        if rule is not None:
            rule.advance(token.tolist())
            if rule.done():
                return
        logits = stepper.step(token)


def text_seed_ids(loaded, seed: str) -> tuple[list[int], str]:
    """Warm-up plus seed ids for a text run (`gen sample`, the studio) and the seed as shown;
    GenError for characters the model never saw. No seed: the state after a newline."""
    from gen.tokenize import split_text
    from gen.tokenize.vocab import describe_unknown

    vocab = loaded.vocab
    if seed:
        tokens = split_text(seed, vocab.level)
        missing = vocab.unknown(tokens) if vocab.unk is None else []
        if missing:
            raise GenError(f"the seed has {describe_unknown(missing)} that the model never saw; "
                           "remove or replace them")
        ids = vocab.encode(tokens)
    else:
        start = "\n" if "\n" in vocab.stoi else vocab.tokens[0]
        ids = [] if loaded.warmup_ids else vocab.encode([start])
    return loaded.warmup_ids + ids, seed or ""
