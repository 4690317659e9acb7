"""`gen render`: MIDI through music21, WAV and sheet music through Debian tools, and one clear
line naming the package when a tool is missing."""

from __future__ import annotations

import shutil

import pytest

TUNE = "X:1\nT:Jig\nM:6/8\nL:1/8\nK:D\nA|dAF dAF|GBd gfe|dAF dAF|GEF D2:|\n"


@pytest.fixture
def tune(tmp_path):
    f = tmp_path / "jig.abc"
    f.write_text(TUNE + "\n" + TUNE.replace("X:1", "X:2"))
    return f


@pytest.mark.parametrize("to,package", [("wav", "timidity"), ("svg", "abcm2ps"),
                                        ("png", "librsvg2-bin")])
def test_missing_tool_is_one_clear_line(gen, tune, monkeypatch, tmp_path, to, package):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    r = gen("render", tune, "--to", to)
    assert r.code == 1 and r.out == ""
    assert r.err.startswith("error: ") and r.err.count("\n") == 1 and package in r.err


def test_midi_through_music21(gen, tune, tmp_path):
    import mido

    r = gen("render", tune, "--to", "mid", "-o", tmp_path / "out.mid")
    assert r.code == 0 and r.out == ""
    for name in ("out-1.mid", "out-2.mid"):
        assert mido.MidiFile(tmp_path / name).length > 0


@pytest.mark.skipif(not shutil.which("abcm2ps"), reason="abcm2ps not installed")
def test_svg_through_abcm2ps(gen, tune, tmp_path):
    r = gen("render", tune, "--to", "svg", "-o", tmp_path / "sheet.svg")
    assert r.code == 0
    pages = list(tmp_path.glob("sheet*.svg"))
    assert pages and "<svg" in pages[0].read_text()


@pytest.mark.skipif(not (shutil.which("fluidsynth") or shutil.which("timidity")),
                    reason="no synthesizer installed")
def test_wav_from_abc_and_from_midi(gen, tmp_path):
    one = tmp_path / "one.abc"
    one.write_text(TUNE)
    r = gen("render", one, "--to", "wav")
    assert r.code == 0
    wav = tmp_path / "one.wav"
    assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 10000
    r = gen("render", one, "--to", "mid")
    r = gen("render", tmp_path / "one.mid", "--to", "wav", "-o", tmp_path / "again.wav")
    assert r.code == 0 and (tmp_path / "again.wav").exists()


def test_bad_requests(gen, tune, tmp_path):
    assert "choose" in gen("render", tune, "--to", "mp3").err
    assert "no such file" in gen("render", tmp_path / "nope.abc", "--to", "mid").err


@pytest.mark.skipif(not (shutil.which("abcm2ps") and shutil.which("rsvg-convert")),
                    reason="abcm2ps or rsvg-convert (librsvg2-bin) not installed")
def test_png_through_abcm2ps_and_rsvg(gen, tune, tmp_path):
    r = gen("render", tune, "--to", "png", "-o", tmp_path / "sheet.png")
    assert r.code == 0
    assert (tmp_path / "sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
