"""Figures for issue 20: what a SIGTERM, a kill -9 and a checkpoint write cost a training run.

    python benchmarks/fault_figures.py sigterm --tries 20       # the saved step vs the step sent at
    python benchmarks/fault_figures.py kill9 --tries 3          # what a kill -9 loses, defaults
    python benchmarks/fault_figures.py save-cost                # one last.pt write, default model

``sigterm``: a tiny model trains in a child process that records, after each step, how many
steps it has finished (8 bytes in a file, read by this process). At a random step between 30
and 600 this process reads that count and sends SIGTERM at once; the child must save exactly the
step it was at: the saved step minus the count read is 0 (the signal came between a step's end
and the check that follows it) or 1 (it came during the next step, which completes).

``kill9``: `gen train CORPUS` with every default (the 2x384 text model, evaluations every 500
steps, --save-every 1) is killed with SIGKILL at a random moment between 70 and 170 s; what is
lost is the time between the last write of last.pt (its mtime) and the kill.

``save-cost``: seconds for one atomic last.pt write of the default text model (weights, AdamW
state, weight average, hidden state), against the default --save-every interval.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "tinyshakespeare.txt"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}

CHILD = """
import os, sys
from gen.train import Trainer
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
original = Trainer.train_step
def counted(self, x, y):
    value = original(self, x, y)
    os.pwrite(fd, (self.state.step + 1).to_bytes(8, "little"), 0)
    return value
Trainer.train_step = counted
sys.argv = ["gen"] + sys.argv[2:]
from gen.cli import main
main()
"""


def sigterm(tries: int, seed: int) -> None:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="gen-sigterm-"))
    exact = 0
    for i in range(tries):
        run, counter = work / f"run{i}", work / f"steps{i}"
        counter.write_bytes(b"\0" * 8)
        target = rng.randrange(30, 600)
        p = subprocess.Popen([sys.executable, "-c", CHILD, str(counter), "train", str(CORPUS),
                              "-o", str(run), "--layers", "1", "--hidden", "32", "--embed-dim",
                              "16", "--batch-size", "8", "--seq-len", "32", "--steps", "1000000",
                              "--eval-every", "100000", "-q"],
                             env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        fd = os.open(counter, os.O_RDONLY)
        while (sent_at := int.from_bytes(os.pread(fd, 8, 0), "little")) < target:
            if p.poll() is not None:
                raise SystemExit(f"try {i}: training ended early: {p.stderr.read()}")
            time.sleep(0.0005)
        p.send_signal(signal.SIGTERM)
        os.close(fd)
        err = p.communicate(timeout=120)[1]
        sys.path.insert(0, str(ROOT))
        from gen import checkpoint as ckpt

        saved = ckpt.load_tensors(run / "last.pt")["state"]["step"]
        said = int(err.split(" at step ")[1].split(";")[0]) if " at step " in err else None
        ok = p.returncode == 143 and said == saved and saved - sent_at in (0, 1) \
            and err.count("\n") == 1
        exact += ok
        print(json.dumps({"try": i, "sent_at": sent_at, "saved": saved, "said": said,
                          "exit": p.returncode, "lines": err.count("\n"), "ok": ok}), flush=True)
    print(json.dumps({"figure": "sigterm", "tries": tries, "within_one_step": exact}))


def kill9(tries: int, seed: int) -> None:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="gen-kill9-"))
    worst = 0.0
    for i in range(tries):
        run = work / f"run{i}"
        p = subprocess.Popen([sys.executable, "-m", "gen", "train", str(CORPUS), "-o", str(run),
                              "-q"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not (run / "meta.json").exists():
            time.sleep(0.1)
        started = time.time()
        at = rng.uniform(70, 170)
        time.sleep(max(0.0, started + at - time.time()))
        killed = time.time()
        p.send_signal(signal.SIGKILL)
        p.wait()
        last = run / "last.pt"
        lost = killed - last.stat().st_mtime if last.exists() else killed - started
        worst = max(worst, lost)
        from gen import checkpoint as ckpt

        sys.path.insert(0, str(ROOT))
        step = ckpt.load_tensors(last)["state"]["step"] if last.exists() else 0
        print(json.dumps({"try": i, "killed_after_s": round(killed - started, 1),
                          "saved_step": step, "lost_s": round(lost, 1)}), flush=True)
    print(json.dumps({"figure": "kill9", "tries": tries, "worst_lost_s": round(worst, 1)}))


def save_cost(repeats: int) -> None:
    sys.path.insert(0, str(ROOT))
    import torch

    from gen import checkpoint as ckpt
    from gen.averaging import WeightAverage
    from gen.model import ModelConfig, RNNLM
    from gen.train import TrainConfig, _adamw

    torch.set_num_threads(1)
    model = RNNLM(ModelConfig.from_json({"cell": "lstm", "layers": 2, "hidden": 384,
                                         "embed_dim": 256, "dropout": 0.0, "vocab_size": 65}))
    opt = _adamw([{"params": list(model.parameters())}], 3e-3)
    logits, hidden = model(torch.randint(0, 65, (32, 64)))
    logits.sum().backward()
    opt.step()
    payload = {"model": model.state_dict(), "optimizer": opt.state_dict(), "state": {},
               "hidden": [h.detach() for h in hidden], "rng": torch.get_rng_state(),
               "average": WeightAverage(model.parameters(), 0.999).state()}
    folder = Path(tempfile.mkdtemp(prefix="gen-save-", dir=ROOT))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        ckpt.save_tensors(folder / "last.pt", payload)
        times.append(time.perf_counter() - t)
    size = (folder / "last.pt").stat().st_size
    (folder / "last.pt").unlink()
    folder.rmdir()
    interval = TrainConfig().save_every * 60
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"figure": "save-cost", "bytes": size, "median_s": round(median, 3),
                      "max_s": round(max(times), 3), "interval_s": interval,
                      "share_of_training": f"{median / interval:.2%}"}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("figure", choices=["sigterm", "kill9", "save-cost"])
    ap.add_argument("--tries", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.figure == "sigterm":
        sigterm(args.tries, args.seed)
    elif args.figure == "kill9":
        kill9(args.tries, args.seed)
    else:
        save_cost(max(args.tries, 5))


if __name__ == "__main__":
    main()
