"""Figures for corpora larger than memory: preparation speed, peak memory, cached start.

    python benchmarks/big_corpus.py [--sizes 10,200] [--gb] [--folder DIR]

For each size (MB) it writes a text of that size (tinyshakespeare repeated, each copy numbered
so no two are alike), then, with an empty token cache:
- first run: `gen train FILE --steps 20 --eval-every 20` under `/usr/bin/time -v` (wall time and
  peak resident memory): preparation, 20 steps and one evaluation, the issue's figure;
- second run: the same command with `--steps 1 --eval-tokens 1000`, timed until gen logs the
  model line, its last word before the first step: how soon training starts from the cache;
- preparation alone in this process (`gen.prepare.prepare`, cold cache): MB/s.
`--gb` adds a 1 GB text (first run only). Figures go to stderr as a table and to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHAKESPEARE = ROOT / "corpora" / "tinyshakespeare.txt"


def make_text(path: Path, mbytes: int) -> None:
    base = SHAKESPEARE.read_bytes()
    want, i = mbytes * 10**6, 0
    with open(path, "wb") as fh:
        while fh.tell() < want:
            fh.write(f"\n== copy {i} ==\n".encode())
            fh.write(base[: want - fh.tell()])
            i += 1


def timed_run(args: list[str], cache: Path) -> dict:
    """Wall time, peak memory, and the seconds until training starts: until gen logs the model
    line, its last word before the first step."""
    env = {**os.environ, "GEN_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "gen", *args]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    start, lines = None, []
    for line in p.stderr:
        lines.append(line)
        if start is None and line.startswith("model "):
            start = time.perf_counter() - t0
    wall = time.perf_counter() - t0
    err = "".join(lines)
    if p.wait() != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{err[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    return {"wall_s": wall, "peak_mb": rss / 1024, "start_s": start}


def prep_speed(path: Path, cache: Path) -> float:
    env = {**os.environ, "GEN_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    code = ("import time,sys; from gen.prepare import prepare; t=time.perf_counter(); "
            "p=prepare(sys.argv[1]); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,200")
    ap.add_argument("--gb", action="store_true", help="also a 1 GB text (first run only)")
    ap.add_argument("--folder", type=Path, default=None, help="where to write the texts")
    a = ap.parse_args()
    folder = a.folder or Path(tempfile.mkdtemp(prefix="gen-big-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",")] + ([1000] if a.gb else [])
    figures = {}
    try:
        for mb in sizes:
            text = folder / f"text{mb}.txt"
            if not text.exists() or text.stat().st_size < mb * 10**6:
                make_text(text, mb)
            cache = folder / f"cache{mb}"
            shutil.rmtree(cache, ignore_errors=True)
            out = folder / f"run{mb}"
            first = timed_run(["train", str(text), "--steps", "20", "--eval-every", "20",
                               "-o", str(out)], cache)
            row = {"first_run_s": first["wall_s"], "first_run_peak_mb": first["peak_mb"],
                   "first_run_start_s": first["start_s"]}
            if mb < 1000:
                again = timed_run(["train", str(text), "--steps", "1", "--eval-tokens", "1000",
                                   "-o", str(folder / f"again{mb}")], cache)
                row["cached_run_s"] = again["wall_s"]
                row["cached_start_s"] = again["start_s"]
                row["cached_run_peak_mb"] = again["peak_mb"]
                shutil.rmtree(cache, ignore_errors=True)
                seconds = prep_speed(text, cache)
                row["prepare_s"] = seconds
                row["prepare_mb_per_s"] = mb / seconds
            figures[f"{mb}MB"] = row
            print(f"{mb:>5} MB: first run {row['first_run_s']:.1f}s peak "
                  f"{row['first_run_peak_mb']:.0f} MB" +
                  (f"; cached run starts training after {row['cached_start_s']:.1f}s; prepare {row['prepare_s']:.1f}s "
                   f"= {row['prepare_mb_per_s']:.0f} MB/s" if "cached_run_s" in row else ""),
                  file=sys.stderr, flush=True)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        if a.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
