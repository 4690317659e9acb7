"""Note-level music: stream ↔ events round trip, MIDI writing read back with mido, corrupt
files skipped, primer continuation. Tiny files are built here with music21; no training."""

from fractions import Fraction
from pathlib import Path

import pytest

from gen.errors import GenError
from gen.music.notes import tokens as nt

music21 = pytest.importorskip("music21")
from music21 import chord, meter, note, stream  # noqa: E402


def m21_notes(s):
    """(midi, start, end) in quarter-note Fractions for every pitch of a stream."""
    out = []
    for n in s.flatten().notes:
        for p in n.pitches:
            out.append((p.midi, Fraction(n.offset), Fraction(n.offset) + Fraction(n.quarterLength)))
    return sorted(out)


def tokens_notes(tokens):
    return sorted((m, Fraction(s, nt.GRID), Fraction(e, nt.GRID)) for m, s, e in nt.decode(tokens).notes)


def make_part(items, ts="4/4"):
    """items: (pitches or None for a rest, quarterLength)."""
    part = stream.Part()
    part.append(meter.TimeSignature(ts))
    for pitches, ql in items:
        if pitches is None:
            el = note.Rest()
        elif isinstance(pitches, list):
            el = chord.Chord(pitches)
        else:
            el = note.Note(pitches)
        el.quarterLength = ql
        part.append(el)
    return part.makeMeasures()


def test_round_trip_keeps_pitches_durations_triplets_rests():
    from gen.music.notes.events import encode_score, to_score

    third = Fraction(1, 3)
    part = make_part([("C4", 1), ("D4", third), ("E4", third), ("F4", third), (None, 1),
                      ("G4", Fraction(3, 2)), ("A4", Fraction(1, 2)), ("B4", 0.25), (None, 0.75),
                      ("C5", 1)])
    tokens = encode_score(part)
    assert tokens[0] == nt.START and tokens[-1] == nt.END and "M:4/4" in tokens
    assert "+1/3" in tokens and tokens.count(nt.BAR) == 2
    assert tokens_notes(tokens) == m21_notes(part)
    back, _ = to_score(tokens)
    assert m21_notes(back) == m21_notes(part)


def test_chords_and_parts_come_back_together():
    from gen.music.notes.events import encode_score

    upper = make_part([(["C4", "E4", "G4"], 2), (["D4", "F4", "A4"], 2)])
    lower = make_part([("C3", 4)])
    score = stream.Score([upper, lower])
    tokens = encode_score(score)
    assert tokens[tokens.index("M:4/4") + 1: tokens.index("M:4/4") + 6] == ["G4", "E4", "C4", "C3", "+2"]
    assert "~C3" in tokens
    assert tokens_notes(tokens) == m21_notes(score)


def test_bach_chorale_round_trip():
    from music21 import corpus

    from gen.music.notes.events import encode_stream

    s = corpus.parse("bach/bwv66.6")
    tokens = encode_stream(s)
    dec = nt.decode(tokens)
    assert max(len([n for n in dec.notes if n[1] <= t < n[2]]) for t in range(0, dec.end, 6)) == 4
    pitches = sorted({p.midi for n in s.flatten().notes for p in n.pitches})
    assert sorted({m for m, _, _ in dec.notes}) == pitches


def test_written_midi_reads_back_with_mido(tmp_path):
    from gen.music.notes.write import max_polyphony, read_midi_notes, write

    tokens = ["<s>", "K:C", "M:4/4", "E4", "C4", "+1", "~E4", "G3", "+1", "D4", "+1/2", "+1/2", "|", "</s>"]
    path = tmp_path / "x.mid"
    assert write(tokens, path, bpm=60, instrument="violin") == 4
    notes = read_midi_notes(path)  # mido, not music21
    assert [(n, round(s, 3), round(e, 3)) for n, s, e in notes] == [
        (64, 0.0, 2.0), (60, 0.0, 1.0), (55, 1.0, 2.0), (62, 2.0, 2.5)]
    assert max_polyphony(notes) == 2
    import mido

    msgs = [m for t in mido.MidiFile(str(path)).tracks for m in t]
    assert any(m.type == "program_change" and m.program == 40 for m in msgs)  # violin
    assert any(m.type == "set_tempo" and round(mido.tempo2bpm(m.tempo)) == 60 for m in msgs)


