"""Figures for issue 19: do the exported files' greedy continuations equal `gen sample --top-k 1`?

    python benchmarks/export_greedy.py RUN_DIR [--chars 200]

Text runs: 200 characters after the seed "ROMEO:\\n" from onnxruntime (docs/examples/onnx_sample.py
with --top-k 1) and from the page (`window.genModel.greedy`, float32 page and the page
--precision auto chooses) against `gen sample --top-k 1 --precision fp32`. ABC runs: one whole
tune from onnxruntime driven by gen's own tune rule, constrained and --free, against
`gen sample --top-k 1 [--free]`; the page's tune against `gen sample --top-k 1 --free --key C`;
and whether the grammar's masks change the greedy tune at all (constrained against --free).
Prints one line per comparison. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def gen_cli(*args) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "gen", *map(str, args)], env=env, capture_output=True,
                       text=True, check=True)
    return r.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--chars", type=int, default=200)
    a = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from export_fixtures import greedy_tune_text, load
    from gen.export.html import export_html
    from gen.export.onnx import export_onnx
    from test_export_html import gen_tune_tokens
    from test_export_onnx import OnnxStepper

    loaded = load(Path(a.run))
    tmp = Path(tempfile.mkdtemp())
    onnx_file = tmp / "m.onnx"
    export_onnx(loaded, onnx_file)
    pages = {p: tmp / f"{p}.html" for p in ("float32", "auto")}
    chosen = {p: export_html(loaded, f, p) for p, f in pages.items()}
    browser_ctx = sync_playwright().start()
    browser = browser_ctx.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                          args=ARGS)

    def page_eval(path, expr, arg=None):
        page = browser.new_page()
        page.goto(path.as_uri())
        page.wait_for_function("window.genModel !== undefined")
        out = page.evaluate(expr, arg)
        page.close()
        return out

    def report(what, got, want):
        same = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), None)
        ok = same is None and len(got) == len(want)
        print(f"{what}: {'equal' if ok else f'differs from position {same}'}"
              f" ({len(want)} {'chars' if isinstance(want, str) else 'tokens'})")

    if loaded.meta["corpus"]["kind"] == "text":
        seed = "ROMEO:\n"
        want = gen_cli("sample", "-c", a.run, "--seed", seed, "--length", a.chars, "--top-k", 1,
                       "--rng-seed", 1, "--precision", "fp32", "-q")
        env = {**os.environ}
        example = subprocess.run([sys.executable, str(ROOT / "docs/examples/onnx_sample.py"),
                                  str(onnx_file), "--seed", seed, "--length", str(a.chars),
                                  "--top-k", "1"], env=env, capture_output=True, text=True, check=True)
        report("onnx example script vs gen sample --top-k 1", example.stdout, want)
        for p, f in pages.items():
            text = page_eval(f, "([s, n]) => window.genModel.greedy(s, n)", [seed, a.chars])
            report(f"html page ({chosen[p]}) vs gen sample --top-k 1", text + "\n", want)
    else:
        from gen.music.abc.sample import is_numbered

        texts = {}
        for free in (False, True):
            m = OnnxStepper(onnx_file)
            got = greedy_tune_text(loaded, m.feed, 1, free)
            want = gen_cli("sample", "-c", a.run, "--top-k", 1, "--rng-seed", 1, "--precision",
                           "fp32", "-q", *(["--free"] if free else []))
            texts[free] = want
            report(f"onnx tune ({'free' if free else 'constrained'}) vs gen sample --top-k 1", got, want)
        report("gen sample --top-k 1: constrained vs --free", texts[False], texts[True])
        want = gen_tune_tokens(gen_cli("sample", "-c", a.run, "--top-k", 1, "--free", "--key", "C",
                                       "--rng-seed", 1, "--precision", "fp32", "-q"))
        for p, f in pages.items():
            tune = page_eval(f, "window.genModel.greedyTune()")
            ours = ["|" if is_numbered(t) else t for t in tune["tokens"][1:-1]]
            report(f"html page ({chosen[p]}) tune vs gen sample --top-k 1 --free --key C", ours, want)
    browser.close()
    browser_ctx.stop()


if __name__ == "__main__":
    main()
