"""gen.optim.FusedAdamW: the same updates and state as torch's fused AdamW, without importing
torch._dynamo (a second of start-up)."""

import copy
import subprocess
import sys

import pytest
import torch

from gen import optim
from gen.optim import FusedAdamW

from conftest import ROOT

pytestmark = pytest.mark.skipif(not optim.available(), reason="torch without the fused kernel")


def groups(model):
    ps = list(model.parameters())
    return [{"params": [p for p in ps if p.dim() >= 2], "weight_decay": 0.3},
            {"params": [p for p in ps if p.dim() < 2], "weight_decay": 0.0}]


def step(model, opt, x, lr):
    opt.zero_grad(set_to_none=True)
    model(x)[0].pow(2).sum().backward()
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()


def test_same_updates_and_state_as_torch():
    torch.manual_seed(0)
    a_model = torch.nn.LSTM(8, 16, 2)
    b_model = copy.deepcopy(a_model)
    a = torch.optim.AdamW(groups(a_model), lr=3e-3, betas=(0.9, 0.99), fused=True)
    b = FusedAdamW(groups(b_model), 3e-3, (0.9, 0.99))
    for i in range(5):
        x = torch.randn(5, 3, 8)
        step(a_model, a, x, 1e-3 * (i + 1))
        step(b_model, b, x, 1e-3 * (i + 1))
    for p, q in zip(a_model.parameters(), b_model.parameters()):
        assert torch.equal(p, q)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    assert sa["state"].keys() == sb["state"].keys()
    for i in sa["state"]:
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(sa["state"][i][k], sb["state"][i][k])


def test_state_dicts_load_both_ways_and_continue_alike():
    torch.manual_seed(1)
    model = torch.nn.LSTM(4, 8, 1)
    a = torch.optim.AdamW(groups(model), lr=1e-3, fused=True)
    x = torch.randn(3, 2, 4)
    step(model, a, x, 1e-3)
    m1, m2 = copy.deepcopy(model), copy.deepcopy(model)
    b = FusedAdamW(groups(m1), 1.0, (0.9, 0.5))
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # as from a file: its own tensors
    assert b.param_groups[0]["betas"] == (0.9, 0.999) and b.param_groups[0]["weight_decay"] == 0.3
    c = torch.optim.AdamW(groups(m2), lr=1.0, fused=True)
    c.load_state_dict(copy.deepcopy(b.state_dict()))
    step(m1, b, x, 2e-3)
    step(m2, c, x, 2e-3)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)


def test_a_training_step_does_not_import_dynamo(tmp_path):
    code = f"""
import sys, torch
from pathlib import Path
from gen.model import ModelConfig, RNNLM
from gen.trainer import TrainConfig, Trainer
ids = torch.randint(0, 10, (2000,))
cfg = TrainConfig(steps=2, seq_len=8, batch_size=4, eval_every=1)
t = Trainer(RNNLM(ModelConfig(vocab_size=10, hidden=8, embed_dim=4, layers=1)), ids[:1800],
            ids[1800:], cfg, Path({str(tmp_path)!r}), {{}}, torch.device("cpu"))
t.fit()
print(type(t.opt).__name__, "torch._dynamo" in sys.modules)
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["FusedAdamW", "False"]
