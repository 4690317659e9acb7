"""`gen eval --context N`: every token scored once, from at most N tokens of context."""

import json

import pytest
import torch

from gen.evaluate import mean_loss, windowed_loss
from gen.model import ModelConfig, RNNLM


def _model():
    torch.manual_seed(0)
    return RNNLM(ModelConfig(vocab_size=11, hidden=16, embed_dim=8)).eval()


@pytest.mark.parametrize("n, context", [(101, 10), (100, 33), (50, 1), (20, 19)])
def test_every_token_after_the_first_is_scored_once(n, context):
    ids = torch.randint(0, 11, (n,))
    nats, count = windowed_loss(_model(), ids, context, batch=3)
    assert count == n - 1
    # The same figure by hand: each target from a zero state over the tokens of its window.
    model, total = _model(), 0.0
    for start in range(0, n - 1, context):
        window = ids[start: start + context + 1]
        logits, _ = model(window[:-1].view(-1, 1))
        total += torch.nn.functional.cross_entropy(logits[:, 0], window[1:], reduction="sum").item()
    assert nats == pytest.approx(total / (n - 1), rel=1e-5)


def test_a_context_as_long_as_the_text_is_the_stateful_figure():
    ids = torch.randint(0, 11, (200,))
    model = _model()
    stateful, count = mean_loss(model, ids)
    assert windowed_loss(model, ids, 199) == pytest.approx((stateful, count), rel=1e-5)
    short, _ = windowed_loss(model, ids, 4)
    assert short != pytest.approx(stateful, rel=1e-4)


def test_eval_context_cli(gen, tiny_run, small_text):
    whole = json.loads(gen("eval", small_text, "-c", tiny_run, "--json").out)
    r = gen("eval", small_text, "-c", tiny_run, "--json", "--context", "8")
    windowed = json.loads(r.out)
    assert windowed["tokens"] == whole["tokens"] == len(small_text.read_text()) - 1
    assert windowed["context"] == 8 and whole["context"] is None
    # 8 characters of context cannot predict Shakespeare as well as the whole text before.
    assert windowed["nats_per_token"] > whole["nats_per_token"]
    assert "at most 8 tokens of context" in gen("eval", small_text, "-c", tiny_run, "--context", "8").out
    assert gen("eval", small_text, "-c", tiny_run, "--context", "0").code == 1
