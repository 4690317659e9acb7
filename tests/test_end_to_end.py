"""End to end, as a user runs gen: a real corpus, a short real training run, then sampling.

Slow (about a minute each): deselect with -m "not slow" while developing; CI runs them.
"""

import shutil
from pathlib import Path

import mido
import pytest

from conftest import ROOT, gen_subprocess

pytestmark = pytest.mark.slow


def test_shakespeare_trains_and_samples(tmp_path):
    run = tmp_path / "shakespeare"
    r = gen_subprocess("train", ROOT / "corpora" / "tinyshakespeare.txt", "--minutes", "0.4",
                       "-o", run, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and "best validation" in r.stderr
    s = gen_subprocess("sample", "-c", run, "--seed", "ROMEO:", "--length", "300", "--rng-seed", "1")
    assert s.returncode == 0 and s.stdout.startswith("ROMEO:")
    words = s.stdout.split()
    # Even 25 seconds of training yields mostly real words: a letter soup would fail this.
    common = {"the", "and", "to", "of", "I", "you", "my", "a", "that", "in", "is", "me", "not"}
    assert sum(w.strip(",.;:!?").lower() in {c.lower() for c in common} for w in words) >= 3


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abcmidi (Debian) not installed")
def test_irish_tunes_train_sample_and_pass_abc2midi(tmp_path):
    from gen.music.check import abc2midi_report

    run = tmp_path / "irish"
    r = gen_subprocess("train", ROOT / "corpora" / "irish.abc", "--minutes", "0.5", "-o", run,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    s = gen_subprocess("sample", "-c", run, "-N", "5", "--rng-seed", "2", "-q")
    assert s.returncode == 0 and s.stdout.count("X:") == 5
    report = abc2midi_report(s.stdout)
    assert report is not None and report["errors"] == []
    mid = tmp_path / "tune.mid"
    m = gen_subprocess("sample", "-c", run, "-N", "2", "--rng-seed", "2", "-o", mid, "-q")
    assert m.returncode == 0, m.stderr
    for i in (1, 2):
        notes = [msg for msg in mido.MidiFile(tmp_path / f"tune-{i}.mid") if msg.type == "note_on"]
        assert len(notes) >= 8


def test_midi_folder_trains_and_continues_a_primer(tmp_path):
    import music21

    src = Path(music21.__file__).parent / "midi" / "testPrimitive"
    folder = tmp_path / "midi"
    shutil.copytree(src, folder)
    run = tmp_path / "notes"
    r = gen_subprocess("train", folder, "--minutes", "0.3", "-o", run, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "cont.mid"
    s = gen_subprocess("sample", "-c", run, "--seed", "C4 E4 G4 C5", "--length", "120",
                       "-o", out, "--rng-seed", "3", "-q")
    assert s.returncode == 0, s.stderr
    ons = [msg.note for msg in mido.MidiFile(out) if msg.type == "note_on" and msg.velocity > 0]
    assert ons[:4] == [60, 64, 67, 72]  # the primer first, then the continuation
    assert len(ons) > 4
