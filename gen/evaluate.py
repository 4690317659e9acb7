"""Average next-token loss of a model over a token sequence, with the hidden state carried.

Used by the trainer on the validation split and by `gen eval` on any file, so both report the
same number for the same text.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import torch
import torch.nn.functional as F

from gen.data import eval_streams
from gen.model import RNNLM, detach_hidden


def autocast(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if precision == "fp16":  # CUDA GPUs without bf16; the trainer scales the loss
        return torch.autocast(device.type, dtype=torch.float16)
    return nullcontext()


@torch.no_grad()
def mean_loss(model: RNNLM, ids: torch.Tensor, precision: str = "fp32",
              seq_len: int = 256) -> tuple[float, int]:
    """(nats per token, tokens scored)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    data = eval_streams(ids).to(device)
    total, count = 0.0, 0
    # The streams leave out the last few targets; score them as one more stream so every
    # target in ``ids`` counts exactly once.
    tail = ids[(data.size(0) - 1) * data.size(1):].view(-1, 1).to(device)
    try:
        for part in (data, tail):
            if part.size(0) < 2:
                continue
            t, c = _score(model, part, precision, seq_len, device)
            total, count = total + t, count + c
    finally:
        model.train(was_training)
    return (total / count if count else float("nan")), count


def _score(model, data, precision, seq_len, device) -> tuple[float, int]:
    total, count, hidden = 0.0, 0, None
    for i in range(0, data.size(0) - 1, seq_len):
        x = data[i: i + seq_len]
        y = data[i + 1: i + 1 + seq_len]
        x = x[: y.size(0)]
        with autocast(precision, device):
            logits, hidden = model(x, hidden)
        hidden = detach_hidden(hidden)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1),
                               reduction="sum")
        total += loss.item()
        count += y.numel()
    return total, count


@torch.no_grad()
def windowed_loss(model: RNNLM, ids: torch.Tensor, context: int, batch: int = 64) -> tuple[float, int]:
    """(nats per token, tokens scored) with at most ``context`` tokens of context per token.

    The targets ids[1:] are cut into consecutive windows of ``context`` targets; a window's
    inputs are the ``context`` tokens just before its targets, run from a zero state. So the
    j-th target of a window sees j tokens (1..context), and every token after the first is
    scored exactly once: nanoGPT's way of scoring a model with a fixed block size."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    n = len(ids) - 1
    full = n // context
    total = 0.0
    try:
        # Window k spans ids[k*context : (k+1)*context + 1]: inputs then targets shifted by one.
        starts = torch.arange(full) * context
        for i in range(0, full, batch):
            rows = starts[i: i + batch, None] + torch.arange(context + 1)
            total += _window_sum(model, ids[rows].t().to(device))
        if n % context:
            total += _window_sum(model, ids[full * context:].view(-1, 1).to(device))
    finally:
        model.train(was_training)
    return (total / n if n > 0 else float("nan")), max(n, 0)


def _window_sum(model: RNNLM, windows: torch.Tensor) -> float:
    logits, _ = model(windows[:-1])  # hidden=None: every window from a zero state
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), windows[1:].reshape(-1),
                           reduction="sum").item()


def bits(nats: float) -> float:
    return nats / math.log(2)
