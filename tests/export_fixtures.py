"""Fixtures shared by the export tests: a tiny ABC run, tiny models of every cell with random
weights, and the greedy loops that drive an exported model the way `gen sample --top-k 1` does."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from conftest import TINY_MODEL

IRISH = Path(__file__).resolve().parents[1] / "corpora" / "irish.abc"


def _train(args: list[str]) -> None:
    from gen.cli import main

    argv = sys.argv
    sys.argv = ["gen", "train", *map(str, args)]
    try:
        main()
    except SystemExit as e:
        assert not e.code, "training an export fixture run failed"
    finally:
        sys.argv = argv


@pytest.fixture(scope="session")
def text_run(tmp_path_factory, small_text) -> Path:
    """A tiny LSTM trained 150 steps at a high rate: its greedy text is words, not one repeated
    character, so a greedy path that went astray would show (8 s of CPU)."""
    out = tmp_path_factory.mktemp("text-export") / "run"
    _train([small_text, "--steps", "150", "--eval-every", "150", "--lr", "0.01", "--layers", "1",
            "--hidden", "48", "--embed-dim", "16", "--batch-size", "16", "--seq-len", "32",
            "--precision", "fp32", "-q", "-o", out])
    return out


@pytest.fixture(scope="session")
def abc_tiny_run(tmp_path_factory) -> Path:
    """A tiny LSTM trained 60 steps on 120 Irish tunes (seconds)."""
    from gen.music.abc.lexer import split_tunes

    folder = tmp_path_factory.mktemp("abc-export")
    corpus = folder / "tunes.abc"
    corpus.write_text("".join(split_tunes(IRISH.read_text())[:120]))
    out = folder / "run"
    _train([corpus, "--steps", "60", "--eval-every", "30", "-o", out, *TINY_MODEL])
    return out


def load(run: Path):
    from gen import checkpoint as ckpt

    return ckpt.load_model(ckpt.resolve_run(run))


def variant(loaded, cell: str, one_hot: bool = False, layers: int = 2, hidden: int = 24):
    """``loaded`` with its model replaced by a random one of another cell (same vocabulary)."""
    import torch

    from gen.model import ModelConfig, RNNLM

    torch.manual_seed(7)
    cfg = ModelConfig(vocab_size=len(loaded.vocab), cell=cell, layers=layers, hidden=hidden,
                      embed_dim=12, one_hot=one_hot)
    model = RNNLM(cfg).eval()
    with torch.no_grad():  # larger than the init so the gates leave their linear range (the
        for p in model.parameters():  # IRNN's identity recurrence would blow up if scaled)
            p.mul_(1.0 if cell == "irnn" else 3.0)
    twin = copy.copy(loaded)
    twin.meta = {**loaded.meta, "model": cfg.to_json()}
    twin.model = model
    return twin


def greedy_tune_text(loaded, step, rng_seed: int, free: bool, key: str | None = None) -> str:
    """One tune drawn greedily through ``step(ids) -> logits (numpy, last position)`` (which keeps
    its own state), with gen's own plan and ABC rule (gen.music.abc.sample.plan_tunes, make_rule)
    masking and forcing tokens exactly as in `gen sample --top-k 1`, written out by gen's writer:
    the exported model is the only change."""
    import numpy as np
    import torch

    from gen.commands.sample import SampleRequest
    from gen.music.abc.sample import make_rule, plan_tunes
    from gen.music.abc.seed import blank_line_after, finish_tunes

    req = SampleRequest(checkpoint=None, seed=None, seed_file=None, length=None, bars=None,
                        temperature=1.0, top_k=1, top_p=None, num_samples=1, stop=None,
                        rng_seed=rng_seed, output=None, device="cpu", quiet=True,
                        music={"free": free, "key": key})
    plan, request, cap, typical = plan_tunes(loaded, req)
    rule = make_rule(loaded, plan, 1, 1.0, free, cap, None, typical, request)
    logits = step(loaded.warmup_ids or [rule.grammar.end])
    for _ in range(len(plan.tokens) + cap + 402):
        scores = torch.from_numpy(np.array(logits, dtype=np.float32)).view(1, -1)
        forced = rule.forced()
        scores = rule.scores(scores)
        token = int(torch.argmax(scores[0]))
        if forced[0] is not None:
            token = forced[0]
        rule.advance([token])
        if rule.done():
            break
        logits = step([token])
    return blank_line_after(finish_tunes(rule.out, plan, req))
