"""The model: one-token steps equal the full-sequence forward; the IRNN starts at identity."""

import pytest
import torch

from gen.model import CELLS, ModelConfig, RNNLM


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("one_hot", [False, True])
def test_stepwise_equals_full_forward(cell, one_hot):
    torch.manual_seed(0)
    model = RNNLM(ModelConfig(vocab_size=11, cell=cell, layers=2, hidden=16, embed_dim=8,
                              one_hot=one_hot)).eval()
    x = torch.randint(0, 11, (9, 3))
    full, h_full = model(x)
    hidden, steps = None, []
    for t in range(x.size(0)):
        logits, hidden = model.step(x[t], hidden)
        steps.append(logits)
    assert torch.allclose(torch.stack(steps), full, atol=1e-5)
    h1 = h_full[0] if isinstance(h_full, tuple) else h_full
    h2 = hidden[0] if isinstance(hidden, tuple) else hidden
    assert torch.allclose(h1, h2, atol=1e-5)


def test_irnn_starts_with_identity_recurrence_and_zero_bias():
    model = RNNLM(ModelConfig(vocab_size=5, cell="irnn", layers=2, hidden=7, embed_dim=4))
    assert torch.equal(model.rnn.weight_hh_l1, torch.eye(7))
    assert torch.count_nonzero(model.rnn.bias_hh_l0) == 0
    assert model.rnn.nonlinearity == "relu"


def test_one_hot_has_no_embedding():
    model = RNNLM(ModelConfig(vocab_size=5, one_hot=True, hidden=8))
    assert model.embed is None and model.rnn.input_size == 5
