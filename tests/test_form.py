"""Form of ABC tunes (gen.music.form) and its report in `gen check`: sections counted as issue 11
defines them (pickups with their completing bar as one bar, endings once, repeats once)."""

from __future__ import annotations

import json

import pytest

from gen.music.form import forms, summarise, text_form

HEAD = "X:1\nT:t\nM:{m}\nL:1/8\nK:{k}\n"
BAR44 = "ABcd efge|"


def tune(body: str, m: str = "4/4", k: str = "D") -> str:
    return HEAD.format(m=m, k=k) + body + "\n"


def test_two_repeated_eight_bar_parts():
    f = text_form(tune("|:" + BAR44 * 7 + "fedc d4:|\n|:" + BAR44 * 7 + "fedc d4:|"))
    assert f.sections == [8, 8] and f.repeats == [True, True]
    assert f.phrased and f.tonic_end is True


def test_pickup_and_completing_bar_count_as_one():
    # 1/8 pickup, 7 full bars, a closing bar of 7/8: the pickup and the last bar make bar 8.
    body = "|:A|" + BAR44 * 7 + "fedc d3:|"
    assert text_form(tune(body)).sections == [8]


def test_first_and_second_endings_count_once():
    body = "|:" + BAR44 * 6 + "[1 fedc d4:|[2 fedc D4||"
    f = text_form(tune(body))
    assert f.sections == [7]  # 6 bars + one ending
    body8 = "|:" + BAR44 * 7 + "[1 fedc d4:|[2 fedc D4|]"
    assert text_form(tune(body8)).sections == [8]


def test_nine_bar_section_is_not_phrased():
    f = text_form(tune(BAR44 * 8 + "||" + BAR44 * 8 + "fedc d4|]"))
    assert f.sections == [8, 9] and not f.phrased


@pytest.mark.parametrize("meter,bar", [("6/8", "ABc def|"), ("9/8", "ABc def gfe|")])
def test_compound_meters(meter, bar):
    f = text_form(tune("|:" + bar * 8 + ":|", m=meter))
    assert f.sections == [8] and f.phrased


@pytest.mark.parametrize("key,last,expected", [("Dmix", "D", True), ("Ador", "A", True),
                                               ("Ador", "D", False), ("Em", "E", True),
                                               ("Bb", "=B", False), ("Bb", "B", True)])
def test_tonic_with_modes_and_accidentals(key, last, expected):
    assert text_form(tune(BAR44 * 3 + f"fedc {last}4|]", k=key)).tonic_end is expected


def test_unreadable_tune_is_reported_not_raised():
    f = text_form("X:1\nT:no key\nabc|\n")
    assert f.error and not f.phrased


def test_summary_figures():
    good = tune("|:" + BAR44 * 8 + ":|\n|:" + BAR44 * 8 + ":|")
    odd = tune(BAR44 * 9 + "|]", k="G")
    s = summarise(forms(good + "\n" + odd))
    assert s["tunes"] == 2 and s["phrased"] == 0.5 and s["median_sections"] == 1.5
    assert s["section_bars"] == {"8": 2, "9": 1}


def test_bundled_corpus_has_the_issue_figures():
    from conftest import ROOT

    s = summarise(forms((ROOT / "corpora" / "irish.abc").read_text()))
    assert s["phrased"] > 0.95 and s["median_sections"] == 2 and 0.72 < s["tonic_end"] < 0.80


def test_check_reports_form_against_a_corpus(gen, tmp_path):
    mine = tmp_path / "mine.abc"
    mine.write_text(tune(BAR44 * 9 + "|]"))
    corpus = tmp_path / "corpus.abc"
    corpus.write_text(tune("|:" + BAR44 * 8 + ":|\n|:" + BAR44 * 8 + ":|"))
    r = gen("check", mine, "--no-music21", "--against", corpus)
    assert "form 9, ends off tonic" in r.out
    line = next(ln for ln in r.out.splitlines() if ln.startswith("every section whole"))
    assert line.split()[-2:] == ["0%", "100%"]
    assert "form" not in r.err
    j = gen("check", mine, "--no-music21", "--json", "--against", corpus)
    data = json.loads(j.out)
    assert data["tunes"][0]["form"]["sections"] == [9]
    assert data["against"]["form"]["median_sections"] == 2


def test_check_against_missing_file_is_one_line(gen, tmp_path):
    mine = tmp_path / "mine.abc"
    mine.write_text(tune(BAR44 * 8 + "|]"))
    r = gen("check", mine, "--no-music21", "--against", tmp_path / "nope.abc")
    assert r.code != 0 and r.err.strip().startswith("error:") and len(r.err.strip().splitlines()) == 1


def _score(tmp_path, fmt: str, double_at: int | None = None):
    from music21 import bar, meter, note, stream

    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    for i in range(16):
        m = stream.Measure(number=i + 1)
        for p in ("D4", "F#4", "A4", "D5" if i == 15 else "E4"):
            m.append(note.Note(p, quarterLength=1))
        if double_at is not None and i + 1 == double_at:
            m.rightBarline = bar.Barline("double")
        part.append(m)
    s = stream.Score([part])
    path = tmp_path / f"piece.{fmt}"
    s.write("midi" if fmt == "mid" else "musicxml", fp=str(path))
    return path


def test_check_reads_bars_from_a_midi_file(gen, tmp_path):
    r = gen("check", _score(tmp_path, "mid"))
    assert r.code == 0 and "form 16, ends on tonic" in r.out
    assert "no bar-line styles" in r.err


def test_check_finds_sections_at_double_bars_in_musicxml(gen, tmp_path):
    r = gen("check", _score(tmp_path, "musicxml", double_at=8), "--json")
    assert json.loads(r.out)["form"]["sections"] == [8, 8]


def test_check_against_a_music21_collection(gen, tmp_path):
    mine = tmp_path / "mine.abc"
    mine.write_text(tune("|:" + BAR44 * 8 + ":|"))
    r = gen("check", mine, "--no-music21", "--against", "music21:oneills1850")
    assert "music21:oneills1850" in r.out and not r.err.startswith("error")
    tunes = next(ln for ln in r.out.splitlines() if ln.startswith("tunes")).split()
    assert int(tunes[-1]) > 1000
