"""What a musician compares (`gen check --against`): chord tones, bar-line layouts, the corpus's
halves as the reference, and abc2midi's verdict per tune — on small handwritten tunes whose
figures are worked out by hand below."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

import pytest

from gen.music.abc.lexer import lex_tune
from gen.music.compare import compare
from gen.music.profile import (ends_with_pickup, js_distance, layout, merged, notes, profile,
                               tune_counts)

# Bar 0 is a pickup with no chord over it (left out). Bar 1: "C" over D3 (3/4, not C E G) and
# C (1/4, a tone): 1/4 of 1 in. Bar 2: "G7" (G B D F) over G2 (in) and A2 (out): 1/2 in.
# Bar 3: "Am" over A2-A2, a tie, (in): 1 in. Duration-weighted: (1/4 + 1/2 + 1) / 3 = 7/12;
# counting notes it would be 3 of 5 (tie as one) — the weighting matters.
CHORDED = 'X:1\nT:Hand\nM:4/4\nL:1/4\nK:C\nG|"C"D3C|"G7"G2A2|"Am"A2-A2|]\n'
JIG = "X:2\nT:Jig\nM:6/8\nL:1/8\nK:D\n|:A|dAF dAF|GBd gfe|dAF dAF|[1GEF D2:|[2GEF D3|]\n"
LONE_PICKUP = "X:3\nT:Lone pickup\nM:6/8\nL:1/8\nK:D\nA|dAF dAF|GBd gfe|dAF dAF|GEF D2:|d|\n"
DOUBLE = "X:4\nT:Reel\nM:4/4\nL:1/8\nK:G\n|:GABc dedB|GABc d4::gfga bgag|gfed B4:|\n"
LONG_BAR = "X:5\nT:Long bar\nM:6/8\nL:1/8\nK:D\ndAF dAF|GBd gfe a|dAF D3|]\n"


def test_chord_tone_share_by_hand():
    c = tune_counts(lex_tune(CHORDED))
    assert c["has_chords"]
    assert c["chord_in"] / c["chord_all"] == Fraction(7, 12)
    assert c["chord_all"] == 3  # the pickup, under no chord, is left out
    assert profile([lex_tune(CHORDED)])["chord_tone_share"] == pytest.approx(7 / 12)


def test_notes_time_and_ties():
    items = notes(lex_tune(CHORDED))
    assert [(n.bar, n.onset, n.dur) for n in items][:3] == [
        (0, 0, Fraction(1, 4)), (1, 0, Fraction(3, 4)), (1, Fraction(3, 4), Fraction(1, 4))]
    tied = merged(items)
    assert len(items) == 7 and len(tied) == 6 and tied[-1].dur == 1  # A2-A2 is one sound
    # Broken rhythm and triplets: A>B lasts 3/8 + 1/8, (3Bcd three twelfths.
    durs = [n.dur for n in notes(lex_tune("X:1\nM:2/4\nL:1/8\nK:C\nA>B (3cde|]\n"))]
    assert durs == [Fraction(3, 16), Fraction(1, 16)] + [Fraction(1, 12)] * 3


def test_layout_strings():
    assert layout(lex_tune(JIG)) == "|: p 3 [1 1 :| [2 1 |]"
    assert layout(lex_tune(LONE_PICKUP)) == "p 4 :| p"
    assert layout(lex_tune(DOUBLE)) == "|: 2 :| |: 2 :|"  # "::" reads as ":| |:"
    assert layout(lex_tune(CHORDED)) == "p 3 |]"
    assert ends_with_pickup(layout(lex_tune(LONE_PICKUP)))
    assert not any(ends_with_pickup(layout(lex_tune(t))) for t in (JIG, DOUBLE, CHORDED))


def test_js_distance():
    from collections import Counter

    assert js_distance(Counter({1: 2, 2: 2}), Counter({1: 5, 2: 5})) == 0
    assert js_distance(Counter({1: 1}), Counter({2: 1})) == pytest.approx(1.0)


def test_halves_are_the_reference():
    corpus = [(t, lex_tune(t)) for t in (JIG, CHORDED, LONE_PICKUP, DOUBLE)]
    report = compare([DOUBLE], corpus)
    # Halves: tunes 0, 2 (JIG, LONE_PICKUP) and 1, 3 (CHORDED, DOUBLE).
    assert report["half_a"]["tunes"] == 2 and report["half_b"]["tunes"] == 2
    assert report["half_a"]["pickup_end"] == 0.5 and report["half_b"]["pickup_end"] == 0
    assert report["half_a"]["chord_tone_share"] is None
    assert report["half_b"]["chord_tone_share"] == pytest.approx(7 / 12)
    assert report["corpus"]["chord_tone_share"] == pytest.approx(7 / 12)
    assert report["sample"]["layout_in_corpus"] == 1.0  # DOUBLE's layout is the corpus's
    # One tune of the first half (JIG) against the second half: its layout is not there.
    assert report["reference_tunes"] == 1 and report["half_a"]["layout_in_corpus"] == 0.0
    ref = js_distance(profile([lex_tune(JIG)])["intervals"],
                      profile([lex_tune(CHORDED), lex_tune(DOUBLE)])["intervals"])
    assert report["half_a"]["intervals_js"] == pytest.approx(ref)
    assert report["sample"]["pickup_end"] == 0 and report["corpus"]["pickup_end"] == 0.25


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
def test_abc2midi_verdicts_per_tune_from_one_run():
    from gen.music.check import abc2midi_clean_many

    assert abc2midi_clean_many([JIG, LONG_BAR, CHORDED]) == [True, False, True]


def test_cli_against(gen, tmp_path):
    corpus = tmp_path / "corpus.abc"
    corpus.write_text("\n".join([JIG, CHORDED, LONE_PICKUP, DOUBLE]))
    tunes = tmp_path / "tunes.abc"
    tunes.write_text(CHORDED + "\n" + LONE_PICKUP)
    r = gen("check", tunes, "--against", corpus, "--no-music21")
    assert "musician's view" in r.out and "corpus halves" in r.out
    row = next(ln for ln in r.out.splitlines() if ln.startswith("melody notes that are chord tones"))
    assert row.split()[6:8] == ["58%", "58%"]  # 7/12 in the tunes and in the corpus
    row = next(ln for ln in r.out.splitlines() if ln.startswith("ends with a lone pickup bar"))
    assert row.split()[6:8] == ["50%", "25%"]
    data = json.loads(gen("check", tunes, "--against", corpus, "--no-music21", "--json").out)
    assert data["against"]["sample"]["layouts"] == ["p 3 |]", "p 4 :| p"]
    assert data["against"]["form"]["tunes"] == 4
    r = gen("check", tunes, "--against", tmp_path / "missing.abc")
    assert r.code != 0 and r.out == "" and "no such file" in r.err
