"""Vocabulary and text tokenizers: round-trips, ordering, unknown tokens."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gen.errors import GenError
from gen.tokenize import Vocab, split_text, vocab_from_json


def test_char_vocab_is_sorted_and_round_trips():
    text = "hello, world\nHELLO!"
    v = Vocab.build(split_text(text, "char"), "char")
    assert v.tokens == sorted(set(text))
    assert v.decode_text(v.encode_text(text)) == text


def test_vocab_json_round_trip():
    v = Vocab.build(split_text("to be or not", "word"), "word", max_size=100)
    w = vocab_from_json(v.to_json())
    assert w.tokens == v.tokens and w.level == "word" and w.unk == v.unk


def test_unknown_characters_are_named():
    v = Vocab.build(list("abc"), "char")
    with pytest.raises(GenError, match=r"2 characters: 'é', '\\t'"):
        v.encode_text("abé\t")


def test_word_tokens_keep_spacing_and_lines():
    text = "ROMEO:\nBut, soft!  What light\n\nthrough"
    toks = split_text(text, "word")
    assert toks[:3] == ["ROMEO", ":", "\n"]
    assert "  What" in toks
    assert "".join(toks) == text


def test_word_vocab_cap_maps_rare_words_to_unk():
    text = " a a a a b b b c c d"
    v = Vocab.build(split_text(text, "word"), "word", max_size=3)
    assert v.tokens == ["<unk>", " a", " b"]
    assert v.decode(v.encode_text(" a d")) == [" a", "<unk>"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_char_round_trip_property(text):
    v = Vocab.build(split_text(text, "char"), "char")
    assert v.decode_text(v.encode_text(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_word_round_trip_property(text):
    # Every text over the vocabulary comes back exactly: no spacing is guessed.
    v = Vocab.build(split_text(text, "word"), "word", max_size=10**6)
    assert v.decode_text(v.encode_text(text)) == text
