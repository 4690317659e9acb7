"""The Python API, through public names only (`import gen`): load, sample, stream, score, info,
train, GenError; its samples equal `gen sample`'s output and its errors the CLI's messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gen
from conftest import ROOT, SHAKESPEARE

TINY = dict(layers=1, hidden=32, embed_dim=16, batch_size=8, seq_len=16, precision="fp32")
IRISH = ROOT / "corpora" / "irish.abc"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A tiny text run trained through gen.train (seconds)."""
    folder = tmp_path_factory.mktemp("api")
    corpus = folder / "small.txt"
    corpus.write_text(SHAKESPEARE.read_text()[:60000])
    return gen.train(corpus, out=folder / "run", steps=40, eval_every=20, **TINY)


@pytest.fixture(scope="module")
def abc_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api-abc")
    tunes = IRISH.read_text().split("\n\n")[:120]
    corpus = folder / "tunes.abc"
    corpus.write_text("\n\n".join(tunes) + "\n")
    return gen.train(corpus, out=folder / "run", steps=30, eval_every=15, **TINY)


def test_import_gen_loads_no_torch():
    code = "import sys, gen; print(sorted(m for m in ('torch', 'numpy', 'music21', 'rich', 'typer') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True).stdout
    assert out.strip() == "[]"
    assert set(gen.__all__) >= {"load", "train", "Model", "GenError", "__version__"}


def test_train_returns_the_run_quietly(tmp_path, capfd):
    corpus = tmp_path / "c.txt"
    corpus.write_text(SHAKESPEARE.read_text()[:20000])
    capfd.readouterr()
    path = gen.train(corpus, out=tmp_path / "r", steps=5, eval_every=5, **TINY)
    captured = capfd.readouterr()
    assert path == tmp_path / "r" and (path / "meta.json").is_file()
    assert captured.out == "" and captured.err == ""
    # A second run never overwrites the first: gen.train says where it went.
    again = gen.train(corpus, out=tmp_path / "r", steps=5, eval_every=5, **TINY)
    assert again == tmp_path / "r-2"


def test_model_attributes(run):
    m = gen.load(run)
    assert isinstance(m, gen.Model) and m.kind == "text" and m.run == run
    assert m.info["kind"] == "text" and m.info["parameters"] > 0 and m.info["steps"] == 40


def test_info_equals_gen_info_json(gen_cli, run):
    r = gen_cli("info", "-c", run, "--json")
    assert json.loads(r.out) == json.loads(json.dumps(gen.load(run).info))


def test_same_rng_seed_same_samples(run):
    m = gen.load(run)
    a = m.sample(seed="ROMEO:", length=60, rng_seed=7, num_samples=3)
    assert a == m.sample(seed="ROMEO:", length=60, rng_seed=7, num_samples=3)
    assert a != m.sample(seed="ROMEO:", length=60, rng_seed=8, num_samples=3)
    assert len(a) == 3 and all(s.startswith("ROMEO:") and len(s) == 66 for s in a)


@pytest.mark.parametrize("options, args", [
    (dict(seed="KING:", length=80, temperature=0.8), ["--seed", "KING:", "-n", "80"]),
    (dict(length=50, temperature=1.3, top_k=5), ["-n", "50", "-t", "1.3", "--top-k", "5"]),
    (dict(length=200, temperature=0.8, top_p=0.9, stop="\n\n"),
     ["-n", "200", "--top-p", "0.9", "--stop", "\n\n"]),
])
def test_sample_equals_gen_sample(gen_cli, run, options, args):
    text = gen.load(run).sample(rng_seed=3, **options)[0]
    r = gen_cli("sample", "-c", run, "--rng-seed", "3", *args)
    assert r.code == 0
    assert r.out == (text if text.endswith("\n") else text + "\n")


def test_several_samples_equal_gen_sample(gen_cli, run):
    texts = gen.load(run).sample(length=40, num_samples=3, rng_seed=5, temperature=0.8)
    r = gen_cli("sample", "-c", run, "--rng-seed", "5", "-n", "40", "-N", "3")
    expected = "".join(f"{'' if i == 0 else chr(10)}----- sample {i + 1} of 3 -----\n"
                       + (t if t.endswith("\n") else t + "\n") for i, t in enumerate(texts))
    assert r.out == expected


