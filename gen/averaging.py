"""An exponential moving average of the weights, which evaluation and model.safetensors use.

Late in training, consecutive AdamW steps jitter around a valley floor; the average of the last
stretch of weights sits nearer its middle and usually scores better than any one of them. With
decay d the average spans about 1/(1-d) steps (0.999: the last thousand or so). Early on the
decay is lowered to (1+n)/(10+n), so that the average does not remember the random start.
Training itself keeps stepping the raw weights; only scoring and saving swap the average in.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


class WeightAverage:
    def __init__(self, params, decay: float):
        self.params = list(params)
        self.decay = decay
        self.avg = [p.detach().clone() for p in self.params]
        self.targets = [p.detach() for p in self.params]  # share storage: built once, not per step
        self.updates = 0

    @torch.no_grad()
    def update(self) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        torch._foreach_lerp_(self.avg, self.targets, 1.0 - d)

    @contextmanager
    def applied(self):
        """The model holds the averaged weights inside the block, its own ones again after."""
        with torch.no_grad():
            raw = [p.detach().clone() for p in self.params]
            for p, a in zip(self.params, self.avg):
                p.copy_(a)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, r in zip(self.params, raw):
                    p.copy_(r)

    def state(self) -> dict:
        return {"tensors": [a.clone() for a in self.avg], "updates": self.updates}

    def load(self, state: dict) -> None:
        with torch.no_grad():
            for a, t in zip(self.avg, state["tensors"]):
                a.copy_(t)
        self.updates = int(state["updates"])
