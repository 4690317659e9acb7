"""Sample text from a model exported with `gen export RUN --to onnx model.onnx`, using only
onnxruntime and numpy (no torch, no gen).

    python docs/examples/onnx_sample.py model.onnx --seed "ROMEO:" --length 300 --temperature 0.8 --top-k 20

The file carries what sampling needs in its metadata (JSON strings): ``tokens`` (the vocabulary
in id order), ``warmup_ids`` (context the model is primed with before the seed, as `gen sample`
does), ``level`` (char or word) and ``model`` (cell, layers, hidden size). The graph takes
``input_ids`` (batch x time) and the state ``h0`` (and ``c0`` for an LSTM) and returns ``logits``
and the new state: the seed goes in as one call, then one token per call with the state fed back.
With ``--top-k 1`` the output is the most likely continuation, the same text as
`gen sample --top-k 1` prints for the same seed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np
import onnxruntime as ort

WORD = re.compile(r"[^\S\n]*(?:\w+|[^\w\s])|\n|[^\S\n]+")  # the word level's split (gen.tokenize.word)


def load(path: str):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    meta = {k: json.loads(v) for k, v in session.get_modelmeta().custom_metadata_map.items()}
    return session, meta


def encode(text: str, meta: dict) -> list[int]:
    stoi = {t: i for i, t in enumerate(meta["tokens"])}
    pieces = list(text) if meta["level"] == "char" else WORD.findall(text)
    unk = stoi.get("<unk>")
    missing = [p for p in pieces if p not in stoi and unk is None]
    if missing:
        sys.exit(f"error: the seed has tokens the model never saw: {sorted(set(missing))!r}")
    return [stoi.get(p, unk) for p in pieces]


def start_ids(meta: dict, seed: str) -> list[int]:
    """Warm-up ids, then the seed; no seed and no warm-up: the state after a newline."""
    ids = list(meta["warmup_ids"])
    if seed:
        return ids + encode(seed, meta)
    if not ids:
        ids = [meta["tokens"].index("\n") if "\n" in meta["tokens"] else 0]
    return ids


class Model:
    """The ONNX graph with its state: ``feed(ids)`` runs tokens and returns the last logits."""

    def __init__(self, session, meta: dict):
        self.session, self.meta = session, meta
        cfg = meta["model"]
        self.lstm = cfg["cell"] == "lstm"
        self.h = np.zeros((cfg["layers"], 1, cfg["hidden"]), np.float32)
        self.c = np.zeros_like(self.h) if self.lstm else None

    def feed(self, ids: list[int]) -> np.ndarray:
        inputs = {"input_ids": np.asarray([ids], np.int64), "h0": self.h}
        if self.lstm:
            inputs["c0"] = self.c
            logits, self.h, self.c = self.session.run(None, inputs)
        else:
            logits, self.h = self.session.run(None, inputs)
        return logits[0, -1].astype(np.float64)


def pick(logits: np.ndarray, temperature: float, top_k: int | None, rng) -> int:
    if top_k == 1:
        return int(np.argmax(logits))
    logits = logits / temperature
    if top_k is not None and top_k < logits.size:
        kth = np.sort(logits)[-top_k]
        logits = np.where(logits < kth, -np.inf, logits)
    p = np.exp(logits - logits.max())
    return int(rng.choice(logits.size, p=p / p.sum()))


def sample(path: str, seed: str = "", length: int = 500, temperature: float = 1.0,
           top_k: int | None = None, rng_seed: int | None = None):
    """Yield the seed, then one token's text at a time."""
    session, meta = load(path)
    if meta.get("kind", "text") != "text":
        sys.exit("error: this example samples text runs; this file holds a music model")
    tokens = meta["tokens"]
    model = Model(session, meta)
    rng = np.random.default_rng(rng_seed)
    logits = model.feed(start_ids(meta, seed))
    yield seed
    for _ in range(length):
        tok = pick(logits, temperature, top_k, rng)
        yield tokens[tok]
        logits = model.feed([tok])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="the .onnx file written by gen export")
    ap.add_argument("--seed", default="", help="text to continue (\\n for a line break)")
    ap.add_argument("--length", type=int, default=500, help="tokens to generate")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--top-k", type=int, default=None, help="1: always the most likely token")
    ap.add_argument("--rng-seed", type=int, default=None)
    a = ap.parse_args()
    if a.temperature <= 0:
        sys.exit("error: --temperature must be above 0 (for the most likely token, use --top-k 1)")
    seed = a.seed.replace("\\n", "\n")
    text = "".join(sample(a.model, seed, a.length, a.temperature, a.top_k, a.rng_seed))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    main()