@pytest.mark.parametrize("stop", [None, "e", "\n"])
def test_stream_joins_to_sample(run, stop):
    m = gen.load(run)
    pieces = list(m.stream(seed="A", length=120, rng_seed=11, stop=stop))
    assert len(pieces) > 1 and pieces[0] == "A"
    assert "".join(pieces) == m.sample(seed="A", length=120, rng_seed=11, stop=stop)[0]


def test_score_equals_gen_eval(gen_cli, run, tmp_path):
    text = SHAKESPEARE.read_text()[100000:104000]
    f = tmp_path / "part.txt"
    f.write_text(text)
    r = gen_cli("eval", str(f), "-c", run, "--json")
    m = gen.load(run)
    assert m.score(text) == pytest.approx(json.loads(r.out)["nats_per_token"], abs=1e-6)
    r = gen_cli("eval", str(f), "-c", run, "--json", "--context", "64")
    assert m.score(text, context=64) == pytest.approx(json.loads(r.out)["nats_per_token"], abs=1e-6)


def test_abc_samples_are_the_tunes_gen_sample_prints(gen_cli, abc_run):
    m = gen.load(abc_run)
    assert m.kind == "abc"
    tunes = m.sample(num_samples=2, length=120, rng_seed=4, temperature=0.8)
    assert len(tunes) == 2 and [t.splitlines()[0] for t in tunes] == ["X:1", "X:2"]
    r = gen_cli("sample", "-c", abc_run, "-N", "2", "-n", "120", "--rng-seed", "4", "-q")
    assert _tunes(r.out) == _tunes("\n".join(tunes)) and len(_tunes(r.out)) == 2
    assert list(m.stream(length=120, rng_seed=4, temperature=0.8)) == \
        m.sample(length=120, rng_seed=4, temperature=0.8)
    keyed = m.sample(length=120, rng_seed=4, key="D")[0]
    r = gen_cli("sample", "-c", abc_run, "-n", "120", "--rng-seed", "4", "-t", "1", "--key", "D", "-q")
    assert _tunes(r.out) == _tunes(keyed)


def _tunes(text: str) -> list[str]:
    """The tunes of ABC text (a tune ends at a blank line; how many the writer puts between
    tunes is the writer's business)."""
    return [t.strip() for t in text.split("\n\n") if t.strip()]


@pytest.mark.parametrize("call, cli_args", [
    (lambda r: gen.load("no/such/run"), ["sample", "-c", "no/such/run"]),
    (lambda r: gen.load(r).sample(temperature=0), ["sample", "-c", "{run}", "--temperature", "0"]),
    (lambda r: gen.load(r).sample(top_p=1.5), ["sample", "-c", "{run}", "--top-p", "1.5"]),
    (lambda r: gen.load(r).sample(length=-5), ["sample", "-c", "{run}", "--length", "-5"]),
    (lambda r: gen.load(r).sample(seed="日本"), ["sample", "-c", "{run}", "--seed", "日本", "-q"]),
    (lambda r: gen.train("no/such/file.txt"), ["train", "no/such/file.txt"]),
    (lambda r: gen.train(SHAKESPEARE, cell="transformer"),
     ["train", str(SHAKESPEARE), "--cell", "transformer"]),
])
def test_errors_are_gen_error_with_the_cli_message(gen_cli, run, call, cli_args):
    with pytest.raises(gen.GenError) as e:
        call(run)
    r = gen_cli(*[a.replace("{run}", str(run)) for a in cli_args])
    assert r.code == 1 and r.err == f"error: {e.value}\n"


def test_unknown_options_list_the_valid_names(run):
    with pytest.raises(gen.GenError, match="unknown train option hiden; train\\(\\) takes .*hidden"):
        gen.train(SHAKESPEARE, hiden=64)
    with pytest.raises(gen.GenError, match="unknown option colour; sample\\(\\) takes seed"):
        gen.load(run).sample(colour="red")
    with pytest.raises(gen.GenError, match="applies to music runs only"):
        gen.load(run).sample(key="D")
    with pytest.raises(gen.GenError, match="unknown device"):
        gen.load(run, device="tpu")


@pytest.fixture
def gen_cli(gen):
    return gen
