"""The note-token cache: second load hits, changed content misses, failures are remembered."""

import pytest

pytest.importorskip("music21")


def _part(pitches):
    from music21 import note, stream

    s = stream.Stream()
    for p in pitches:
        s.append(note.Note(p, quarterLength=1))
    return s


def test_second_load_hits_and_changed_file_misses(tmp_path, monkeypatch):
    from gen.music.notes import corpus as nc

    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    _part(["C4", "D4"]).write("midi", fp=str(folder / "a.mid"))
    _part(["E4", "F4"]).write("midi", fp=str(folder / "b.mid"))
    files = nc.find_files(str(folder))
    first, s1 = nc.prepare(files, workers=1, quiet=True)
    assert (s1["parsed"], s1["cached"]) == (2, 0)
    second, s2 = nc.prepare(files, workers=1, quiet=True)
    assert (s2["parsed"], s2["cached"]) == (0, 2) and second == first
    _part(["G4", "A4"]).write("midi", fp=str(folder / "b.mid"))
    third, s3 = nc.prepare(files, workers=1, quiet=True)
    assert (s3["parsed"], s3["cached"]) == (1, 1) and third != first


def test_cache_roundtrip_and_failures(tmp_path):
    from gen.music.notes.cache import TokenCache, content_key

    c = TokenCache(tmp_path / "c.sqlite")
    k1, k2 = content_key("mid", b"one"), content_key("mid", b"two")
    assert k1 != k2 and k1 != content_key("abc", b"one")
    c.put_many({k1: (["<s>", "C4", "+1", "</s>"], None), k2: (None, "broken")})
    assert c.get_many([k1, k2, "missing"]) == {k1: ["<s>", "C4", "+1", "</s>"], k2: None}


def test_unwritable_cache_dir_only_costs_speed(tmp_path):
    from gen.music.notes.cache import TokenCache

    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = TokenCache(blocker / "sub" / "c.sqlite")
    assert c.get_many(["k"]) == {}
    c.put_many({"k": (["a"], None)})


def test_abc_collection_split_per_tune(tmp_path, monkeypatch):
    from gen.music.notes import corpus as nc

    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    abc = tmp_path / "tunes.abc"
    abc.write_text("%%header\n\nX:1\nT:a\nM:3/4\nL:1/4\nK:G\nGAB|d3|\n\n"
                   "X:2\nT:b\nM:2/4\nL:1/8\nK:D\n(3ABc d2|^c2 c2|\n")
    pieces, stats = nc.prepare([abc], workers=1, quiet=True)
    assert stats["units"] == 2 and len(pieces) == 2
    assert "M:3/4" in pieces[0] and "+1/3" in pieces[1]
    # %abc-2.1 is prepended: the accidental carries through the bar (^c2 c2 -> two C#5).
    from gen.music.notes import tokens as nt

    assert [m for m, _, _ in sorted(nt.decode(pieces[1]).notes, key=lambda n: n[1])][-2:] == [73, 73]
