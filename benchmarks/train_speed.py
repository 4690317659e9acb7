"""Training throughput: gen's training step against a bare nn.LSTM loop and the raw kernels.

    python benchmarks/train_speed.py [--batch-size 32 --seq-len 64 --hidden 256 --layers 2]

Prints tokens/s for, in the same run and interleaved (so machine noise hits all alike):
  raw     nn.LSTM forward+backward only (the recurrent kernels, nothing else)
  bare    the reference loop: embedding → nn.LSTM → linear, cross-entropy, AdamW, clip
  gen     gen's Trainer.train_step on the same shapes
each in fp32 and bf16 autocast, and the ratio gen/bare and gen/raw.
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gen.model import ModelConfig, RNNLM  # noqa: E402
from gen.trainer import TrainConfig, Trainer  # noqa: E402

V = 65


def ctx(precision):
    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else nullcontext()


def raw_step(a, precision):
    rnn, x, h = a["rnn"], a["emb_x"], None
    with ctx(precision):
        out, _ = rnn(x)
    out.float().sum().backward()


def bare_step(a, precision):
    emb, rnn, head, opt, x, y = a["emb"], a["rnn"], a["head"], a["opt"], a["x"], a["y"]
    with ctx(precision):
        out, h = rnn(emb(x), a.get(precision))
        logits = head(out)
    loss = F.cross_entropy(logits.float().view(-1, V), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(a["params"], 1.0)
    opt.step()
    a[precision] = tuple(t.detach() for t in h)
    loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    B, T, H, L = args.batch_size, args.seq_len, args.hidden, args.layers
    torch.manual_seed(0)
    x = torch.randint(0, V, (T, B))
    y = torch.randint(0, V, (T, B))
    emb = torch.nn.Embedding(V, H)
    rnn = torch.nn.LSTM(H, H, L)
    head = torch.nn.Linear(H, V)
    params = [*emb.parameters(), *rnn.parameters(), *head.parameters()]
    bare = {"emb": emb, "rnn": rnn, "head": head, "params": params, "x": x, "y": y,
            "opt": torch.optim.AdamW(params, lr=3e-3), "emb_x": emb(x).detach()}
    ids = torch.randint(0, V, (B * T * 50,))
    tmp = tempfile.mkdtemp()
    trainers = {}
    for p in ("fp32", "bf16"):
        model = RNNLM(ModelConfig(vocab_size=V, layers=L, hidden=H, embed_dim=H))
        trainers[p] = Trainer(model, ids, ids[:1000], TrainConfig(steps=1, seq_len=T, batch_size=B,
                              precision=p), Path(tmp), {}, torch.device("cpu"))

    def gen_step(precision):
        t = trainers[precision]
        xb, yb, _ = t.windows.window(0)
        t.train_step(xb, yb)

    cases = {}
    for p in ("fp32", "bf16"):
        cases[f"raw  {p}"] = lambda p=p: raw_step(bare, p)
        cases[f"bare {p}"] = lambda p=p: bare_step(bare, p)
        cases[f"gen  {p}"] = lambda p=p: gen_step(p)
    rates = {k: [] for k in cases}
    for fn in cases.values():
        for _ in range(5):
            fn()
    for _ in range(args.rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            for _ in range(args.steps):
                fn()
            rates[name].append(args.steps * B * T / (time.perf_counter() - t0))
    print(f"LSTM {L}x{H}, batch {B} x {T}, {torch.get_num_threads()} threads; "
          f"median of {args.rounds} rounds of {args.steps} steps")
    med = {k: statistics.median(v) for k, v in rates.items()}
    for k, v in med.items():
        print(f"  {k}  {v / 1000:8.1f}k tokens/s")
    for p in ("fp32", "bf16"):
        print(f"  {p}: gen/bare = {med[f'gen  {p}'] / med[f'bare {p}']:.2f}, "
              f"gen/raw kernels = {med[f'gen  {p}'] / med[f'raw  {p}']:.2f}")


if __name__ == "__main__":
    main()
