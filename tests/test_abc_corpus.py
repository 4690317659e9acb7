"""ABC corpora: files, folders, music21 collections, skipped tunes, levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.corpus import load_corpus
from gen.errors import GenError
from gen.music import music21_corpus

IRISH = Path(__file__).resolve().parents[1] / "corpora" / "irish.abc"
GOOD = "X:1\nT:a\nM:6/8\nL:1/8\nK:D\nA|dAF dAF|d3 d2:|\n\n"
BAD = "X:2\nT:b\nV:1\nK:G\nAB|\nV:2\nK:G\ncd|\n\n"


def test_irish_loads_as_abc_tokens(capsys):
    corpus = load_corpus(str(IRISH))
    assert corpus.kind == "abc" and corpus.level == "abc"
    assert corpus.stats["tunes"] + corpus.stats["skipped"] == 804
    assert corpus.stats["specials"] == ["<s>", "</s>"]
    assert corpus.tokens.count("<s>") == corpus.tokens.count("</s>") == corpus.stats["tunes"]
    assert corpus.tokens[0] == "<s>" and corpus.tokens[1].startswith("M:")
    starts = [i for i, t in enumerate(corpus.tokens) if t == "<s>"]
    assert all(corpus.tokens[i + 3].startswith("K:C") for i in starts)  # moved to tonic C
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"skipped {corpus.stats['skipped']} of 804 tunes" in err


def test_unreadable_tunes_are_skipped_and_counted(tmp_path, capsys):
    f = tmp_path / "two.abc"
    f.write_text(GOOD + BAD)
    corpus = load_corpus(str(f))
    assert corpus.stats["tunes"] == 1 and corpus.stats["skipped"] == 1
    assert "skipped 1 of 2 tunes" in capsys.readouterr().err


def test_folder_of_abc_files(tmp_path):
    (tmp_path / "a.abc").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.abc").write_text(GOOD.replace("X:1", "X:7"))
    corpus = load_corpus(str(tmp_path))
    assert corpus.kind == "abc" and corpus.stats["tunes"] == 2


def test_char_level_and_transpose_options(tmp_path):
    f = tmp_path / "one.abc"
    f.write_text(GOOD)
    chars = load_corpus(str(f), level="char")
    assert chars.tokens[0] == "<s>" and chars.tokens[-1] == "</s>" and "M" in chars.tokens
    moved = load_corpus(str(f))  # the default: every tune moved to tonic C
    assert "K:Cmaj" in moved.tokens and moved.stats["options"] == {"transpose": "C"}
    assert moved.stats["keys"] == {"K:Dmaj": 1}
    kept = load_corpus(str(f), transpose="none")
    assert "K:Dmaj" in kept.tokens and kept.stats["options"] == {"transpose": "none"}
    with pytest.raises(GenError, match="level"):
        load_corpus(str(f), level="word")


def test_no_tunes_is_one_clear_error(tmp_path):
    f = tmp_path / "empty.abc"
    f.write_text("just text\n")
    with pytest.raises(GenError, match="no ABC tunes"):
        load_corpus(str(f))


def test_music21_collections():
    assert music21_corpus.kind_of("music21:oneills1850") == "abc"
    assert music21_corpus.kind_of("music21:bach") == "notes"
    assert music21_corpus.paths("bach") and all(p.exists() for p in music21_corpus.paths("bach")[:3])
    assert all(p.suffix == ".abc" for p in music21_corpus.paths("airdsAirs"))
    with pytest.raises(GenError, match="unknown music21 corpus"):
        music21_corpus.kind_of("music21:nope")


def test_music21_collection_loads(capsys):
    corpus = load_corpus("music21:airdsAirs")
    assert corpus.kind == "abc" and corpus.stats["tunes"] > 1000


def test_gen_corpora_lists_bundled(gen):
    r = gen("corpora")
    assert r.code == 0
    assert "irish.abc" in r.out and "music21:oneills1850" in r.out and "music21:bach" in r.out
