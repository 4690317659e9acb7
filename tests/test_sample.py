"""Sampling filters and the generator's determinism."""

import torch

from gen.model import ModelConfig, RNNLM
from gen.sample import filter_logits, generate


def test_top_k_keeps_only_k_tokens():
    logits = torch.tensor([[1.0, 5.0, 3.0, 2.0]])
    kept = torch.isfinite(filter_logits(logits, top_k=2))
    assert kept.tolist() == [[False, True, True, False]]


def test_top_p_keeps_smallest_set_reaching_p():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    kept = torch.isfinite(filter_logits(probs.log(), top_p=0.7))
    assert kept.tolist() == [[True, True, False, False]]
    # The most likely token always survives, however small p is.
    assert torch.isfinite(filter_logits(probs.log(), top_p=0.01)).sum() == 1


def test_temperature_sharpens():
    logits = torch.tensor([[1.0, 2.0]])
    cold = filter_logits(logits, temperature=0.5).softmax(-1)[0, 1]
    hot = filter_logits(logits, temperature=2.0).softmax(-1)[0, 1]
    assert cold > logits.softmax(-1)[0, 1] > hot


def test_same_rng_seed_same_tokens():
    torch.manual_seed(0)
    model = RNNLM(ModelConfig(vocab_size=20, hidden=16, embed_dim=8))
    a = torch.stack(list(generate(model, [1, 2, 3], 30, num_samples=3, rng_seed=7)))
    b = torch.stack(list(generate(model, [1, 2, 3], 30, num_samples=3, rng_seed=7)))
    c = torch.stack(list(generate(model, [1, 2, 3], 30, num_samples=3, rng_seed=8)))
    assert torch.equal(a, b) and not torch.equal(a, c)
