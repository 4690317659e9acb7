"""Vanishing-gradient figures (issue 12): how far ||dL_t/dh_(t-k)|| falls over 10, 100 and 300
steps for runs trained on the same corpus with different cells, plus the top feature units.

    gen train corpora/tinyshakespeare.txt --minutes 2 --cell rnn  -o /work/runs/grad-rnn -q
    gen train corpora/tinyshakespeare.txt --minutes 2 --cell gru  -o /work/runs/grad-gru -q
    gen train corpora/tinyshakespeare.txt --minutes 2 --cell lstm -o /work/runs/grad-lstm -q
    python benchmarks/gradient_figures.py /work/runs/grad-{rnn,gru,lstm} [--max-k 300]
        [--samples 128] [--features RUN] [--png curves.png] [--json]

For each run: the gradient norm at k=0 and the fall to k=10, 100, 300 in decades
(log10 of norm(0)/norm(k); 2.0 = a hundred times smaller), measured on the run's validation text
from its warm-up state, averaged (geometric and plain mean) over --samples steps t, 16 tokens
apart. For LSTMs the cell state c is measured
too (the h row is what the other cells are compared on). Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen import checkpoint as ckpt  # noqa: E402
from gen.probe import default_text, feature_units, gradient_decay  # noqa: E402

MARKS = (10, 100, 300)


def decades(curve, k):
    g0, gk = curve[0][1], curve[k][1] if k < len(curve) else math.nan
    return math.log10(g0 / gk) if gk > 0 else math.inf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--max-k", type=int, default=300)
    ap.add_argument("--samples", type=int, default=128)
    ap.add_argument("--features", type=Path, help="also list the top feature units of this run")
    ap.add_argument("--png", type=Path, help="draw the curves (log scale) to this picture")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows, curves, units = [], {}, []
    for run in args.runs:
        loaded = ckpt.load_model(ckpt.resolve_run(run))
        cell = loaded.model.cfg.cell
        text = default_text(loaded, chars=max(4000, 10 * (args.max_k + 16 * args.samples)))
        for state, average in [("h", "mean"), ("h", "geometric")] + \
                ([("c", "mean"), ("c", "geometric")] if cell == "lstm" else []):
            t0 = time.perf_counter()
            curve = gradient_decay(loaded, text, max_k=args.max_k, samples=args.samples,
                                   state=state, average=average)
            s = loaded.meta.get("summary", {})
            row = {"run": str(run), "cell": cell, "state": state, "average": average,
                   "norm_k0": curve[0][1],
                   "steps": s.get("step"), "best_val_bits": (s.get("best_val") or math.nan) / math.log(2),
                   "seconds": round(time.perf_counter() - t0, 1)}
            row.update({f"decades_{k}": decades(curve, k) for k in MARKS if k <= args.max_k})
            rows.append(row)
            curves[f"{run.name} {state} {average}"] = curve
    if args.features:
        units = feature_units(ckpt.load_model(ckpt.resolve_run(args.features)), top=8)
    if args.json:
        print(json.dumps({"rows": rows, "curves": curves, "feature_units": units}))
    else:
        head = "| run | cell | state | mean over t | steps | val bits/char | norm at k=0 | " + \
            " | ".join(f"fall over {k} (decades)" for k in MARKS if k <= args.max_k) + " |"
        print(head)
        print("|" + "---|" * (head.count("|") - 1))
        for r in rows:
            print(f"| {Path(r['run']).name} | {r['cell']} | {r['state']} | {r['average']} | {r['steps']} | "
                  f"{r['best_val_bits']:.3f} | {r['norm_k0']:.3g} | " +
                  " | ".join(f"{r[f'decades_{k}']:.1f}" for k in MARKS if k <= args.max_k) + " |")
    if args.features and not args.json:
        print(f"\ntop feature units of {args.features} (validation text):")
        print("| unit | layer | index | feature | correlation |\n|---|---|---|---|---|")
        for u in units:
            print(f"| {u['unit']} | {u['layer']} | {u['index']} | {u['feature']} | {u['corr']:+.3f} |")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 5))
        for name, curve in curves.items():
            if "geometric" not in name:
                continue
            ax.semilogy([k for k, _ in curve], [max(g, 1e-300) for _, g in curve], label=name)
        ax.set_xlabel("k (steps back)")
        ax.set_ylabel("geometric mean over t of ||dL_t / dh_(t-k)||")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.savefig(args.png, dpi=110, bbox_inches="tight")
        print(f"wrote {args.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
