"""The sampler's one-token stepper equals the full-sequence forward, and sampling through it draws
the same tokens as the per-token nn.LSTM path it replaced."""

import pytest
import torch

from gen.model import CELLS, ModelConfig, RNNLM
from gen.sample import Rule, filter_logits, generate, prime, sample_ids
from gen.stepper import Stepper


def _model(cell, one_hot, layers, vocab=13, hidden=12):
    torch.manual_seed(layers * 10 + CELLS.index(cell))
    model = RNNLM(ModelConfig(vocab_size=vocab, cell=cell, layers=layers, hidden=hidden,
                              embed_dim=7, one_hot=one_hot)).eval()
    with torch.no_grad():  # away from init (irnn starts at identity, zero bias): every term counts
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        if cell == "irnn":  # identity plus noise grows without bound over hundreds of ReLU steps
            for name, p in model.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.mul_(0.5)
    return model


def _parts(hidden):
    return hidden if isinstance(hidden, tuple) else (hidden,)


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("one_hot", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_stepping_equals_the_full_sequence_forward(cell, one_hot, layers):
    model = _model(cell, one_hot, layers)
    T, B = 9, 3
    x = torch.randint(0, 13, (T, B))
    start = model.init_hidden(B)
    start = tuple(torch.randn_like(h) for h in start) if isinstance(start, tuple) else torch.randn_like(start)
    with torch.no_grad():
        want_logits, want_hidden = model(x, start)
    stepper = Stepper(model, B)
    stepper.load_state(start)
    got = torch.stack([stepper.step(x[t]).clone() for t in range(T)])
    torch.testing.assert_close(got, want_logits, atol=1e-5, rtol=1e-5)
    for a, b in zip(_parts(stepper.state()), _parts(want_hidden)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_bf16_stepping_stays_close_to_the_full_sequence_forward(cell):
    # bf16 keeps 8 bits of mantissa: logits agree to about 1e-2, and the LSTM cell state, kept in
    # fp32, does not drift over a long run.
    model = _model(cell, False, 2, vocab=13, hidden=32)
    T, B = 200, 4
    x = torch.randint(0, 13, (T, B))
    with torch.no_grad():
        want_logits, _ = model(x)
    stepper = Stepper(model, B, torch.bfloat16)
    got = torch.stack([stepper.step(x[t]).clone() for t in range(T)])
    assert got.dtype == torch.float32
    want_p, got_p = want_logits.softmax(-1), got.softmax(-1)
    assert (want_p - got_p).abs().max() < 0.05
    assert (want_p - got_p).abs().mean() < 0.005


def test_step_precision_follows_the_batch_and_the_cpu(monkeypatch):
    from gen.errors import GenError
    from gen.sample import step_dtype

    cpu = torch.device("cpu")
    monkeypatch.setattr("gen.device.cpu_has_bf16", lambda: True)
    assert step_dtype("auto", 1, cpu) == torch.float32
    assert step_dtype("auto", 32, cpu) == torch.bfloat16
    assert step_dtype("fp32", 32, cpu) == torch.float32
    assert step_dtype("bf16", 1, cpu) == torch.bfloat16
    monkeypatch.setattr("gen.device.cpu_has_bf16", lambda: False)
    assert step_dtype("auto", 32, cpu) == torch.float32
    with pytest.raises(GenError):
        step_dtype("fp8", 1, cpu)


def test_bf16_sampling_is_reproducible_and_matches_fp32_text_closely(tiny_run, gen):
    args = ["sample", "-c", tiny_run, "--rng-seed", "4", "--length", "200", "-q", "-N", "8"]
    a, b = gen(*args, "--precision", "bf16"), gen(*args, "--precision", "bf16")
    c = gen(*args, "--precision", "fp32")
    assert a.code == b.code == c.code == 0
    assert a.out == b.out and len(a.out) > 800
    # Same draws from nearly the same probabilities: most streams start identically.
    texts = lambda out: out.split("-----")[2::2]  # noqa: E731  (between the sample headers)
    assert len(texts(a.out)) == 8
    same = sum(x[:20] == y[:20] for x, y in zip(texts(a.out), texts(c.out)))
    assert same >= 6


def test_a_one_stream_state_is_shared_by_every_stream():
    model = _model("lstm", False, 2)
    with torch.no_grad():
        _, hidden = model(torch.tensor([[1], [2], [3]]))
    stepper = Stepper(model, 4)
    stepper.load_state(hidden)
    logits = stepper.step(torch.tensor([5, 5, 5, 5]))
    assert torch.allclose(logits, logits[:1].expand(4, -1))
    with torch.no_grad():
        want, _ = model.step(torch.tensor([5]), hidden)
    torch.testing.assert_close(logits[0], want[0], atol=1e-5, rtol=1e-5)


def test_sample_ids_draws_what_multinomial_draws():
    torch.manual_seed(0)
    probs = torch.randn(5, 30).softmax(-1)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    noise = torch.empty_like(probs)
    for _ in range(50):
        want = torch.multinomial(probs, 1, generator=g1).squeeze(-1)
        assert torch.equal(sample_ids(probs, g2, noise), want)


@torch.no_grad()
def reference_generate(model, seed_ids, length, num_samples=1, temperature=1.0, top_k=None,
                       top_p=None, rng_seed=None, rule=None):
    """The loop as it was before the stepper: nn.LSTM called with T=1 per token, multinomial."""
    model.eval()
    generator = torch.Generator().manual_seed(rng_seed) if rng_seed is not None else None
    logits, hidden = prime(model, seed_ids, num_samples)
    logits = logits.contiguous()
    for _ in range(length):
        forced = rule.forced() if rule is not None else None
        scores = logits.float()
        if rule is not None:
            scores = rule.scores(scores)
            scores[torch.isneginf(scores).all(-1)] = 0.0
        probs = filter_logits(scores, temperature, top_k, top_p).softmax(-1)
        token = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
        if forced is not None:
            token = torch.tensor([d if f is None else f for f, d in zip(forced, token.tolist())])
        yield token
        if rule is not None:
            rule.advance(token.tolist())
            if rule.done():
                return
        logits, hidden = model.step(token, hidden)


class EvenOnlyUntilForced(Rule):
    """Masks odd ids, forces id 3 into stream 0 every fifth step, stops after 17 steps."""

    def __init__(self):
        self.n = 0

    def forced(self):
        return [3, None] if self.n % 5 == 4 else None

    def scores(self, logits):
        logits[:, 1::2] = float("-inf")
        return logits

    def advance(self, ids):
        self.n += 1

    def done(self):
        return self.n >= 17


@pytest.mark.parametrize("options", [
    dict(num_samples=1, temperature=1.0),
    dict(num_samples=1, temperature=0.8),
    dict(num_samples=4, temperature=1.3),
    dict(num_samples=2, temperature=0.7, top_k=5),
    dict(num_samples=3, temperature=1.0, top_p=0.8),
])
@pytest.mark.parametrize("cell", CELLS)
def test_sampled_tokens_equal_the_per_token_nn_path(cell, options):
    model = _model(cell, False, 2, vocab=20, hidden=16)
    args = (model, [1, 4, 2, 7], 200)
    got = torch.stack(list(generate(*args, rng_seed=11, precision="fp32", **options)))
    want = torch.stack(list(reference_generate(*args, rng_seed=11, **options)))
    assert torch.equal(got, want)


def test_a_rule_sees_the_same_steps_as_before():
    model = _model("lstm", True, 2, vocab=20, hidden=16)
    args = (model, [2, 4], 100)
    got = torch.stack(list(generate(*args, num_samples=2, temperature=0.9, rng_seed=5,
                                    rule=EvenOnlyUntilForced())))
    want = torch.stack(list(reference_generate(*args, num_samples=2, temperature=0.9, rng_seed=5,
                                               rule=EvenOnlyUntilForced())))
    assert len(got) == 17 and torch.equal(got, want)
    assert got[4, 0] == 3 and (got[:, 1] % 2 == 0).all()


def test_overlapping_samplers_leave_the_thread_count_as_it_was():
    # As in the studio: a second sampler starts while the first runs, the first ends first.
    model = _model("lstm", False, 1)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        a = generate(model, [1, 2], 50, num_samples=1, rng_seed=0)
        next(a)
        assert torch.get_num_threads() == 1
        b = generate(model, [1, 2], 50, num_samples=1, rng_seed=0)
        next(b)
        a.close()
        assert torch.get_num_threads() == 1  # b still runs
        b.close()
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_generate_restores_the_thread_count():
    model = _model("lstm", False, 1)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)  # one stream runs on 1 thread: the loop changes it, then restores
        list(generate(model, [1, 2], 5, num_samples=1, rng_seed=0))
        list(generate(model, [1, 2], 5, num_samples=16, rng_seed=0))
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("extra", [[], ["-N", "3", "--top-k", "10"], ["--stop", "\\n\\n", "-t", "1.2"]])
def test_cli_text_is_unchanged_by_the_stepper(gen, tiny_run, monkeypatch, extra):
    args = ["sample", "-c", tiny_run, "--rng-seed", "4", "--length", "400", "-q", *extra]
    fast = gen(*args)
    monkeypatch.setattr("gen.sample.generate",
                        lambda *a, precision=None, **k: reference_generate(*a, **k))
    slow = gen(*args)
    assert fast.code == slow.code == 0
    assert fast.out == slow.out and len(fast.out) > 100


def test_text_sampling_never_imports_music21_or_rich(tiny_run):
    import subprocess
    import sys

    code = ("import sys\n"
            "from gen.cli import main\n"
            f"sys.argv = ['gen', 'sample', '-c', {str(tiny_run)!r}, '--length', '20', '--rng-seed', '1', '-q']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('music21', 'rich', 'matplotlib') if m in sys.modules), file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and len(r.stdout) > 10
    assert r.stderr.strip().splitlines()[-1] == "[]"


def test_a_diverged_model_is_a_clear_error():
    from gen.errors import GenError

    model = _model("lstm", False, 1)
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    with pytest.raises(GenError, match="not finite"):
        list(generate(model, [1, 2], 5, rng_seed=0))
