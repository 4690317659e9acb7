"""How fast the Python API starts: `import gen`, and loading a model to sample one token.

    python benchmarks/api_speed.py [--runs 7] [--model shakespeare]

Each figure is the median over fresh Python processes (nothing cached in the interpreter):
  python -c "import gen"     the whole process, start to exit (interpreter start included)
  import gen                 the import alone, timed inside the process
  import torch               the import alone, timed inside the process (what loading must pay)
  load + sample(length=1)    gen.load(MODEL).sample(length=1), timed inside the process, torch's
                             import included; and that minus import torch (the goal: <= 0.3 s)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IMPORT_GEN = "import time; t=time.perf_counter(); import gen; print(time.perf_counter()-t)"
IMPORT_TORCH = "import time; t=time.perf_counter(); import torch; print(time.perf_counter()-t)"
LOAD_SAMPLE = ("import time; t=time.perf_counter(); import gen; "
               "gen.load({model!r}).sample(length=1, rng_seed=1); print(time.perf_counter()-t)")


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                         text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def process(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=_env(), check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--model", default="shakespeare")
    args = ap.parse_args()
    rows = {"process": [], "gen": [], "torch": [], "load": []}
    for _ in range(args.runs):  # interleaved, so machine noise hits every figure alike
        rows["process"].append(process("import gen"))
        rows["gen"].append(timed(IMPORT_GEN))
        rows["torch"].append(timed(IMPORT_TORCH))
        rows["load"].append(timed(LOAD_SAMPLE.format(model=args.model)))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"medians of {args.runs} fresh processes each")
    print(f"  python -c 'import gen' (whole process) {med['process']:.3f} s   (goal <= 0.150)")
    print(f"  import gen (in process)                {med['gen'] * 1000:.1f} ms")
    print(f"  import torch (in process)              {med['torch']:.3f} s")
    print(f"  load + sample(length=1), torch incl.   {med['load']:.3f} s")
    print(f"  ... minus import torch                 {med['load'] - med['torch']:.3f} s   (goal <= 0.300)")


if __name__ == "__main__":
    main()
