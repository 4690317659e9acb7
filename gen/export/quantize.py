"""Weights for the web page: stored as int8 (one scale per row), float16 or float32, and the
validation loss each storage costs against the fp32 model.

The page dequantises every tensor to a Float32Array once and then computes in float32 (with
JavaScript's double accumulation), so a model whose weights are replaced by the dequantised
values and run in fp32 torch is the page's model to float rounding: that is what `measure`
scores and what the tests compare the page's probabilities with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PRECISIONS = ("int8", "float16", "float32")  # smallest first
MAX_COST_NATS = 0.01  # the most validation loss an export may add to the fp32 model's


def quantize(w: np.ndarray, precision: str) -> dict:
    """A tensor as {"dtype", "shape", "data" (bytes), "scale" (float32 bytes, int8 only)}.
    int8 is symmetric per row (the last axis): row * 127 / max|row|, rounded."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    shape = list(w.shape)
    if precision == "float32":
        return {"dtype": "float32", "shape": shape, "data": w.tobytes()}
    if precision == "float16":
        return {"dtype": "float16", "shape": shape, "data": w.astype("<f2").tobytes()}
    rows = w.reshape(-1, shape[-1]) if w.ndim > 1 else w.reshape(1, -1)
    peak = np.abs(rows).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    return {"dtype": "int8", "shape": shape, "data": q.tobytes(), "scale": scale.tobytes()}


def dequantize(t: dict) -> np.ndarray:
    """What the page's decoder computes: float32 values from a quantised tensor."""
    shape = t["shape"]
    if t["dtype"] == "float32":
        return np.frombuffer(t["data"], "<f4").reshape(shape).copy()
    if t["dtype"] == "float16":
        return np.frombuffer(t["data"], "<f2").astype(np.float32).reshape(shape)
    q = np.frombuffer(t["data"], np.int8).astype(np.float32).reshape(-1, shape[-1])
    scale = np.frombuffer(t["scale"], "<f4")
    return (q * scale[:, None]).astype(np.float32).reshape(shape)


def quantized_state(model, precision: str) -> dict:
    """Every parameter of ``model`` quantised: name → tensor dict."""
    return {name: quantize(p.detach().float().cpu().numpy(), precision)
            for name, p in model.state_dict().items()}


def dequantized_model(model, precision: str):
    """A copy of ``model`` whose weights are the page's (dequantised) values."""
    import copy

    import torch

    twin = copy.deepcopy(model).float().eval()
    state = {n: torch.from_numpy(dequantize(t)) for n, t in quantized_state(model, precision).items()}
    twin.load_state_dict(state)
    return twin


def validation_ids(loaded, max_tokens: int = 200_000):
    """The run's validation tokens (the last val_frac of its corpus) as a LongTensor, or None when
    the corpus file is not where the run was trained from."""
    import torch

    from gen.corpus import load_corpus

    corpus = loaded.meta.get("corpus", {})
    source = corpus.get("source")
    if not source or not Path(source).exists():
        return None
    c = load_corpus(source, corpus.get("kind", "text"), corpus.get("level"),
                    **corpus.get("options", {}))
    frac = loaded.meta.get("train", {}).get("val_frac", 0.1)
    tokens = c.tokens[len(c.tokens) - int(len(c.tokens) * frac):][:max_tokens]
    vocab = loaded.vocab
    if vocab.unk is None:
        tokens = [t for t in tokens if t in vocab.stoi]
    if len(tokens) < 2:
        return None
    return torch.tensor(vocab.encode(tokens), dtype=torch.long)


def measure(loaded, ids, precisions=PRECISIONS) -> dict:
    """Validation loss (nats per token) of fp32 and of each stored precision: {"fp32": x, ...}."""
    from gen.evaluate import mean_loss

    out = {"fp32": mean_loss(loaded.model.float(), ids, "fp32")[0]}
    for p in precisions:
        if p != "float32":
            out[p] = mean_loss(dequantized_model(loaded.model, p), ids, "fp32")[0]
    out["float32"] = out["fp32"]
    return out


def choose(losses: dict) -> str:
    """The smallest precision within MAX_COST_NATS of fp32."""
    for p in PRECISIONS:
        if losses[p] - losses["fp32"] <= MAX_COST_NATS:
            return p
    return "float32"
