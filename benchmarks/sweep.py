"""Hyper-parameter sweep at a fixed step count (hardware-independent), used to choose defaults.

    python benchmarks/sweep.py --steps 5200 corpora/tinyshakespeare.txt

Each config trains with gen's own Trainer on the same split and reports the best validation
loss. Steps, not seconds, are fixed so a fast machine can rank configs for a slow one; configs
that change CPU speed (batch, window, size) need their step count scaled by measured tokens/s.
"""

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from gen.corpus import load_corpus  # noqa: E402
from gen.data import split_ids  # noqa: E402
from gen.device import pick_device, pick_precision  # noqa: E402
from gen.model import ModelConfig, RNNLM  # noqa: E402
from gen.tokenize import Vocab  # noqa: E402
from gen.trainer import TrainConfig, Trainer  # noqa: E402


def run(text_ids, vocab, steps, model_kw, train_kw, device):
    cfg = TrainConfig(steps=steps, eval_every=10**9, **train_kw)
    cfg.precision = pick_precision(cfg.precision, device)
    train_ids, val_ids = split_ids(text_ids, cfg.val_frac)
    torch.manual_seed(cfg.rng_seed)
    model = RNNLM(ModelConfig(vocab_size=len(vocab), **model_kw)).to(device)
    with tempfile.TemporaryDirectory() as d:
        t = Trainer(model, train_ids, val_ids, cfg, Path(d), {}, device)
        t0 = time.perf_counter()
        st = t.fit()
    return st.best_val, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--steps", type=int, default=5200)
    ap.add_argument("--grid", default="[]", help="JSON list of [model_kw, train_kw, steps?]")
    args = ap.parse_args()
    device = pick_device("auto")
    c = load_corpus(args.corpus)
    vocab = Vocab.build(c.tokens, c.level)
    ids = torch.tensor(vocab.encode(c.tokens))
    grid = json.loads(args.grid)
    for item in grid:
        model_kw, train_kw = item[0], item[1]
        steps = item[2] if len(item) > 2 else args.steps
        val, secs = run(ids, vocab, steps, model_kw, train_kw, device)
        print(json.dumps({"model": model_kw, "train": train_kw, "steps": steps,
                          "best_val": round(val, 4), "secs": round(secs, 1)}), flush=True)


if __name__ == "__main__":
    main()
