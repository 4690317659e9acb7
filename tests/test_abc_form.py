"""Form in ABC runs: sections counted as issue 11 defines them, corpus section lengths kept in the
run, numbered bar lines for the model, and sampled tunes made of the corpus's section lengths."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TINY_MODEL, train_in_process
from gen.music.abc.grammar import walk
from gen.music.abc.lexer import lex_tune, split_tunes
from gen.music.abc.phrasing import Phrasing, corpus_form, number_bars

IRISH = Path(__file__).resolve().parents[1] / "corpora" / "irish.abc"

AABB = """X:1
M:6/8
L:1/8
K:D
A|dAF dAF|GBG FAF|dAF dAF|GEF G2A|dAF dAF|GBG FAF|ABc dcB|AFD D2:|
|:e|fdd edd|fdd ede|fdd edd|ecA A2g|[1fdd edd|fdd ede|fga gfe|fdd d2:|[2fga gfe|dcB AGF|EFG ABc|d3 d2|]
"""


def test_sections_count_pickups_once_and_second_endings_not_at_all():
    st = walk(lex_tune(AABB))
    # A: pickup + 7 full bars + the short bar completing the pickup = 8; B: 4 + first ending 4.
    assert st.sections == [8, 8]
    assert walk(lex_tune("X:1\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc dedB||\n")).sections == [2]


def test_numbered_bars_tell_the_place_in_the_section():
    tokens = lex_tune(AABB)
    numbered = number_bars(tokens)
    assert len(numbered) == len(tokens)
    bars = [t for t in numbered if t[:1] == "|" and t[1:].isdigit()]
    assert bars[:8] == ["|0", "|1", "|2", "|3", "|4", "|5", "|6", "|7"]  # pickup bar is |0
    assert [t if not (t[:1] == "|" and t[1:].isdigit()) else "|" for t in numbered] == tokens


def test_corpus_stats_and_phrasing_defaults():
    tunes = [lex_tune(t) for t in split_tunes(IRISH.read_text())[:200]]
    form = corpus_form(tunes)
    assert max(form["section_bars"], key=form["section_bars"].get) == "8"
    phrasing = Phrasing(form)
    assert 8 in phrasing.lengths and all(n % 4 == 0 for n in phrasing.lengths)
    assert phrasing.min_sections == 2
    old = Phrasing({})  # a run trained before the stats: 8-bar sections, two of them
    assert (old.lengths, old.longest, old.min_sections) == ([8], 8, 2)


@pytest.fixture(scope="module")
def abc_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("form")
    corpus = folder / "tunes.abc"
    corpus.write_text("".join(split_tunes(IRISH.read_text())[:120]))
    out = folder / "run"
    train_in_process(corpus, out, "--steps", "60", "--eval-every", "30", *TINY_MODEL)
    return out


def test_sampled_sections_have_the_corpus_lengths(gen, abc_run):
    import json

    stats = json.loads((abc_run / "meta.json").read_text())["corpus"]["stats"]
    assert stats["numbered_bars"] and "8" in stats["section_bars"]
    phrasing = Phrasing(stats)
    r = gen("sample", "-c", abc_run, "-N", "6", "--rng-seed", "3", "-q")
    assert r.code == 0 and "|7" not in r.out  # numbered bars stay inside the model
    for text in split_tunes(r.out):
        sections = walk(lex_tune(text)).sections
        assert len(sections) >= phrasing.min_sections
        assert all(n in phrasing.lengths for n in sections), (sections, text)


def test_corpus_stats_count_repeated_sections():
    form = corpus_form([lex_tune(AABB), lex_tune("X:1\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc dedB||\n")])
    assert form["repeated"] == pytest.approx(2 / 3)  # both AABB sections, not the plain one
    assert Phrasing(form).repeated == pytest.approx(2 / 3)
    assert Phrasing({}).repeated is None  # older runs: left to the model


def test_repeat_closes_get_the_corpus_share_where_a_section_may_close_either_way(abc_run):
    import math

    import torch

    from gen import checkpoint as ckpt
    from gen.music.abc.sample import Grammar, TuneRule
    from gen.music.abc.seed import Plan

    loaded = ckpt.load_model(abc_run)
    vocab = loaded.vocab
    stats = loaded.meta["corpus"]["stats"]
    grammar = Grammar(vocab.tokens, stats.get("header_keys"), Phrasing({**stats, "repeated": 0.8}))
    rule = TuneRule(vocab, grammar, Plan(["<s>"]), 2, False, 300, None, None, 0.7)
    rule.mask = torch.zeros(2, grammar.V, dtype=torch.bool)
    rep, plain = grammar.repeat_closes, grammar.plain_closes
    rule.mask[0, rep + plain + [grammar.pitch[0]]] = True  # both kinds of close allowed
    rule.mask[1, plain + [grammar.pitch[0]]] = True        # only plain ones: left alone
    logits = torch.randn(2, grammar.V)
    scores = rule.scores(logits.clone())
    p = (scores / 0.7).softmax(-1)
    q = (logits.masked_fill(~rule.mask, -math.inf) / 0.7).softmax(-1)
    closes = (p[0, rep].sum() + p[0, plain].sum()).item()
    assert p[0, rep].sum().item() / closes == pytest.approx(0.8, abs=1e-5)
    assert closes == pytest.approx((q[0, rep].sum() + q[0, plain].sum()).item(), abs=1e-5)
    assert torch.allclose(p[1], q[1], atol=1e-6)
