"""Figures for `gen export --to html` (issue 19): speed in headless chromium, file size, and what
the stored precision costs.

    python benchmarks/html_speed.py RUN_DIR [--chars 3000] [--json]

Exports RUN_DIR's page with --precision auto (which measures the validation loss of fp32, float16
and int8 weights on the run's validation split and keeps the smallest within 0.01 nats), opens it
from file:// in Debian's chromium (--headless --no-sandbox --disable-gpu
--disable-background-networking) and prints:
- characters per second of the page's own sampler (temperature 1, no top-k), timed inside the
  page with performance.now(): the time for warm-up + N tokens minus the time for the warm-up;
- the file's size in bytes, and the validation losses behind the precision chosen;
- the largest difference of the page's next-token probabilities over a fixed passage from torch's
  on the dequantised weights and from torch's fp32 model;
- how many of 200 greedy characters the page shares with `gen sample --top-k 1` (fp32).
Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSAGE = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak."
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--chars", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    import numpy as np
    import torch
    from playwright.sync_api import sync_playwright

    from gen import checkpoint as ckpt
    from gen.export.html import export_html
    from gen.export.quantize import dequantized_model
    from gen.sample import generate, text_seed_ids

    loaded = ckpt.load_model(ckpt.resolve_run(a.run))
    out = Path(tempfile.mkdtemp()) / "page.html"
    said = []
    precision = export_html(loaded, out, "auto", say=said.append)
    spec = json.loads(out.read_text().split('type="application/json">', 1)[1].split("</script>", 1)[0])
    ids = loaded.vocab.encode(list(PASSAGE))

    def torch_probs(model):
        with torch.no_grad():
            logits, _ = model(torch.tensor(ids).view(-1, 1))
        return logits[:, 0].double().softmax(-1).numpy()

    seed = "ROMEO:\n"
    seed_ids, _ = text_seed_ids(loaded, seed)
    gen_ids = torch.cat(list(generate(loaded.model, seed_ids, 200, 1, 1.0, 1, None, 0,
                                      precision="fp32"))).tolist()
    want = seed + "".join(loaded.vocab.tokens[i] for i in gen_ids)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=ARGS)
        page = browser.new_page()
        page.goto(out.as_uri())
        page.wait_for_function("window.genModel !== undefined")
        timing = """([n]) => { const t0 = performance.now();
            window.genModel.sampleText('', n, 1.0, null, 1); return performance.now() - t0; }"""
        page.evaluate(timing, [500])  # let the JIT compile the stepper
        speeds = []
        for _ in range(a.rounds):
            base = page.evaluate(timing, [0])
            full = page.evaluate(timing, [a.chars])
            speeds.append(a.chars / ((full - base) / 1000))
        got = np.array(page.evaluate("ids => window.genModel.probsAlong(ids)", ids))
        greedy = page.evaluate("([s, n]) => window.genModel.greedy(s, n)", [seed, 200])
        agent = page.evaluate("navigator.userAgent")
        browser.close()
    same = next((i for i, (x, y) in enumerate(zip(greedy, want)) if x != y), min(len(greedy), len(want)))
    cfg = loaded.meta["model"]
    result = {
        "run": str(loaded.run), "model": f"{cfg['cell']} {cfg['layers']}x{cfg['hidden']}",
        "precision": precision, "losses": spec.get("losses"), "file_bytes": out.stat().st_size,
        "chars_per_s": [round(s) for s in speeds], "browser": agent,
        "max_prob_diff_vs_dequantised": float(np.abs(got - torch_probs(dequantized_model(loaded.model, precision))).max()),
        "max_prob_diff_vs_fp32": float(np.abs(got - torch_probs(loaded.model)).max()),
        "greedy_chars_equal_to_gen_sample": same - len(seed), "greedy_chars": 200,
    }
    if a.json:
        print(json.dumps(result))
        return
    for line in said:
        print(line)
    for k, v in result.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
