"""ABC tokens: lexing details, round trips (checked with music21), transposition, vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gen.music.abc.pitch import pitches, transpose
from gen.music.abc.write import write_body, write_tune
from gen.tokenize import Vocab
from gen.music.abc.lexer import AbcError, lex_body, lex_tune, norm_field, split, split_tunes

IRISH = Path(__file__).resolve().parents[1] / "corpora" / "irish.abc"


def test_split_tunes_at_x_lines():
    tunes = split_tunes(IRISH.read_text())
    assert len(tunes) == 804
    assert all(t.startswith("X:") for t in tunes)
    assert split_tunes("% a file header\nL:1/8\n\nX:1\nK:D\nA|\n\nX:2\nK:G\nB|\n") == \
        ["X:1\nK:D\nA|\n\n", "X:2\nK:G\nB|\n"]


@pytest.mark.parametrize("text,tokens", [
    ("(3ABc d2", ["(3", "A", "B", "c", "d", "2"]),
    ("A3/2B/ c//", ["A", "3/2", "B", "/2", "c", "/4"]),
    ("^F,=c'_B", ["^F,", "=c'", "_B"]),
    ("|:A:|2B||c|]", ["|:", "A", ":|", "[2", "B", "||", "c", "|]"]),
    ("[1 A :: B", ["[1", "A", "::", "B"]),
    ('"Am"A>B-B<c', ['"Am"', "A", ">", "B", "-", "B", "<", "c"]),
    ("!trill!A {g}B ~c (de) z2", ["A", "B", "c", "d", "e", "z", "2"]),
    ("[CEG]2 [K:G Major]A", ["C", "2", "K:Gmaj", "A"]),
])
def test_lexing(text, tokens):
    assert lex_body(text) == tokens


def test_headers_are_normalised():
    assert norm_field("K", " D Mixolydian") == "K:Dmix"
    assert norm_field("K", "Em") == "K:Emin"
    assert norm_field("K", "Bb") == "K:Bbmaj"
    assert norm_field("M", "6/8") == "M:6/8" and norm_field("M", "C|") == "M:C|"
    with pytest.raises(AbcError):
        norm_field("K", "HP")
    tokens = lex_tune("X:1\nT:t\nM:6/8\nK:D\nA|\n")
    assert tokens[:4] == ["<s>", "M:6/8", "L:1/8", "K:Dmaj"] and tokens[-1] == "</s>"


def m21_notes(text: str):
    from gen.music.abc.write import tune_notes

    return tune_notes(text)


@pytest.mark.parametrize("index", [0, 150, 300, 450, 600, 750])
def test_round_trip_keeps_the_notes(index):
    """ABC → tokens → ABC: music21 (reading both as ABC 2.1) hears the same notes."""
    original = split_tunes(IRISH.read_text())[index]
    written = write_tune(lex_tune(original), 1)
    assert m21_notes(written) == m21_notes(original)


def test_round_trip_is_stable_on_the_corpus():
    """Writing and lexing again gives the same tokens for every readable corpus tune."""
    for text in split_tunes(IRISH.read_text()):
        try:
            tokens = lex_tune(text)
        except AbcError:
            continue
        assert lex_tune(write_tune(tokens, 1)) == tokens


def test_transpose_to_c_and_back():
    for text in split_tunes(IRISH.read_text())[:200]:
        tokens = lex_tune(text)
        key = next(t for t in tokens if t.startswith("K:"))
        moved = transpose(tokens, "C")
        assert next(t for t in moved if t.startswith("K:")).startswith("K:C")
        shifts = {b - a for a, b in zip(pitches(tokens), pitches(moved)) if a is not None}
        assert len(shifts) == 1
        assert pitches(transpose(moved, key[2:-3])) == pitches(tokens)


def test_vocab_join_writes_whole_tunes():
    tokens = split(IRISH.read_text()[:2000])
    vocab = Vocab.build(tokens, "abc", specials=["<s>", "</s>"])
    assert vocab.tokens[:2] == ["<s>", "</s>"]
    text = vocab.decode_text(vocab.encode(tokens))
    assert text.startswith("X:1\nT:") and "K:Dmaj" in text
    assert split(text) == tokens


PITCH = st.sampled_from(["A", "B,", "c", "d'", "^F", "=c", "_B", "z", "G,,", "^^g", "__e"])
LENGTH = st.sampled_from([[], ["2"], ["/2"], ["3/2"], ["3"], ["/4"], ["4"]])


@st.composite
def note(draw):
    return [draw(PITCH), *draw(LENGTH)]


@st.composite
def unit(draw):
    kind = draw(st.sampled_from(["note", "note", "note", "bar", "tuplet", "tie", "broken",
                                 "chord", "field", "ending"]))
    if kind == "note":
        return draw(note())
    if kind == "bar":
        return [draw(st.sampled_from(["|", "||", "|]", ":|", "::"]))]
    if kind == "tuplet":
        return ["(3", *draw(note()), *draw(note()), *draw(note())]
    if kind == "tie":
        first = draw(note())
        return [*first, "-", first[0]] if first[0] != "z" else first
    if kind == "broken":
        return [*draw(note()), draw(st.sampled_from([">", "<"])), *draw(note())]
    if kind == "chord":
        return ['"Am"', *draw(note())]
    if kind == "field":
        return ["|", draw(st.sampled_from(["K:Gmaj", "M:3/4", "L:1/16"])), *draw(note())]
    return ["|", draw(st.sampled_from(["[1", "[2"])), *draw(note())]


@settings(max_examples=200, deadline=None)
@given(st.lists(unit(), min_size=1, max_size=30))
def test_decode_encode_property(units):
    tokens = [t for u in units for t in u]
    assert lex_body(write_body(tokens, "M:6/8")) == tokens
    full = ["<s>", "M:C", "L:1/8", "K:Ador", "a", *tokens, "</s>"]
    assert lex_tune(write_tune(full, 3)) == full
