"""The memory-mapped token cache: streamed tokenizing equals the in-memory one, entries are reused
by content, and training reads through it with bounded evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from gen import tokens_cache as tc
from gen.errors import GenError
from gen.prepare import prepare
from gen.tokenize import Vocab, split_text
from gen.tokenize import stream


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "tokens"


def _in_memory(text: str, level: str, cap: int | None = None):
    tokens = split_text(text, level)
    vocab = Vocab.build(tokens, level, cap)
    return vocab.tokens, vocab.encode(tokens)


UNICODE = "Ἐν ἀρχῇ ἦν ὁ λόγος\nnaïve café — 東京 🎻🎶\n" * 40 + "ROMEO:\nBut soft!\n" * 30


@pytest.mark.parametrize("chunk", [5, 7, 64, 1 << 20])
def test_char_ids_equal_the_in_memory_tokenizer_at_any_chunk_size(tmp_path, monkeypatch, chunk):
    # Small chunks cut multi-byte characters (and the 4-byte emoji) in the middle.
    monkeypatch.setattr(stream, "CHUNK", chunk)
    f = tmp_path / "u.txt"
    f.write_text(UNICODE, encoding="utf-8")
    got = prepare(str(f))
    tokens, ids = _in_memory(UNICODE, "char")
    assert got.entry.tokens == tokens
    assert got.ids.tolist() == ids
    assert got.ids.dtype == np.uint8 and got.stats["characters"] == len(UNICODE)


@pytest.mark.parametrize("chunk", [16, 1 << 20])
def test_word_ids_and_capped_vocabulary_equal_the_in_memory_tokenizer(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(stream, "CHUNK", chunk)
    text = "".join(f"word{i % 37} and  more{i % 5}, then\n" for i in range(300)) + "tail  end"
    f = tmp_path / "w.txt"
    f.write_text(text)
    got = prepare(str(f), level="word", vocab_size=20)
    tokens, ids = _in_memory(text, "word", 20)
    assert got.entry.tokens == tokens and "<unk>" in tokens
    assert got.ids.tolist() == ids
    assert got.vocab.unk == tokens.index("<unk>")


def test_a_word_vocabulary_over_256_is_stored_as_uint16(tmp_path):
    f = tmp_path / "w.txt"
    f.write_text(" ".join(f"w{i}" for i in range(1000)) + "\n")
    got = prepare(str(f), level="word")
    assert got.ids.dtype == np.uint16 and len(got.entry.tokens) > 256


def test_a_folder_joins_its_text_files_and_skips_the_rest(tmp_path):
    d = tmp_path / "texts"
    d.mkdir()
    (d / "a.txt").write_text("first file\n")
    (d / "b.bin").write_bytes(b"\x00\x01binary")
    (d / "c.txt").write_text("second file")
    got = prepare(str(d))
    text = "".join(got.tokens(0, len(got.ids)))
    assert text == "first file\n\nsecond file"


def test_the_second_run_maps_the_cached_entry_without_reading_the_text_again(tmp_path, monkeypatch):
    f = tmp_path / "t.txt"
    f.write_text("to be or not to be\n" * 100)
    first = prepare(str(f))
    assert not first.entry.hit

    def fail(*a, **k):
        raise AssertionError("tokenized again")

    monkeypatch.setattr(stream, "encode_chars", fail)
    second = prepare(str(f))
    assert second.entry.hit and isinstance(second.ids, np.memmap)
    assert second.ids.tolist() == first.ids.tolist()


def test_an_edited_file_misses_and_a_copied_one_hits(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("abc\n" * 50)
    prepare(str(f))
    copy = tmp_path / "copy.txt"
    copy.write_bytes(f.read_bytes())
    assert prepare(str(copy)).entry.hit
    f.write_text("abd\n" * 50)
    edited = prepare(str(f))
    assert not edited.entry.hit and "d" in edited.entry.tokens
    assert not prepare(str(copy), level="word").entry.hit  # options are part of the key


def test_an_unwritable_cache_still_trains(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    monkeypatch.setenv("GEN_CACHE_DIR", str(ro / "inside"))
    f = tmp_path / "t.txt"
    f.write_text("hello there\n" * 20)
    try:
        got = prepare(str(f))
    finally:
        ro.chmod(0o700)
    assert "".join(got.tokens(0, 12)) == "hello there\n"


def test_a_damaged_entry_is_rebuilt(tmp_path, cache):
    f = tmp_path / "t.txt"
    f.write_text("some text\n" * 30)
    first = prepare(str(f))
    want = first.ids.tolist()
    path = cache / f"{first.entry.key}.ids"
    del first
    path.unlink()
    path.write_bytes(b"\x01\x02")  # truncated
    again = prepare(str(f))
    assert not again.entry.hit and again.ids.tolist() == want


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"ab\x00cd", "looks binary"),
])
def test_unusable_text_is_one_clear_error(tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(GenError, match=message):
        prepare(str(f))


def test_a_bad_byte_past_a_chunk_edge_is_reported_at_its_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", 8)
    f = tmp_path / "bad.txt"
    f.write_bytes("héllo wörld, ".encode() * 3 + b"\xff tail")
    offset = len("héllo wörld, ".encode()) * 3
    with pytest.raises(GenError, match=f"not valid utf-8 \\(byte {offset}\\)"):
        prepare(str(f))


def test_remap_re_expresses_ids_in_another_vocabulary(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("abcabc\n")
    entry = prepare(str(f)).entry
    new_tokens = ["z", "c", "b", "a", "\n"]
    mapped = tc.remap(entry, new_tokens, None)
    assert [new_tokens[i] for i in mapped.ids.tolist()] == list("abcabc\n")
    assert tc.remap(entry, new_tokens, None).hit  # cached too


def test_abc_is_cached_in_the_same_format_and_reused_without_parsing(tmp_path, monkeypatch):
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:A\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|dcBA GFED|DEFG ABcd|d4 D4|]\n\n"
                 "X:2\nT:B\nM:3/4\nL:1/8\nK:G\nGABc d2|e2d2B2|GABc d2|g6|]\n")
    first = prepare(str(f))
    assert first.kind == "abc" and first.level == "abc" and not first.entry.hit
    import gen.corpus

    monkeypatch.setattr(gen.corpus, "load_corpus", lambda *a, **k: pytest.fail("parsed again"))
    second = prepare(str(f))
    assert second.entry.hit and second.ids.tolist() == first.ids.tolist()
    assert second.stats == first.stats and "</s>" in second.entry.tokens


def test_training_evaluates_a_bounded_prefix_of_the_validation_split(gen, tmp_path):
    import json

    text = "".join(f"line {i} of a longer text\n" for i in range(2000))
    f = tmp_path / "t.txt"
    f.write_text(text)
    r = gen("train", f, "--steps", "4", "--eval-every", "2", "--eval-tokens", "1000", "-o",
            tmp_path / "run", "--layers", "1", "--hidden", "16", "--embed-dim", "8",
            "--batch-size", "4", "--seq-len", "16", "--precision", "fp32")
    assert r.code == 0, r.err
    assert "evaluations score the first 1,000" in r.err
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["train"]["eval_tokens"] == 1000
    # `gen eval` on the held-out text still scores all of it.
    held = tmp_path / "held.txt"
    held.write_text(text[len(text) - len(text) // 10:])
    r = gen("eval", held, "-c", tmp_path / "run", "--json")
    assert json.loads(r.out)["tokens"] == len(text) // 10 - 1