def test_write_musicxml(tmp_path):
    from gen.music.notes.write import write

    path = tmp_path / "x.musicxml"
    write(["<s>", "E4", "C4", "+1", "~E4", "+1", "</s>"], path)
    back = music21.converter.parse(str(path))
    assert sorted(p.midi for n in back.flatten().notes for p in n.pitches) == [60, 64, 64]


def test_unknown_instrument(tmp_path):
    from gen.music.notes.write import write

    with pytest.raises(GenError, match="instrument"):
        write(["C4", "+1"], tmp_path / "x.mid", instrument="kazoo-9000")


def test_folder_with_corrupt_midi_is_counted(tmp_path, monkeypatch, capsys):
    from gen.corpus import load_corpus as load

    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "midi"
    folder.mkdir()
    make_part([("C4", 1), ("E4", 1), ("G4", 2)]).write("midi", fp=str(folder / "good.mid"))
    (folder / "bad.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    (folder / "notes.txt").write_text("ignored")
    corpus = load(str(folder), workers=1)
    assert corpus.kind == "notes" and corpus.stats["pieces"] == 1 and corpus.stats["skipped"] == 1
    assert "skipped 1 of 2" in capsys.readouterr().err
    assert tokens_notes(corpus.tokens)[0][0] == 60


def test_nothing_readable_is_an_error(tmp_path, monkeypatch):
    from gen.corpus import load_corpus as load

    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "bad.mid").write_bytes(b"not midi")
    with pytest.raises(GenError, match="no usable scores"):
        load(str(tmp_path / "bad.mid"), workers=1)


def test_transpose_options():
    from gen.music.notes.corpus import transposed

    piece = ["<s>", "K:D", "M:4/4", "D4", "+1", "</s>"]
    assert transposed([piece], "C") == [["<s>", "K:C", "M:4/4", "C4", "+1", "</s>"]]
    allk = transposed([piece], "all")
    assert len(allk) == 12 and len({p[1] for p in allk}) == 12
    with pytest.raises(GenError):
        transposed([piece], "sideways")


def test_primer_continuation_and_seed_shorthand(tmp_path, capsys):
    import torch

    from gen.checkpoint import Loaded
    from gen.commands.sample import SampleRequest
    from gen.model import RNNLM, ModelConfig
    from gen.music.notes import sample as notes_sample
    from gen.tokenize import Vocab

    corpus = ["<s>", "K:C", "M:4/4", "C4", "E4", "G4", "C5", "~C5", "+1", "+1/2", "|", "</s>"]
    vocab = Vocab.build(corpus + [nt.shift_token(u) for u in (3, 6, 12, 24)], "notes", specials=nt.SPECIALS)
    torch.manual_seed(0)
    model = RNNLM(ModelConfig(vocab_size=len(vocab), layers=1, hidden=8, embed_dim=8))
    loaded = Loaded(tmp_path, {"corpus": {"kind": "notes"}}, model, vocab, {})
    req = SampleRequest(None, "C4 E4 G4 C5", None, 20, None, 1.0, None, None, 1, None, 3, None,
                        "cpu", True, {})
    notes_sample.sample(loaded, req)
    out = nt.split(capsys.readouterr().out)
    assert out[:11] == ["<s>", "K:C", "M:4/4", "C4", "+1", "E4", "+1", "G4", "+1", "C5", "+1"]
    assert len(out) == 11 + 20 + 1 and out[-1] == "</s>"
    # From a MIDI file: the output starts with the file's events.
    src = tmp_path / "open.mid"
    make_part([("C4", 1), ("E4", 1), ("G4", 1), ("C5", 1)]).write("midi", fp=str(src))
    primer = notes_sample.file_tokens(src)
    req.seed, req.seed_file, req.output = None, src, tmp_path / "cont.mid"
    notes_sample.sample(loaded, req)
    from gen.music.notes.write import read_midi_notes

    got = read_midi_notes(tmp_path / "cont.mid")
    assert [n for n, _, _ in got[:4]] == [60, 64, 67, 72]
    assert primer[0] == "<s>" and "C4" in primer


