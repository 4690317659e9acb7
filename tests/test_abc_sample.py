"""Sampling ABC runs: whole tunes on stdout, end-of-tune stopping, seeds, keys, MIDI output."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TINY_MODEL, train_in_process
from gen.music.check import check_text
from gen.music.abc.lexer import split_tunes

IRISH = Path(__file__).resolve().parents[1] / "corpora" / "irish.abc"


@pytest.fixture(scope="module")
def abc_run(tmp_path_factory) -> Path:
    """A tiny LSTM trained 40 steps on 120 Irish tunes (seconds)."""
    folder = tmp_path_factory.mktemp("abc")
    corpus = folder / "tunes.abc"
    corpus.write_text("".join(split_tunes(IRISH.read_text())[:120]))
    out = folder / "run"
    train_in_process(corpus, out, "--steps", "40", "--eval-every", "20", *TINY_MODEL)
    return out


def test_samples_are_whole_valid_tunes(gen, abc_run):
    r = gen("sample", "-c", abc_run, "-N", "4", "--rng-seed", "1", "-q", "--length", "200")
    assert r.code == 0 and r.err == ""
    tunes = split_tunes(r.out)
    assert [t.splitlines()[0] for t in tunes] == ["X:1", "X:2", "X:3", "X:4"]
    for t in tunes:
        assert "\nT:" in t and "\nM:" in t and "\nL:" in t and "\nK:" in t
    report = check_text(r.out, use_music21=False)
    assert report["totals"]["bars_ok"] == 4  # constrained: every bar the right length
    if "abc2midi_ok" in report["totals"]:
        assert report["totals"]["abc2midi_ok"] == 4


def test_each_stream_stops_at_its_end(abc_run):
    from gen import checkpoint as ckpt
    from gen.music.abc.sample import generate
    from gen.music.abc.seed import Plan

    loaded = ckpt.load_model(abc_run)
    tunes, _ = generate(loaded, Plan(["<s>"]), 5, 1.0, None, None, 3, max_tokens=150)
    for t in tunes:
        assert t[0] == "<s>" and t[-1] == "</s>" and t.count("</s>") == 1
        assert t[1].startswith("M:") and t[2].startswith("L:") and t[3].startswith("K:")
        assert len(t) < 150 + 260


def test_seed_is_honoured(gen, abc_run):
    r = gen("sample", "-c", abc_run, "--seed", "M:6/8\\nK:D\\n|:A", "--rng-seed", "2", "-q",
            "--bars", "6")
    assert r.code == 0
    tune = split_tunes(r.out)[0]
    assert "\nM:6/8\n" in tune and "\nK:Dmaj\n" in tune
    assert tune.split("K:Dmaj\n", 1)[1].startswith(("A", "|:A"))


def test_seed_with_unknown_tokens_is_refused(gen, abc_run):
    r = gen("sample", "-c", abc_run, "--seed", "M:13/16\\nK:D\\nA")
    assert r.code == 1 and r.out == ""
    assert "M:13/16" in r.err and "never saw" in r.err and r.err.count("\n") <= 2
    r = gen("sample", "-c", abc_run, "--seed", "K:D\\nA@B")
    assert r.code == 1 and r.out == "" and "not ABC" in r.err


def test_key_moves_the_tune(gen, abc_run):
    r = gen("sample", "-c", abc_run, "--key", "Bb", "--rng-seed", "4", "-q", "--bars", "4")
    assert r.code == 0 and "\nK:Bb" in r.out
    r = gen("sample", "-c", abc_run, "--key", "H", "-q")
    assert r.code == 1 and "--key" in r.err


def test_midi_written_and_read_back(gen, abc_run, tmp_path):
    import mido

    out = tmp_path / "tune.mid"
    r = gen("sample", "-c", abc_run, "-N", "2", "--rng-seed", "5", "--bars", "8", "-o", out)
    assert r.code == 0 and r.out == "" and "wrote 2 tunes" in r.err
    for name in ("tune-1.mid", "tune-2.mid"):
        midi = mido.MidiFile(tmp_path / name)
        notes = [m for track in midi.tracks for m in track if m.type == "note_on" and m.velocity]
        assert notes and midi.length > 0


def test_free_sampling_still_ends_tunes(gen, abc_run):
    r = gen("sample", "-c", abc_run, "--free", "-N", "2", "--rng-seed", "6", "-q", "--length", "120")
    assert r.code == 0 and len(split_tunes(r.out)) == 2


def test_char_level_run(gen, tmp_path):
    corpus = tmp_path / "few.abc"
    corpus.write_text("".join(split_tunes(IRISH.read_text())[:30]))
    run = tmp_path / "char"
    r = gen("train", corpus, "--level", "char", "--steps", "10", "--eval-every", "10", "-o", run,
            *TINY_MODEL)
    assert r.code == 0
    r = gen("sample", "-c", run, "-N", "2", "--rng-seed", "1", "-q", "--length", "300")
    assert r.code == 0 and r.out.startswith("X:1\nT:Sample 1\n") and "\nX:2\n" in r.out
