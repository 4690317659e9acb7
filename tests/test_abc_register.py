"""Tunes sampled in C are moved back to a corpus tonic in the corpus's own octave: the corpus's
pitch ranges are stored at training time and `finish_tunes` picks the octave that leaves the
fewest notes outside them. Built from token lists: no training."""

from __future__ import annotations

from types import SimpleNamespace

from gen.music.abc.corpus import load
from gen.music.abc.pitch import fit_register, move_octaves, pitches, transpose
from gen.music.abc.seed import Plan, finish_tunes, make_plan
from gen.music.abc.write import write_tune
from gen.tokenize.vocab import Vocab

HEAD = ["<s>", "M:4/4", "L:1/8", "K:Cmaj"]
# In C it climbs to e' (MIDI 88); moved to the nearest D it would reach f#' (90).
HIGH = [*HEAD, '"C"', "c", "e", "g", "c'", "e'", "c'", "g", "e", "|", '"G7"', "d", "8", "|]", "</s>"]
# g..e in C: a..f# in D, well inside a register of D..b.
MIDDLE = [*HEAD, '"C"', "G", "A", "B", "c", "d", "e", "d", "c", "|", '"G7"', "B", "8", "|]", "</s>"]
# corpora/irish.abc: 98% of its notes lie in D..b, 98% of its tunes in G,..c'.
IRISH_RANGE = {"notes": [62, 83], "tunes": [55, 84]}


def req(**kw):
    return SimpleNamespace(**{"music": {}, "rng_seed": 0, "seed": None, "seed_file": None, **kw})


def heights(tokens):
    return [p for p in pitches(tokens) if p is not None]


def body(text: str) -> str:
    return text.split("K:", 1)[1].split("\n", 1)[1]


def test_a_tune_an_octave_too_high_comes_down_into_the_corpus_range():
    naive = transpose(HIGH, "D")
    assert max(heights(naive)) == 90  # the nearest D puts it above the corpus's b
    text = finish_tunes([HIGH], Plan(["<s>"], out_tonic="D", register=IRISH_RANGE), req())[0]
    assert text == write_tune(move_octaves(naive, -1), 1, "Sample 1")
    assert "K:Dmaj" in text
    assert body(text).startswith('"D"DFAd fdAF|"A7"E8|]')  # an octave down; chords as before
    assert "'" not in body(text)


def test_a_tune_in_range_is_unchanged():
    naive = write_tune(transpose(MIDDLE, "D"), 1, "Sample 1")
    text = finish_tunes([MIDDLE], Plan(["<s>"], out_tonic="D", register=IRISH_RANGE), req())[0]
    assert text == naive
    assert body(text).startswith('"D"ABcd efed|"A7"c8|]')


def test_fewest_notes_outside_then_the_smaller_move_then_down():
    tune = ["K:Cmaj", "C,", "^C,", "c", "^c"]  # 48 49 72 73
    wide = [0, 127]
    # An octave down or up leaves two of the four outside 60..61, where it is all four: down.
    assert fit_register(tune, {"tunes": wide, "notes": [60, 61]}) == ["K:Cmaj", "C,,", "^C,,", "C", "^C"]
    # Two outside 60..73 wherever it goes: it stays.
    assert fit_register(tune, {"tunes": wide, "notes": [60, 73]}) == tune
    # An octave up puts all four inside 60..85.
    assert fit_register(tune, {"tunes": wide, "notes": [60, 85]}) == ["K:Cmaj", "C", "^C", "c'", "^c'"]


def test_the_tunes_reach_comes_before_the_usual_register():
    tune = ["K:Cmaj", "G,", "A,", "B,", "C", "D", "E", "F", "G", "A", "B", "c", "d"]  # 55..74
    # Up, only c' and d' (84, 86) leave the usual D..b, against four notes below D where it is,
    # but d' is beyond what the corpus's tunes reach: it stays, G, being within their reach.
    assert fit_register(tune, IRISH_RANGE) == tune
    assert fit_register(tune, {**IRISH_RANGE, "tunes": [0, 127]}) == move_octaves(tune, 1)


