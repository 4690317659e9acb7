"""The measurements behind gen/budget.py: for a budget, train each candidate shape with the real
command (`gen train CORPUS --minutes M OPTIONS`) and score it with `gen eval` on the last 10%.

    python benchmarks/budget_sweep.py --minutes 1 [--only NAME ...] [--seed 1337] \
        [--wrap "flock /work/cpu.lock"] [--log results.jsonl]
    python benchmarks/budget_sweep.py --minutes 1 --budget-choice   # gen's own choice, no options

Each run is a separate process timed from its start (the user's minute is wall time from the
command's start), so start-up, corpus preparation, evaluation and checkpoint writes count as they
do for a user. ``--wrap`` prefixes each timed training (one run per lock hold); the scoring with
`gen eval` is not timed (it runs in the same hold, after the training). One JSON line per run goes to stdout and ``--log``:
candidate, command, wall seconds, steps, tokens/s, in-training validation, `gen eval` result.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> options, per budget in minutes. The text candidates trade capacity (layers x hidden)
# against tokens seen in the budget: on 2 cores in bf16 a 2x384 step costs about 2.5 times a
# 2x256 step and 4-5 times a 2x128 step (benchmarks/train_speed.py), so in one minute a small
# model sees several times the text. Smaller models take a higher learning rate.
TEXT = {
    1: {
        "2x384": "--layers 2 --hidden 384 --embed-dim 256",
        "2x384-lr6": "--layers 2 --hidden 384 --embed-dim 256 --lr 6e-3",
        "2x384-lr6-B128T16": "--layers 2 --hidden 384 --embed-dim 256 --lr 6e-3 --batch-size 128 --seq-len 16",
        "2x256": "--layers 2 --hidden 256 --embed-dim 256 --lr 4e-3",
        "2x256-lr6": "--layers 2 --hidden 256 --embed-dim 256 --lr 6e-3",
        "2x256-lr10": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2",
        "2x256-B64T32": "--layers 2 --hidden 256 --embed-dim 256 --lr 5e-3 --batch-size 64 --seq-len 32",
        "2x256-lr15": "--layers 2 --hidden 256 --embed-dim 256 --lr 1.5e-2",
        "2x256-lr10-b99": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --beta2 0.99",
        "2x256-lr10-const": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --schedule constant",
        "2x256-lr8-B128T16": "--layers 2 --hidden 256 --embed-dim 256 --lr 8e-3 --batch-size 128 --seq-len 16",
        "2x256-lr10-B128T16": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 128 --seq-len 16",
        "2x256-lr15-B128T16": "--layers 2 --hidden 256 --embed-dim 256 --lr 1.5e-2 --batch-size 128 --seq-len 16",
        "2x256-lr10-B64T32": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32",
        "2x256-lr10-avg995": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --average 0.995",
        "2x320-lr8": "--layers 2 --hidden 320 --embed-dim 256 --lr 8e-3",
        "2x256-lr15-B64T32": "--layers 2 --hidden 256 --embed-dim 256 --lr 1.5e-2 --batch-size 64 --seq-len 32",
        "gru-2x320-lr10-B64T32": "--cell gru --layers 2 --hidden 320 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32",
        "2x256-lr12-B128T16-e128": "--layers 2 --hidden 256 --embed-dim 128 --lr 1.2e-2 --batch-size 128 --seq-len 16",
        "2x320-lr8-B128T16": "--layers 2 --hidden 320 --embed-dim 256 --lr 8e-3 --batch-size 128 --seq-len 16",
        "B64T32-wd0": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32 --weight-decay 0",
        "B64T32-wd01": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32 --weight-decay 0.1",
        "B64T32-linear": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32 --schedule linear",
        "B64T32-linear-wd06": "--layers 2 --hidden 256 --embed-dim 256 --lr 1e-2 --batch-size 64 --seq-len 32 --schedule linear --weight-decay 0.6",
        "2x192": "--layers 2 --hidden 192 --embed-dim 128 --lr 5e-3",
        "2x128": "--layers 2 --hidden 128 --embed-dim 128 --lr 6e-3",
        "1x512": "--layers 1 --hidden 512 --embed-dim 256 --lr 4e-3",
        "2x320": "--layers 2 --hidden 320 --embed-dim 256 --lr 4e-3",
    },
    2: {
        "2x384": "--layers 2 --hidden 384 --embed-dim 256",
        "2x384-lr6": "--layers 2 --hidden 384 --embed-dim 256 --lr 6e-3",
        "2x256-lr6": "--layers 2 --hidden 256 --embed-dim 256 --lr 6e-3",
    },
    5: {
        "2x384": "--layers 2 --hidden 384 --embed-dim 256",
    },
    15: {
        "2x384": "--layers 2 --hidden 384 --embed-dim 256",
        "2x384-d02": "--layers 2 --hidden 384 --embed-dim 256 --dropout 0.2",
        "2x512-d03": "--layers 2 --hidden 512 --embed-dim 256 --dropout 0.3",
    },
}
MUSIC = {
    2: {"2x256": "--layers 2 --hidden 256"},
    8: {"2x256": "--layers 2 --hidden 256"},
}


def last_metrics(run: Path) -> dict:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    return rows[-1] if rows else {}


def one(corpus: str, minutes: float, name: str, options: str, seed: int, wrap: str,
        val: Path | None, workdir: Path) -> dict:
    run = workdir / f"{Path(corpus).stem}-{minutes:g}m-{name}-s{seed}"
    cmd = [sys.executable, "-m", "gen", "train", corpus, "--minutes", f"{minutes:g}",
           "--rng-seed", str(seed), "-o", str(run), "-q", *shlex.split(options)]
    ev = [sys.executable, "-m", "gen", "eval", str(val), "-c", str(run), "--json"]
    # One hold of the lock: the timed training, then its scoring (not timed; under the lock only
    # so it does not wait in the queue again). The wall time is the training command's own,
    # from its spawn to its exit, taken by the shell around it.
    q = " ".join(shlex.quote(c) for c in cmd)
    script = f"s=$(date +%s.%N); {q} || exit 1; e=$(date +%s.%N); echo \"$s $e\" > {run}.wall"
    if val is not None:
        script += f"; {' '.join(shlex.quote(c) for c in ev)} > {run}.eval"
    subprocess.run(shlex.split(wrap) + ["sh", "-c", script], check=True, cwd=ROOT)
    s, e = map(float, Path(f"{run}.wall").read_text().split())
    wall = e - s
    meta = json.loads((run / "meta.json").read_text())
    # Music: the last 10% of an ABC file is no whole tune; its figures come from
    # benchmarks/abc_figures.py, the loss from the run's own validation split.
    out = Path(f"{run}.eval").read_text() if val is not None else "{}"
    row = last_metrics(run)
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "corpus": corpus,
            "minutes": minutes, "candidate": name, "seed": seed,
            "command": "gen train " + " ".join(shlex.quote(c) for c in cmd[4:]),
            "wall_s": round(wall, 1), "steps": meta["summary"]["step"],
            "train_s": round(meta["summary"]["elapsed"], 1),
            "tokens_per_s": round(row.get("tokens_per_sec", 0)),
            "val_in_training": row.get("val_loss"),
            "choice": (meta["train"].get("budget_choice") or {}).get("reason"),
            "timings": meta.get("timings"),
            "gen_eval": round(json.loads(out).get("nats_per_token", math.nan), 4),
            "run": str(run)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="corpora/tinyshakespeare.txt")
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--only", nargs="*", help="candidate names (default: all for the budget)")
    ap.add_argument("--budget-choice", action="store_true",
                    help="one run with no shape options: what gen chooses for the budget")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--wrap", default="", help='prefix for each timed run, e.g. "flock /work/cpu.lock"')
    ap.add_argument("--workdir", default=None, help="where run folders go (default: a temp dir)")
    ap.add_argument("--log", default=None, help="also append each JSON line to this file")
    args = ap.parse_args()
    music = not args.corpus.endswith(".txt")
    table = (MUSIC if music else TEXT).get(int(args.minutes), {}) if not args.budget_choice else {}
    cands = {"budget-choice": ""} if args.budget_choice else \
        {k: v for k, v in table.items() if not args.only or k in args.only}
    if not cands:
        sys.exit(f"no candidates for {args.minutes:g} minutes; see TEXT / MUSIC in {__file__}")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="budget-sweep-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # The last 10% of the corpus, as the README scores every text figure.
    val = None
    if not music:
        text = Path(ROOT / args.corpus).read_text()
        val = workdir / f"val-{Path(args.corpus).stem}.txt"
        val.write_text(text[len(text) - len(text) // 10:])
    for name, options in cands.items():
        result = one(args.corpus, args.minutes, name, options, args.seed, args.wrap, val, workdir)
        line = json.dumps(result)
        print(line, flush=True)
        if args.log:
            with open(args.log, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
