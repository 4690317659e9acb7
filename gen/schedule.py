"""Learning-rate schedules as pure functions of training progress.

``progress`` runs from 0 to 1: the share of ``--steps`` done, or of the ``--minutes`` budget spent,
which is how a wall-clock budget gets a complete warm-up-then-decay schedule.
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "linear", "constant", "step")

# char-rnn's step decay: multiply by 0.97 every epoch once 10 epochs are done.
CHAR_RNN_DECAY = 0.97
CHAR_RNN_DECAY_AFTER = 10


def learning_rate(name: str, base_lr: float, progress: float, epoch: float = 0.0,
                  warmup: float = 0.02, min_frac: float = 0.1) -> float:
    progress = min(max(progress, 0.0), 1.0)
    if name == "step":
        return base_lr * CHAR_RNN_DECAY ** max(0, math.floor(epoch) - CHAR_RNN_DECAY_AFTER + 1)
    if warmup > 0 and progress < warmup:
        return base_lr * (progress / warmup * 0.9 + 0.1)
    if name == "constant":
        return base_lr
    t = (progress - warmup) / max(1e-9, 1 - warmup)  # share of the decay done
    if name == "linear":
        # Straight down to zero, the shape some recent work prefers for a fixed budget; on
        # tinyshakespeare in 5 minutes it measured level with the cosine (README "Figures").
        return base_lr * (1 - t)
    if name == "cosine":
        return base_lr * (min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * t)))
    raise ValueError(f"unknown schedule {name!r}")
