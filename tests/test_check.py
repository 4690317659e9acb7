"""`gen check`: verdicts on a good and a bad tune, totals, JSON, exit codes."""

from __future__ import annotations

import json
import shutil

from gen.music.check import check_tune

GOOD = "X:1\nT:Good\nM:6/8\nL:1/8\nK:D\nA|dAF dAF|GBd gfe|dAF dAF|GEF D2:|\n"
LONG_BAR = "X:2\nT:Long bar\nM:6/8\nL:1/8\nK:D\ndAF dAF|GBd gfe a|dAF D3|]\n"
UNREADABLE = "X:3\nT:No key\nM:6/8\ndAF dAF|\n"


def test_good_tune_passes():
    row = check_tune(GOOD)
    assert row["ok"] and row["bars_ok"] and row["music21_ok"]
    if shutil.which("abc2midi"):
        assert row["abc2midi_ok"] and row["abc2midi_clean"]


def test_bar_too_long_fails():
    row = check_tune(LONG_BAR)
    assert not row["ok"] and not row["bars_ok"] and "bar 2" in row["bar_problem"]
    assert row["music21_ok"]  # music21 reads it; the bar is still wrong
    if shutil.which("abc2midi"):
        assert not row["abc2midi_clean"]  # abc2midi warns about the bar's time units


def test_cli_report_and_exit_codes(gen, tmp_path):
    good = tmp_path / "good.abc"
    good.write_text(GOOD)
    r = gen("check", good)
    assert r.code == 0 and "X:1" in r.out and "total: 1/1 tunes pass" in r.out
    both = tmp_path / "both.abc"
    both.write_text(GOOD + "\n" + LONG_BAR + "\n" + UNREADABLE)
    r = gen("check", both)
    assert r.code == 1 and "total: 1/3 tunes pass" in r.out and "bars right 1/3" in r.out
    r = gen("check", both, "--json")
    data = json.loads(r.out)
    assert [t["ok"] for t in data["tunes"]] == [True, False, False]
    assert data["totals"]["tunes"] == 3


def test_cli_no_tunes(gen, tmp_path):
    f = tmp_path / "none.abc"
    f.write_text("nothing here\n")
    r = gen("check", f)
    assert r.code == 1 and r.out == "" and "no ABC tunes" in r.err
