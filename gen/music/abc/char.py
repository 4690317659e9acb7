"""Sampling character-level ABC runs (the MIT lab's way): characters until the end-of-tune token,
with no grammar; each tune gets its ``X:`` number and a title."""

from __future__ import annotations

import torch

from gen.errors import GenError
from gen.music.abc.lexer import END, START


@torch.no_grad()
def generate_chars(loaded, seed: str, num: int, temperature: float, top_k, top_p, rng_seed: int,
                   max_chars: int = 2000) -> list[str]:
    from gen.sample import filter_logits, prime

    vocab, model = loaded.vocab, loaded.model
    model.eval()
    generator = torch.Generator().manual_seed(rng_seed)
    plan = [START, *seed]
    missing = vocab.unknown(plan)
    if missing:
        from gen.tokenize.vocab import describe_unknown

        raise GenError(f"the seed has {describe_unknown(missing)} that the model never saw")
    end, start = vocab.stoi[END], vocab.stoi[START]
    logits, hidden = prime(model, loaded.warmup_ids or [end], num)
    texts, done = [""] * num, [False] * num
    for step in range(len(plan) + max_chars):
        if step < len(plan):
            ids = [vocab.stoi[plan[step]]] * num
        else:
            scores = filter_logits(logits, temperature, top_k, top_p)
            scores[:, start] = float("-inf")
            ids = torch.multinomial(scores.softmax(-1), 1, generator=generator).squeeze(-1).tolist()
        for i, tid in enumerate(ids):
            if done[i] or tid == start:
                continue
            if tid == end:
                done[i] = True
            else:
                texts[i] += vocab.tokens[tid]
        if all(done):
            break
        logits, hidden = model.step(torch.tensor(ids), hidden)
    return texts


def sample_chars(loaded, req) -> None:
    from gen.music.abc.seed import seed_text, write_output

    texts = generate_chars(loaded, seed_text(req) or "", req.num_samples, req.temperature,
                           req.top_k, req.top_p, req.rng_seed, req.length or 2000)
    tunes = [f"X:{i}\nT:Sample {i}\n{t.strip()}\n" for i, t in enumerate(texts, 1)]
    write_output(tunes, req)
