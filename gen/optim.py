"""AdamW on torch's fused kernel, without torch.optim's machinery, to save a second of start-up.

torch.optim.AdamW imports torch._dynamo the first time it is constructed (its methods are
wrapped to keep the compiler out), which costs about a second of CPU on a 2-core machine: two
percent of a one-minute training run (benchmarks/first_minute.py). This class calls the same
fused kernel that ``torch.optim.AdamW(fused=True)`` calls, with the same state, so the updates
are the same; its state_dict has torch's format, so last.pt files written by either load in the
other. The trainer uses it where the kernel exists and no gradient scaler (fp16) needs a real
torch optimizer; elsewhere torch.optim.AdamW.
"""

from __future__ import annotations

import torch

# torch.optim.AdamW's parameter-group keys (torch 2.x), written into state_dict so that torch's
# own AdamW can load what this one saves.
_GROUP = {"eps": 1e-8, "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
          "differentiable": False, "fused": True, "decoupled_weight_decay": True}


def available() -> bool:
    return hasattr(torch, "_fused_adamw_")


class FusedAdamW:
    def __init__(self, groups: list[dict], lr: float, betas: tuple[float, float]):
        self.param_groups = [{"weight_decay": 0.0, "lr": lr, "betas": tuple(betas), **_GROUP,
                              **g, "params": list(g["params"])} for g in groups]
        self.state: dict[torch.Tensor, dict] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for g in self.param_groups:
            params = [p for p in g["params"] if p.grad is not None]
            if not params:
                continue
            for p in params:
                if p not in self.state:
                    keep = torch.preserve_format
                    self.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                                     "exp_avg": torch.zeros_like(p, memory_format=keep),
                                     "exp_avg_sq": torch.zeros_like(p, memory_format=keep)}
            states = [self.state[p] for p in params]
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            beta1, beta2 = g["betas"]
            torch._fused_adamw_(params, [p.grad for p in params], [s["exp_avg"] for s in states],
                                [s["exp_avg_sq"] for s in states], [], steps, amsgrad=False,
                                lr=g["lr"], beta1=beta1, beta2=beta2,
                                weight_decay=g["weight_decay"], eps=g["eps"], maximize=False,
                                grad_scale=None, found_inf=None)

    def _indexed(self):
        """(global index, parameter) in torch's order: group by group."""
        i = 0
        for g in self.param_groups:
            for p in g["params"]:
                yield i, p
                i += 1

    def state_dict(self) -> dict:
        groups, start = [], 0
        for g in self.param_groups:
            n = len(g["params"])
            groups.append({**{k: v for k, v in g.items() if k != "params"},
                           "params": list(range(start, start + n))})
            start += n
        return {"state": {i: dict(self.state[p]) for i, p in self._indexed() if p in self.state},
                "param_groups": groups}

    def load_state_dict(self, sd: dict) -> None:
        saved = sd["param_groups"]
        if [len(g["params"]) for g in saved] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("the optimizer state does not fit this model's parameter groups")
        for g, s in zip(self.param_groups, saved):
            g.update({k: v for k, v in s.items() if k != "params"})
            g["betas"] = tuple(g["betas"])
        self.state = {}
        for i, p in self._indexed():
            if i in sd["state"]:
                st = sd["state"][i]
                step = torch.as_tensor(st["step"], dtype=torch.float32)
                self.state[p] = {"step": step.to(p.device),
                                 "exp_avg": st["exp_avg"].to(p.device, p.dtype),
                                 "exp_avg_sq": st["exp_avg_sq"].to(p.device, p.dtype)}
