"""The reference: a bare nn.LSTM training loop, as the foundation issue describes it.

    python benchmarks/bare_loop.py corpora/tinyshakespeare.txt --minutes 5 [--bf16]

Embedding 256, 2x256 nn.LSTM, linear head; B=32 streams, T=64, AdamW 3e-3, cosine decay over the
time budget, clip 1, trained on the first 90% with the hidden state carried; prints the loss on
the last 10% (nats/char) and tokens/s. Compare with `gen train ... --minutes 5` followed by
`gen eval` on the same last 10% (see README) — run them one after the other on an idle machine.
"""

import argparse
import math
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--bf16", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(1337)
    text = open(args.corpus, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text])
    n_val = int(len(ids) * 0.1)
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val:]
    B, T, H, V = 32, 64, 256, len(chars)
    L = len(train) // B
    data = train[: L * B].view(B, L).t()
    emb, rnn, head = torch.nn.Embedding(V, H), torch.nn.LSTM(H, H, 2), torch.nn.Linear(H, V)
    params = [*emb.parameters(), *rnn.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=3e-3)
    budget = args.minutes * 60
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    start, step, h, pos = time.perf_counter(), 0, None, 0
    while (elapsed := time.perf_counter() - start) < budget:
        for g in opt.param_groups:
            g["lr"] = 3e-3 * 0.5 * (1 + math.cos(math.pi * elapsed / budget))
        if pos + T + 1 > L:
            pos, h = 0, None
        x, y = data[pos: pos + T], data[pos + 1: pos + T + 1]
        pos += T
        with amp:
            out, h = rnn(emb(x), h)
            logits = head(out)
        loss = F.cross_entropy(logits.float().reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        h = tuple(t.detach() for t in h)
        step += 1
    secs = time.perf_counter() - start
    with torch.no_grad():
        out, _ = rnn(emb(val[:-1].view(-1, 1)))
        v = F.cross_entropy(head(out).view(-1, V), val[1:]).item()
    print(f"bare loop{' bf16' if args.bf16 else ''}: {step} steps, {step * B * T / secs / 1000:.1f}k "
          f"tokens/s, validation (last 10%) {v:.4f} nats/char")


if __name__ == "__main__":
    main()
