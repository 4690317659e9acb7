"""The trainer: it learns, resumes exactly after Ctrl-C, stops early, survives a blow-up."""

import pytest
import torch

from gen import checkpoint as ckpt
from gen.data import split_ids
from gen.model import ModelConfig, RNNLM
from gen.tokenize import Vocab
from gen.trainer import TrainConfig, Trainer

from conftest import TINY_MODEL


def make_trainer(tmp_path, text, **cfg_kw):
    vocab = Vocab.build(list(text), "char")
    ids = torch.tensor(vocab.encode(list(text)))
    cfg = TrainConfig(**{"seq_len": 16, "batch_size": 4, "eval_every": 10, **cfg_kw})
    train_ids, val_ids = split_ids(ids, cfg.val_frac)
    torch.manual_seed(cfg.rng_seed)
    model = RNNLM(ModelConfig(vocab_size=len(vocab), hidden=24, embed_dim=8, layers=2))
    return Trainer(model, train_ids, val_ids, cfg, tmp_path, {"summary": {}}, torch.device("cpu"))


def test_loss_falls_on_a_learnable_text(tmp_path):
    t = make_trainer(tmp_path, "abcdefgh" * 400, steps=120, lr=1e-2)
    state = t.fit()
    rows = ckpt.read_metrics(tmp_path)
    assert rows[-1]["val_loss"] < 0.5 * rows[0]["val_loss"]
    assert state.best_val < 0.5


@pytest.mark.parametrize("extra", [[], ["--average", "0.9"]])
def test_resume_after_ctrl_c_lands_on_the_same_curve(gen, small_text, tmp_path, monkeypatch, extra):
    common = [*TINY_MODEL, "--steps", "40", "--eval-every", "10", "--dropout", "0.2",
              "--rng-seed", "3", *extra]
    full, part = tmp_path / "full", tmp_path / "part"
    assert gen("train", small_text, "-o", full, *common).code == 0

    from gen.progress import TrainDisplay

    original = TrainDisplay.on_step

    def ctrl_c_at_25(self, info):
        if info["step"] == 25:
            raise KeyboardInterrupt
        original(self, info)

    monkeypatch.setattr(TrainDisplay, "on_step", ctrl_c_at_25)
    r = gen("train", small_text, "-o", part, *common)
    assert r.code == 130 and "interrupted at step 25" in r.err and "--resume" in r.err
    assert "Traceback" not in r.err
    monkeypatch.setattr(TrainDisplay, "on_step", original)

    r = gen("train", "--resume", part, "-q")
    assert r.code == 0, r.err
    a = [(row["step"], row["val_loss"]) for row in ckpt.read_metrics(full)]
    b = [(row["step"], row["val_loss"]) for row in ckpt.read_metrics(part)]
    assert a == b and [s for s, _ in a] == [10, 20, 30, 40]
    wa = ckpt.load_tensors(full / "last.pt")["model"]
    wb = ckpt.load_tensors(part / "last.pt")["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    ba = ckpt.load_weights(full / "model.safetensors")
    bb = ckpt.load_weights(part / "model.safetensors")
    assert all(torch.equal(ba[k], bb[k]) for k in ba)


def test_the_weight_average_is_what_is_scored_and_saved_as_best(tmp_path):
    from gen.evaluate import mean_loss

    t = make_trainer(tmp_path, "abcdefgh" * 400, steps=30, lr=1e-2, average=0.9, eval_every=100)
    manual = [p.detach().clone() for p in t.model.parameters()]
    original_update = t.average.update
    n = {"k": 0}

    def checked_update():
        original_update()
        n["k"] += 1
        d = min(0.9, (1 + n["k"]) / (10 + n["k"]))
        for m, p in zip(manual, t.model.parameters()):
            m.mul_(d).add_(p.detach(), alpha=1 - d)

    t.average.update = checked_update
    state = t.fit()
    for m, a in zip(manual, t.average.avg):
        torch.testing.assert_close(a, m)
    best = ckpt.load_weights(tmp_path / "model.safetensors")
    last = ckpt.load_tensors(tmp_path / "last.pt")["model"]
    names = [n for n, _ in t.model.named_parameters()]
    for name, a in zip(names, t.average.avg):
        assert torch.equal(best[name], a)          # model.safetensors: the average
    assert any(not torch.equal(best[k], last[k]) for k in names)  # last.pt: the raw weights
    with t.average.applied():
        val, _ = mean_loss(t.model, t.val_ids)
    assert val == pytest.approx(state.best_val)
    assert all(torch.equal(p, last[k]) for k, p in t.model.named_parameters())  # swapped back


def test_patience_stops_when_validation_gets_worse(tmp_path):
    # Train on one pattern, validate on another: validation loss rises as training goes on.
    text = "ab" * 1800 + "".join(chr(99 + (i * 7) % 20) for i in range(400))
    t = make_trainer(tmp_path, text, steps=400, lr=1e-2, patience=2)
    state = t.fit()
    assert state.stopped.startswith("early stop") and state.step < 400
    assert state.best_step < state.step


def test_non_finite_loss_stops_and_keeps_usable_checkpoints(tmp_path):
    t = make_trainer(tmp_path, "abcdefgh" * 300, steps=100)
    forward, calls = t.model.forward, {"n": 0}

    def blow_up_at_15(x, hidden=None):
        logits, hidden = forward(x, hidden)
        calls["n"] += t.model.training  # count training steps only, not evaluation passes
        return (logits * float("inf") if calls["n"] == 15 and t.model.training else logits), hidden

    t.model.forward = blow_up_at_15
    state = t.fit()
    assert "loss became nan at step 15" in state.stopped and state.step == 14
    for weights in (ckpt.load_weights(tmp_path / "model.safetensors"),
                    ckpt.load_tensors(tmp_path / "last.pt")["model"]):
        assert all(torch.isfinite(w).all() for w in weights.values())
