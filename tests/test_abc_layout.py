"""Layout rules of the constrained ABC sampler, on handcrafted token streams (no model): ties land
on the same pitch and stay inside a section, no one-bar sections, a tune never ends on a lone
pickup, chords sound with a note, and every written tune ends with a blank line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gen.music.abc.grammar import TuneState
from gen.music.abc.phrasing import Phrasing
from gen.music.abc.sample import Grammar, TuneRule
from gen.music.abc.seed import Plan, write_output
from gen.tokenize import Vocab

NOTES = ["A", "B", "c", "=c", "^c", "_c", "d", "e", "f", "g", "c'", "=c'", "^c'", "z"]
VOCAB = ["<s>", "</s>", "M:6/8", "M:4/4", "L:1/8", "K:Dmaj", "K:Cmaj", *NOTES, "2", "3", "4", "/2",
         "|", "||", "|]", "|:", ":|", "[1", "[2", "-", ">", "(3", '"G"', '"D7"']


def state(tokens: list[str]) -> TuneState:
    st = TuneState(min_length=1)
    for t in tokens:
        st.advance(t)
    return st


def allowed(tokens: list[str], phrasing: Phrasing | None = None) -> set[str]:
    g = Grammar(VOCAB, phrasing=phrasing)
    st = g.new_state()
    for t in tokens:
        st.advance(t)
    return {VOCAB[i] for i in g.allowed(st)}


HEAD = ["<s>", "M:6/8", "L:1/8", "K:Dmaj"]


def test_a_tie_lands_on_the_same_sounding_pitch():
    # K:D: c' sounds c#'; "=c'" would be another note (abc2midi: "Could not find note to be tied")
    ok = allowed(HEAD + ["c'", "3", "-"])
    assert "c'" in ok and "^c'" in ok
    assert not {"=c'", "_c'", "c", "d", "A", "z"} & ok
    # After "=c" the bar's c is natural: a tie in the bar continues with c or =c, not ^c
    ok = allowed(HEAD + ["=c", "3", "-"])
    assert {"c", "=c"} <= ok and "^c" not in ok
    # Over a bar line the accidental is gone: only "=c" still sounds c natural
    ok = allowed(HEAD + ["d", "2", "A", "=c", "3", "-", "|"])
    assert "=c" in ok and "c" not in ok and "^c" not in ok


def test_a_tie_never_crosses_a_section_end_a_repeat_or_an_ending():
    ok = allowed(HEAD + ["d", "2", "A", "c", "3", "-"])
    assert "|" in ok
    assert not {"||", "|]", "|:", ":|", "</s>", "[1", "K:Cmaj"} & ok
    # where the form closes the section (8 bars of 6/8 here), no tie is offered at all
    phrasing = Phrasing({"section_bars": {"8": 10}, "sections_per_tune": {"2": 10}})
    bars = ["d", "3", "A", "3", "|"] * 7 + ["d", "3", "A", "3"]
    ok = allowed(HEAD + bars, phrasing)
    assert "-" not in ok and ":|" in ok
    assert "-" in allowed(HEAD + bars[:-9] + ["d", "3", "A", "3"], phrasing)  # bar 7 of 8
    assert "-" in allowed(HEAD + ["d", "3", "A", "3"], phrasing)


def test_no_section_of_one_bar_or_of_a_pickup_alone():
    st = state(HEAD + ["z", "|", "e", "2", "e", "d", "2"])  # "z|e2e d2||": the example
    assert not st.bar_allowed("||") and not st.bar_allowed("|]")
    st = state(HEAD + ["|:", "e", "3", "d", "3"])  # one full bar
    assert not st.bar_allowed(":|") and not st.bar_allowed("||") and st.bar_allowed("|")
    st = state(HEAD + ["|:", "e", "3", "d", "3", "|", "e", "3", "d", "3"])
    assert st.bar_allowed(":|")


def test_a_chord_symbol_is_followed_by_a_note():
    ok = allowed(HEAD + ["d", "3", '"G"'])
    assert ok and all(t in NOTES or t == "(3" for t in ok)


def vocab():
    return Vocab.build(VOCAB, "abc", specials=["<s>", "</s>"])


def test_a_tune_never_ends_on_a_lone_pickup():
    """`...d2A:|` then `d|` then the end: the pickup is dropped, the tune ends at its repeat."""
    v = vocab()
    rule = TuneRule(v, Grammar(v.tokens), Plan(["<s>"]), 1)
    tune = HEAD + ["d", "|", "A", "3", "d", "3", "|", "A", "3", "d", "3", "|", "f", "3", "d", "2", "A",
                   ":|", "d", "|", "</s>"]
    for t in tune:
        rule.advance([v.stoi[t]])
    assert rule.out[0][-3:] == ["A", ":|", "</s>"]


def test_every_tune_ends_with_a_blank_line(capsys, tmp_path):
    texts = ["X:1\nT:a\nK:C\nC|\n", "X:2\nT:b\nK:C\nD|\n"]
    write_output(texts, SimpleNamespace(output=None, quiet=True))
    out = capsys.readouterr().out
    assert out == "X:1\nT:a\nK:C\nC|\n\nX:2\nT:b\nK:C\nD|\n\n"
    assert [p for p in out.split("\n\n") if p.strip()] == [t.rstrip("\n") for t in texts]
    path = tmp_path / "t.abc"
    write_output(texts, SimpleNamespace(output=path, quiet=True))
    assert path.read_text() == out
    from gen.music.abc.write import write_tokens

    assert write_tokens(["<s>", "M:4/4", "L:1/8", "K:Cmaj", "C", "8", "|]", "</s>"]).endswith("|]\n\n")


def test_a_tune_cut_short_never_ends_on_a_tie():
    """A tune the form never lets end is cut at a bar line, never at one a tie holds over."""
    v = vocab()
    rule = TuneRule(v, Grammar(v.tokens), Plan(["<s>"]), 1, max_tokens=0)
    tune = HEAD + ["d", "3", "A", "3", "|"] * 90 + ["d", "3", "A", "2", "c", "-", "|"]
    for t in tune:
        rule.advance([v.stoi[t]])
    assert rule.forced() == [v.stoi["</s>"]]
    assert rule.out[0][-2:] == ["3", "|"] and len(rule.out[0]) == len(tune) - 7


def test_a_corpus_without_section_bars_ends_its_one_section():
    """Essen writes no ||, |] or repeats: a tune is one section, closed by its end at a length the
    corpus uses; where the end is the only token left it keeps its score (even off the tonic)."""
    import torch

    tokens = [t for t in VOCAB if t not in ("||", "|]", "|:", ":|", "[1", "[2")]
    v = Vocab.build(tokens, "abc", specials=["<s>", "</s>"])
    stats = {"section_bars": {"8": 50, "12": 30, "16": 28, "5": 3}, "sections_per_tune": {"1": 111},
             "tonic_end": 0.9}
    grammar = Grammar(v.tokens, phrasing=Phrasing(stats))
    assert grammar.phrasing.lengths == [8, 12, 16] and grammar.phrasing.open_end
    rule = TuneRule(v, grammar, Plan(["<s>"]), 1)
    for t in HEAD + ["d", "3", "A", "3", "|"] * 7 + ["d", "3", "e", "3", "|"]:  # 8 bars, ends on e
        rule.advance([v.stoi[t]])
    assert rule.forced() == [None]
    assert [v.tokens[i] for i in torch.nonzero(rule.mask[0]).flatten().tolist()] != ["</s>"]
    for t in ["d", "3", "A", "3", "|"] * 7 + ["d", "3", "e", "3", "|"]:  # 16 bars: the longest
        rule.advance([v.stoi[t]])
    rule.forced()
    assert [v.tokens[i] for i in torch.nonzero(rule.mask[0]).flatten().tolist()] == ["</s>"]
    scores = rule.scores(torch.zeros(1, len(v.tokens)))
    assert torch.isfinite(scores[0, v.stoi["</s>"]])


def test_a_key_change_changes_the_key():
    ok = allowed(HEAD + ["d", "3", "A", "3", "|"])
    assert "K:Cmaj" in ok and "K:Dmaj" not in ok


def test_no_repeat_back_over_a_plain_section_end():
    """`A|]B:|` repeats from the tune's start in abc2midi (its pickup 'in repeat'): B must open
    its repeat with |: or close without one."""
    two_bars = ["d", "3", "A", "3", "|", "d", "3", "A", "3"]
    st = state(HEAD + two_bars + ["|]"] + two_bars)
    assert not st.bar_allowed(":|") and st.bar_allowed("||")
    st = state(HEAD + two_bars + ["|]", "|:"] + two_bars)
    assert st.bar_allowed(":|")
    st = state(HEAD + two_bars + [":|"] + two_bars)
    assert st.bar_allowed(":|")


def test_the_last_half_bar_before_the_tune_may_end_leans_to_the_tonic():
    """Where a bar may close the tune (the last bar of a section after which the corpus's tunes
    end), its second half gives the tonic's pitches the corpus's odds of a tonic ending (0.8:
    x4); the first half of that bar, and bars that cannot end the tune, keep the model's."""
    import math

    import torch

    v = Vocab.build(VOCAB, "abc", specials=["<s>", "</s>"])
    stats = {"section_bars": {"8": 100}, "sections_per_tune": {"2": 100}, "tonic_end": 0.8}

    def scores(tokens):
        rule = TuneRule(v, Grammar(v.tokens, phrasing=Phrasing(stats)), Plan(["<s>"]), 1)
        for t in tokens:
            rule.advance([v.stoi[t]])
        rule.forced()
        s = rule.scores(torch.zeros(1, len(v.tokens)))[0]
        return s[v.stoi["d"]].item() - s[v.stoi["e"]].item()  # K:D: d is the tonic, e is not

    section = ["d", "3", "A", "3", "|"] * 7 + ["d", "3", "A", "3"]
    assert scores(HEAD + section + [":|"] + section[:-4] + ["A", "3"]) == \
        pytest.approx(math.log(4))  # 2nd section, bar 8, half gone: the tune may end next
    assert scores(HEAD + section + [":|"] + section[:-4]) == 0  # that bar's first half
    assert scores(HEAD + section[:-4] + ["A", "3"]) == 0  # the 1st section: the tune goes on
    first_ending = section[:-9] + ["[1", "d", "3", "A", "3", "|", "A", "3"]
    assert scores(HEAD + section + [":|"] + first_ending) == 0  # a 1st ending: the 2nd follows


def test_no_first_ending_where_its_repeat_could_not_close():
    """[1 must close with :|, and :| may not repeat back over a || or |] with no |: after it:
    a first ending there left the sampler no bar line to close it (2 of 50 requested tunes)."""
    two_bars = ["d", "3", "A", "3", "|", "d", "3", "A", "3", "|"]
    assert "[1" not in allowed(HEAD + two_bars[:-1] + ["|]"] + two_bars)
    assert "[1" in allowed(HEAD + two_bars[:-1] + ["|]", "|:"] + two_bars)
    assert "[1" in allowed(HEAD + two_bars)
