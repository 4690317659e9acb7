"""Chord symbols: canonical tokens, transposed with the notes (to C for training, back for
sampling), and the chords of sampled tunes in the key asked for."""

from __future__ import annotations

import random

import pytest

from conftest import TINY_MODEL, train_in_process
from gen.music.abc.chords import chord_token, chord_tones, transpose_chord
from gen.music.abc.lexer import lex_body, lex_tune, split_tunes
from gen.music.abc.pitch import interval, pitches, transpose


@pytest.mark.parametrize("text,token", [
    ("Am", '"Am"'), ("A7", '"A7"'), ("Amin7", '"Am7"'), ("Bbmaj7", '"Bbmaj7"'), ("GM7", '"Gmaj7"'),
    ("F#m7b5", '"F#m7b5"'), ("Eo7", '"Edim7"'), ("C+", '"Caug"'), ("Dsus", '"Dsus4"'),
    ("G7/b", '"G7/B"'), ("D/f+", '"D/F#"'), ("Am/e", '"Am/E"'), ("Gmaj", '"G"'),
    ("^Segno", None), ("4", None), ("D.C.", None), ("A MINOR", None), ("tr", None),
])
def test_chord_tokens_are_canonical(text, token):
    assert chord_token(text) == token


def test_lexer_keeps_chords_and_drops_annotations():
    assert lex_body('"Amin"A "^Segno"B "4"c "D/f+"d') == ['"Am"', "A", "B", "c", '"D/F#"', "d"]


def test_chord_tones():
    assert chord_tones('"G7"') == {7, 11, 2, 5}
    assert chord_tones('"Am"') == {9, 0, 4}
    assert chord_tones('"D/F#"') == {2, 6, 9}
    assert chord_tones('"Bbmaj7"') == {10, 2, 5, 9}
    assert chord_tones('"Bm7b5"') == {11, 2, 5, 9}


TUNE = ('X:1\nT:t\nM:4/4\nL:1/4\nK:D\n|:"D"A/2d/2d/2c/2 d/2e/2f/2d/2|"Em"e/2d/2c/2B/2 "A7"AA/2B/2|'
        '"G/B"B2 "F#m"A2|"Bm7"B "E7/G#"^G "A7"A2:|\n')


def test_tune_in_d_with_a7_becomes_c_with_g7():
    tokens = lex_tune(TUNE)
    moved = transpose(tokens, "C")
    assert "K:Cmaj" in moved
    chords = [t for t in moved if t[:1] == '"']
    assert chords == ['"C"', '"Dm"', '"G7"', '"F/A"', '"Em"', '"Am7"', '"D7/F#"', '"G7"']


def test_transpose_round_trip_with_chords():
    tokens = lex_tune(TUNE)
    for tonic in ["C", "G", "Bb", "F#", "Eb", "A"]:
        moved = transpose(tokens, tonic)
        assert transpose(moved, "D") == tokens
        # Every chord moved by the interval the notes moved by.
        shifts = {(b - a) % 12 for a, b in zip(pitches(tokens), pitches(moved)) if a is not None}
        assert len(shifts) == 1
        shift = shifts.pop()
        for a, b in zip(tokens, moved):
            if a[:1] == '"':
                assert chord_tones(b) == {(t + shift) % 12 for t in chord_tones(a)}


def test_chord_spelling_follows_the_key():
    steps, semis = interval("D", "Bb")  # D major → Bb major: A7 → F7, F#m → Dm, E7/G# → C7/E
    assert [transpose_chord(c, steps, semis) for c in ['"A7"', '"F#m"', '"E7/G#"']] == \
        ['"F7"', '"Dm"', '"C7/E"']
    steps, semis = interval("C", "F#")
    assert transpose_chord('"B7"', steps, semis) == '"E#7"'  # the key's spelling: B → E# in F#
    assert transpose_chord('"F#"', steps, semis) == '"B#"'


def test_finished_tunes_carry_the_keys_chords():
    """A tune sampled in C and written out in D has D's chords (G7 in C is A7 in D)."""
    from types import SimpleNamespace

    from gen.music.abc.seed import Plan, finish_tunes

    tokens = ["<s>", "M:4/4", "L:1/4", "K:Cmaj", '"C"', "c", "e", '"G7"', "d", "B", "|",
              '"F"', "A", "c", '"C"', "c", "2", "|]", "</s>"]
    req = SimpleNamespace(music={}, rng_seed=0)
    text = finish_tunes([tokens], Plan(["<s>"], out_tonic="D"), req)[0]
    assert "K:Dmaj" in text and '"A7"' in text and '"G"' in text and '"D"' in text
    assert '"C"' not in text and '"G7"' not in text


def chord_corpus(n: int = 60) -> str:
    """Tunes in several keys, a chord over every beat: I IV V7 I, moved to each key."""
    rng = random.Random(0)
    out = []
    base = ['"C"', "c", "e", '"F"', "f", "a", "|", '"G7"', "g", "f", '"C"', "e", "c", "|",
            '"C"', "e", "g", '"F"', "a", "f", "|", '"G7"', "d", "B", '"C"', "c", "2", "|]"]
    from gen.music.abc.write import write_body

    for i in range(n):
        tonic = rng.choice(["C", "D", "G", "A", "F"])
        toks = transpose(["K:Cmaj", *base], tonic)
        out.append(f"X:{i + 1}\nT:t{i}\nM:4/4\nL:1/4\n{toks[0]}\n{write_body(toks[1:], 'M:4/4')}\n")
    return "\n".join(out)


@pytest.fixture(scope="module")
def chord_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chords")
    corpus = folder / "chords.abc"
    corpus.write_text(chord_corpus())
    out = folder / "run"
    train_in_process(corpus, out, "--steps", "60", "--eval-every", "30", *TINY_MODEL)
    return out


def test_training_tokens_hold_chords_in_c(chord_run):
    import json

    vocab = json.loads((chord_run / "meta.json").read_text())
    text = json.dumps(vocab)
    assert '\\"G7\\"' in text and '\\"D7\\"' not in text and '\\"E7\\"' not in text


def test_sampled_tunes_in_d_carry_ds_chords(gen, chord_run):
    r = gen("sample", "-c", chord_run, "-N", "6", "--rng-seed", "2", "-q", "--key", "D")
    assert r.code == 0
    tunes = split_tunes(r.out)
    assert len(tunes) == 6
    d_chords = {'"D"', '"G"', '"A7"'}
    chords = [t for tune in tunes for t in lex_tune(tune) if t[:1] == '"']
    assert chords, "the tiny model should place chords (every beat of its corpus has one)"
    assert all(lex_tune(t)[3] == "K:Dmaj" for t in tunes)
    assert sum(c in d_chords for c in chords) >= 0.9 * len(chords)
