"""The models that come with gen: make a trained run into a bundled one, and measure what ships.

    python benchmarks/bundled_models.py prune checkpoints/shakespeare
    python benchmarks/bundled_models.py eval checkpoints/shakespeare

``prune`` keeps only what sampling needs (meta.json, model.safetensors, metrics.jsonl), drops the
resume state (last.pt, with its optimizer: three times the weights) and marks the run as bundled
(meta.json ``"bundled": true``), so that `gen sample` without -c prefers any run of the user's
own. ``eval`` prints the shipped weights' loss on the validation split (the last 10% of the
run's corpus, scored as `gen eval` scores a file), and the size of the run folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen import checkpoint as ckpt  # noqa: E402

KEEP = {ckpt.META, ckpt.MODEL, ckpt.METRICS}


def prune(run: Path) -> None:
    meta = ckpt.read_meta(run)
    if not (run / ckpt.MODEL).exists():
        raise SystemExit(f"{run} has no {ckpt.MODEL}: train it with this gen first")
    meta["bundled"] = True
    ckpt.write_json(run / ckpt.META, meta)
    for f in run.iterdir():
        if f.name not in KEEP:
            f.unlink()
            print(f"removed {f}", file=sys.stderr)


def evaluate(run: Path, val_frac: float) -> None:
    from gen.commands.inspect import score_tokens
    from gen.corpus import load_corpus
    from gen.evaluate import bits

    loaded = ckpt.load_model(run)
    c = loaded.meta["corpus"]
    tokens = load_corpus(c["source"], c["kind"], c["level"], **c.get("options", {})).tokens
    tail = tokens[len(tokens) - int(len(tokens) * val_frac):]
    nats, count, skipped = score_tokens(loaded, tail)
    size = sum(f.stat().st_size for f in run.iterdir())
    print(f"{run}: {nats:.4f} nats = {bits(nats):.4f} bits per {loaded.vocab.level} over the "
          f"last {val_frac:.0%} of {c['source']} ({count:,} tokens, {skipped} skipped); "
          f"folder {size / 1e6:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["prune", "eval"])
    ap.add_argument("run", type=Path)
    ap.add_argument("--val-frac", type=float, default=0.1)
    args = ap.parse_args()
    if args.action == "prune":
        prune(args.run)
    else:
        evaluate(args.run, args.val_frac)


if __name__ == "__main__":
    main()
