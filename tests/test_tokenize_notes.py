"""Note event tokens: pure encoding/decoding, transposition, text form (no music21, no torch)."""

from hypothesis import given, settings, strategies as st

from gen.music.notes import tokens as nt


def test_pitch_names_round_trip():
    for midi in range(128):
        assert nt.parse_pitch(nt.pitch_name(midi)) == midi
    assert nt.parse_pitch("Eb4") == nt.parse_pitch("E-4") == nt.parse_pitch("D#4") == 63
    assert nt.parse_pitch("H4") is None and nt.parse_pitch("C") is None


def test_shift_tokens_keep_triplets():
    assert nt.shift_token(12) == "+1" and nt.shift_token(4) == "+1/3" and nt.shift_token(18) == "+3/2"
    assert [nt.parse_shift(nt.shift_token(u)) for u in range(1, 49)] == list(range(1, 49))
    assert nt.parse_shift("+1/5") is None and nt.parse_shift("+0") is None and nt.parse_shift("C4") is None
    assert nt.shifts(60) == ["+4", "+1"]


def test_chord_rest_and_hold():
    notes = [(72, 0, 12), (64, 0, 24), (60, 0, 24), (67, 36, 40)]
    toks = nt.frames_to_tokens(notes, {}, 48)
    assert toks[:4] == ["C5", "E4", "C4", "+1"]   # high to low, then one shift
    assert toks[4:7] == ["~E4", "~C4", "+1"]       # held notes re-listed with ~
    assert toks[7] == "+1"                          # an empty frame is a rest
    assert nt.decode(toks).notes == sorted(notes, key=lambda n: (n[1], -n[0])) or \
        sorted(nt.decode(toks).notes) == sorted(notes)


def test_repeated_note_is_two_notes():
    toks = ["C4", "+1", "C4", "+1"]
    assert sorted(nt.decode(toks).notes) == [(60, 0, 12), (60, 12, 24)]
    assert nt.decode(["C4", "+1", "~C4", "+1"]).notes == [(60, 0, 24)]


def test_decode_is_tolerant():
    dec = nt.decode(["<s>", "~C4", "+1", "bogus", "C4", "C4", "+1/2", "|", "K:G", "M:3/4", "</s>"])
    assert sorted(dec.notes) == [(60, 0, 12), (60, 12, 18)]
    assert dec.bars == [18] and dec.meters == [(18, "3/4")] and dec.keys == [(18, (7, False))]


def test_transpose_moves_pitches_and_keys():
    toks = ["<s>", "K:F#m", "M:4/4", "A4", "~C#4", "+1", "</s>"]
    assert nt.transpose(toks, 3) == ["<s>", "K:Am", "M:4/4", "C5", "~E4", "+1", "</s>"]
    assert nt.transpose(["G9", "+1"], 12) is None


def test_text_form():
    toks = ["<s>", "C4", "+1", "</s>", "<s>", "D4", "+1/3", "</s>"]
    assert nt.split(nt.join(toks)) == toks
    assert nt.join(toks).count("\n") == 1


def test_key_tokens():
    for pc in range(12):
        for minor in (False, True):
            assert nt.parse_key(nt.key_token(pc, minor)) == (pc, minor)


note_lists = st.lists(
    st.tuples(st.integers(21, 108), st.integers(0, 96), st.integers(1, 60)),
    min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(note_lists)
def test_decode_encode_property(raw):
    """decode(encode(x)) == x for notes with no two of the same pitch overlapping."""
    notes, busy = [], {}
    for midi, start, length in sorted(raw, key=lambda n: n[1]):
        if busy.get(midi, -1) > start:
            continue  # same pitch still sounding: not representable as two notes, skip
        notes.append((midi, start, start + length))
        busy[midi] = start + length
    end = max(e for _, _, e in notes)
    toks = nt.frames_to_tokens(notes, {}, end)
    assert sorted(nt.decode(toks).notes) == sorted(notes)
    assert nt.split(nt.join(toks)) == toks
