"""Where a one-minute `gen train` spends its minute, outside the training steps.

    python benchmarks/first_minute.py [--corpus corpora/tinyshakespeare.txt] [--minutes 1]
        [--phases-only] [--run-only] [--wrap "flock /work/cpu.lock"]

Two parts, each in a fresh process (a user's command starts cold):
1. phases: the start-up pieces timed one after another in one process, as `gen train` meets
   them: Python + the CLI (typer), torch, gen's training modules, the corpus (from the token
   cache), the model, the AdamW construction and its first step (which imports torch._dynamo),
   one training step, one evaluation of the validation split, one write of last.pt.
2. the run: `gen train CORPUS --minutes M` timed from outside (wall time from the command's
   start to its exit) against what gen recorded in meta.json ("timings"): seconds before the
   first step, in training steps, in evaluations, in checkpoint writes, after the last step.
"""

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PHASES = r"""
import json, sys, tempfile, time
from pathlib import Path
t = [("python start", time.perf_counter())]
def mark(name):
    t.append((name, time.perf_counter()))
import gen.cli; mark("import gen.cli (typer)")
import torch; mark("import torch")
import gen.trainer, gen.commands.train, gen.prepare, gen.model; mark("import gen's training modules")
from gen.prepare import prepare
corpus = prepare(sys.argv[1], "auto", None, "utf-8", 10000); mark("corpus (token cache)")
from gen.data import split_ids
from gen import tokens_cache as tc
ids = torch.as_tensor(tc.remap(corpus.entry, corpus.vocab.tokens, corpus.vocab.unk).ids)
train_ids, val_ids = split_ids(ids, 0.1)
from gen.budget import choose
choice = choose(corpus.kind, float(sys.argv[2]))
from gen.model import ModelConfig, RNNLM
from gen.trainer import TrainConfig, Trainer
model = RNNLM(ModelConfig(vocab_size=len(corpus.vocab), **{**choice.model, "dropout": 0.0})); mark("model")
cfg = TrainConfig(steps=10, precision="bf16", **{k: v for k, v in choice.train.items()
                                                  if k in TrainConfig.__dataclass_fields__})
d = Path(tempfile.mkdtemp())
tr = Trainer(model, train_ids, val_ids, cfg, d, {}, torch.device("cpu")); mark("AdamW construction (Trainer)")
x, y, _ = tr.windows.window(0)
tr.train_step(x, y); mark("first step (imports torch._dynamo)")
for i in range(1, 4):
    x, y, _ = tr.windows.window(i); tr.train_step(x, y)
mark("3 more training steps")
tr.evaluate(); mark("one evaluation (the validation split) + saves")
tr.save_last(); mark("one write of last.pt + meta.json")
rows = [(n, b - a) for (_, a), (n, b) in zip(t, t[1:])]
print(json.dumps(rows))
"""


def phases(corpus: str, minutes: float, wrap: list[str]) -> None:
    t0 = time.perf_counter()
    out = subprocess.run(wrap + [sys.executable, "-c", PHASES, corpus, str(minutes)], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    total = time.perf_counter() - t0
    print(f"phases, one fresh process ({total:.2f}s from spawn to exit):")
    for name, secs in json.loads(out.splitlines()[-1]):
        print(f"  {name:<48} {secs:6.2f}s")


def run(corpus: str, minutes: float, wrap: list[str], extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "gen", "train", corpus, "--minutes", f"{minutes:g}",
               "-o", f"{d}/run", "-q", *extra]
        t0 = time.perf_counter()
        subprocess.run(wrap + cmd, cwd=ROOT, check=True)
        wall = time.perf_counter() - t0
        meta = json.loads(Path(f"{d}/run/meta.json").read_text())
    tm = meta.get("timings", {})
    s = meta["summary"]
    budget = minutes * 60
    print(f"`gen train {corpus} --minutes {minutes:g}`: {wall:.1f}s wall from spawn to exit "
          f"(budget {budget:.0f}s), {s['step']} steps")
    if not tm:
        print("  (this gen records no timings in meta.json)")
        return
    rows = [("before the first step (start-up, corpus, model)", tm["startup_s"]),
            (f"training steps ({s['step']})", tm["steps_s"]),
            (f"evaluations during training ({tm['evals'] - 1})", tm["eval_s"] - tm["final_eval_s"]),
            ("final evaluation + its saves", tm["final_eval_s"]),
            ("after the trainer (summary, exit)", max(0.0, wall - tm["startup_s"] - tm["steps_s"]
                                                      - tm["eval_s"] - tm.get("save_s", 0.0)))]
    if tm.get("save_s"):
        rows.insert(4, ("other last.pt writes", tm["save_s"]))
    for name, secs in rows:
        print(f"  {name:<52} {secs:6.2f}s  {100 * secs / wall:5.1f}%")
    outside = wall - tm["steps_s"]
    print(f"  outside training steps: {outside:.1f}s = {100 * outside / wall:.1f}% of the wall time; "
          f"{'within' if wall <= budget + 1 else 'OVER'} the budget by {budget - wall:+.1f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="corpora/tinyshakespeare.txt")
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--phases-only", action="store_true")
    ap.add_argument("--run-only", action="store_true")
    ap.add_argument("--wrap", default="", help='prefix for each timed process, e.g. "flock /work/cpu.lock"')
    ap.add_argument("extra", nargs="*", help="more `gen train` options (after --)")
    args = ap.parse_args()
    wrap = shlex.split(args.wrap)
    if not args.run_only:
        phases(args.corpus, args.minutes, wrap)
    if not args.phases_only:
        run(args.corpus, args.minutes, wrap, args.extra)


if __name__ == "__main__":
    main()