def test_octave_marks_are_written_right():
    tokens = ["K:Cmaj", '"C"', "C,", "C", "c", "c'", "_B,", "=b", "z", "^f'", "2", "|"]
    up = move_octaves(tokens, 1)
    down = move_octaves(tokens, -1)
    assert up == ["K:Cmaj", '"C"', "C", "c", "c'", "c''", "_B", "=b'", "z", "^f''", "2", "|"]
    assert down == ["K:Cmaj", '"C"', "C,,", "C,", "C", "c", "_B,,", "=B", "z", "^f", "2", "|"]
    assert [p + 12 for p in heights(tokens)] == heights(up)
    assert [p - 12 for p in heights(tokens)] == heights(down)
    text = write_tune(["<s>", "M:4/4", "L:1/8", *down, "</s>"])
    assert body(text).startswith('"C"C,,C,Cc _B,,=Bz^f2|')


def loaded_run(stats: dict):
    """What `make_plan` reads of a run trained on a corpus moved to C."""
    tokens = ["<s>", "</s>", "M:4/4", "L:1/8", "K:Cmaj", "|", "|:", "|]", "c", "c'", "8"]
    return SimpleNamespace(vocab=Vocab(tokens, "abc", ["<s>", "</s>"]),
                           meta={"corpus": {"options": {"transpose": "C"}, "stats": stats}})


def test_a_run_without_the_range_keeps_the_nearest_tonics_octave():
    old = {"keys": {"K:Dmaj": 5}, "header_keys": ["K:Cmaj"]}  # trained before the range was kept
    plan = make_plan(loaded_run(old), req())
    assert plan.register is None
    assert finish_tunes([HIGH], plan, req()) == [write_tune(transpose(HIGH, "D"), 1, "Sample 1")]
    new = make_plan(loaded_run({**old, "pitch_range": IRISH_RANGE}), req())
    assert new.register == IRISH_RANGE
    assert finish_tunes([HIGH], new, req()) != finish_tunes([HIGH], plan, req())


def test_a_seed_with_notes_keeps_its_octave():
    stats = {"keys": {"K:Dmaj": 5}, "header_keys": ["K:Cmaj"], "pitch_range": IRISH_RANGE}
    assert make_plan(loaded_run(stats), req(seed="K:C\\n|:c'")).register is None
    assert make_plan(loaded_run(stats), req(seed="K:C")).register == IRISH_RANGE


def test_training_stores_the_range_the_tunes_are_written_in(tmp_path):
    corpus = tmp_path / "tunes.abc"
    corpus.write_text("X:1\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|efga b4|]\n\n"
                      "X:2\nM:4/4\nL:1/8\nK:G\nGABc defg|fedc B4|]\n")
    _, _, stats = load(str(corpus))
    assert stats["options"] == {"transpose": "C"}
    # As written, not as the tunes were moved to C (C..a and c..c').
    assert stats["pitch_range"] == {"notes": [62, 83], "tunes": [62, 83]}
    _, _, chars = load(str(corpus), "char")
    assert "pitch_range" not in chars


def test_the_tonic_is_drawn_among_those_the_tune_fits():
    import random

    from gen.music.abc.seed import pick_tonic

    tune = ["K:Cmaj", "C", "D", "E"]
    keys = {"K:Dmaj": 90, "K:Gmaj": 10, "K:Ador": 50}
    fits_only_g = {"D": 3, "G": 0}
    drawn = {pick_tonic(tune, keys, random.Random(s), fits_only_g.get) for s in range(30)}
    assert drawn == {"G"}  # D, nine times as common in the corpus, leaves notes out of reach
    free = {pick_tonic(tune, keys, random.Random(s)) for s in range(30)}
    assert free == {"D", "G"}  # without the register: the corpus's own mix, mode kept
