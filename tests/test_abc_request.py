"""Tunes on request (`gen sample --meter --key --sections --bars`) on a tiny model: what the sampler
guarantees, counted from the ABC text by the independent reader of benchmarks/request_figures.py,
and the one-line errors for what the corpus never has."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import TINY_MODEL, train_in_process
from gen.music.abc.lexer import split_tunes

ROOT = Path(__file__).resolve().parents[1]
IRISH = ROOT / "corpora" / "irish.abc"


def figures():
    spec = importlib.util.spec_from_file_location("request_figures", ROOT / "benchmarks" / "request_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A tiny LSTM trained 40 steps on Irish tunes in 6/8, C| and 3/4 (seconds)."""
    tunes = split_tunes(IRISH.read_text())
    pick = [t for t in tunes if "M:3/4" in t][:15] + [t for t in tunes if "M:6/8" in t][:40] + \
        [t for t in tunes if "M:C|" in t][:20]
    folder = tmp_path_factory.mktemp("request")
    corpus = folder / "tunes.abc"
    corpus.write_text("".join(pick))
    out = folder / "run"
    train_in_process(corpus, out, "--steps", "40", "--eval-every", "20", *TINY_MODEL)
    return out


@pytest.mark.parametrize("args,meter,key,sections,bars", [
    (["--meter", "6/8", "--key", "Ador", "--sections", "3", "--bars", "8"], "6/8", "Ador", 3, 8),
    (["--meter", "3/4", "--sections", "2", "--bars", "16"], "3/4", None, 2, 16),
    (["--key", "Gmaj", "--bars", "4"], None, "Gmaj", None, 4),
])
def test_requested_tunes_have_what_was_asked(gen, run, args, meter, key, sections, bars):
    r = gen("sample", "-c", run, "-N", "6", "--rng-seed", "5", "-q", *args)
    assert r.code == 0 and r.err == ""
    assert r.out.endswith("|\n\n") or r.out.endswith("]\n\n")  # a blank line after the last tune
    result = figures().score(r.out, meter, key, sections, bars)
    assert result["tunes"] == 6
    assert result["all_pct"] == 100.0, [row for row in result["rows"] if not row["all"]]
    assert result["abc2midi_ok_pct"] == 100.0, [row["problems"] for row in result["rows"]]


def test_the_key_asked_for_is_the_mode_moved_to_its_tonic(gen, run):
    r = gen("sample", "-c", run, "-N", "3", "--rng-seed", "1", "-q", "--key", "Edor", "--sections", "2")
    assert r.code == 0
    for tune in split_tunes(r.out):
        assert "\nK:Edor\n" in tune and "[K:" not in tune


@pytest.mark.parametrize("args,message", [
    (["--meter", "5/4"], "error: the corpus has no tunes in 5/4; it has 6/8, C|, 3/4\n"),
    (["--meter", "4/4"], "error: the corpus has no tunes in 4/4; it has 6/8, C|, 3/4\n"),
    (["--key", "Alyd"], "error: the corpus has no tunes in mode lyd; it has "),
    (["--meter", "seven"], "error: --meter 'seven' is not a meter; write e.g. 6/8, 3/4, 4/4, C or C|\n"),
    (["--sections", "0"], "error: --sections must be a whole number from 1 to 16\n"),
    (["--bars", "1"], "error: --bars (bars per section) must be a whole number from 2 to 64\n"),
    (["--sections", "2", "--free"], "error: --sections and --bars need the sampler's constraints; leave out --free\n"),
])
def test_what_the_corpus_never_has_is_one_clear_line(gen, run, args, message):
    r = gen("sample", "-c", run, "-q", "--rng-seed", "1", *args)
    assert r.code != 0 and r.out == ""
    assert r.err.startswith(message) and r.err.count("\n") == 1


def test_meter_2_2_is_the_corpus_c_bar(gen, run):
    r = gen("sample", "-c", run, "-N", "2", "--rng-seed", "1", "-q", "--meter", "2/2", "--bars", "8")
    assert r.code == 0
    assert all("\nM:C|\n" in t for t in split_tunes(r.out))


def test_meters_are_drawn_as_often_as_the_corpus_has_them(gen, run, tmp_path):
    """Without --meter a tune's M: comes from the corpus's shares (stored with the run), not from
    the model's state after the warm-up tune: a run whose corpus held only 3/4 writes only 3/4."""
    import json
    import shutil

    only = tmp_path / "only-3-4"
    shutil.copytree(run, only)
    meta = json.loads((only / "meta.json").read_text())
    meta["corpus"]["stats"]["meters"] = {"M:3/4": 15}
    (only / "meta.json").write_text(json.dumps(meta))
    r = gen("sample", "-c", only, "-N", "8", "--rng-seed", "2", "-q")
    assert r.code == 0, r.err
    meters = [line for line in r.out.splitlines() if line.startswith("M:")]
    assert len(meters) == 8 and set(meters) == {"M:3/4"}
    r = gen("sample", "-c", run, "-N", "8", "--rng-seed", "2", "-q")
    assert len({line for line in r.out.splitlines() if line.startswith("M:")}) > 1