def test_seed_errors():
    from gen.music.notes.sample import seed_tokens

    with pytest.raises(GenError, match="not a note"):
        seed_tokens("C4 hello")
    assert seed_tokens("C4 +1/2 Eb4 +1") == ["C4", "+1/2", "D#4", "+1"]


def test_skipping_beams_leaves_events_unchanged():
    """Preparation skips music21's beaming for speed; the events must be the same either way."""
    from music21 import converter

    from gen.music.notes import corpus as nc
    from gen.music.notes.events import encode_stream

    units = nc.make_units(nc.music21_paths("essenFolksong")[:1])[:12]
    for u in units:
        fast, why = nc.parse_unit(u)
        assert why is None
        assert fast == encode_stream(converter.parse(u.text, format="abc"))


def test_monophonic_events_write_abc_that_music21_reads_back():
    from music21 import converter

    from gen.music.notes.abc import to_abc

    toks = ("<s> K:G M:3/4 G4 +1 A4 +1/2 B4 +1/2 C5 +1 | C5 +1/3 B4 +1/3 A4 +1/3 F4 +1 F4 +1 | "
            "+1 G4 +2 </s>").split()
    text = to_abc(toks)
    assert "K:G" in text and "=F2 F2" in text  # the natural holds to the end of its bar
    score = converter.parse("%abc-2.1\n" + text, format="abc")
    notes = [(n.pitch.midi, float(n.quarterLength)) for n in score.recurse().notes]
    assert [m for m, _ in notes] == [67, 69, 71, 72, 72, 71, 69, 65, 65, 67]
    assert [round(q, 3) for _, q in notes] == [1, 0.5, 0.5, 1, 0.333, 0.333, 0.333, 1, 1, 2]


def test_abc_output_keeps_the_top_line_of_chords(capsys):
    from gen.music.notes.abc import to_abc

    text = to_abc("<s> K:C M:4/4 C4 E4 +2 G4 +2 </s>".split())
    assert text.splitlines()[-2:] == ["E4 G4|]", ""]  # a blank line after every tune
    assert "dropping 1 of 3 notes" in capsys.readouterr().err


def test_bar_limit_ends_each_stream_at_its_own_bar(tmp_path, capsys):
    """--bars N: every sample holds exactly N bar lines, however fast each stream reaches them."""
    import torch

    from gen.checkpoint import Loaded
    from gen.commands.sample import SampleRequest
    from gen.model import RNNLM, ModelConfig
    from gen.music.notes import sample as notes_sample
    from gen.tokenize import Vocab

    corpus = ["<s>", "K:C", "M:4/4", "C4", "E4", "G4", "+1", "|", "</s>"]
    vocab = Vocab.build(corpus + [nt.shift_token(u) for u in (3, 12)], "notes", specials=nt.SPECIALS)
    torch.manual_seed(1)
    model = RNNLM(ModelConfig(vocab_size=len(vocab), layers=1, hidden=8, embed_dim=8))
    loaded = Loaded(tmp_path, {"corpus": {"kind": "notes"}}, model, vocab, {})
    req = SampleRequest(None, None, None, None, 3, 1.0, None, None, 4, None, 5, None, "cpu", True, {})
    notes_sample.sample(loaded, req)
    pieces = nt.pieces(nt.split(capsys.readouterr().out))
    assert len(pieces) == 4
    for piece in pieces:
        assert piece.count("|") == 3 and piece[-2] == "|" and piece.count("</s>") == 1
