"""The CLI as a user meets it: stdout holds only generated output, errors are one clear line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TINY_MODEL, gen_subprocess


def test_train_prints_nothing_on_stdout(gen, small_text, tmp_path):
    r = gen("train", small_text, "--steps", "4", "--eval-every", "2", "-o", tmp_path / "r",
            *[a for a in TINY_MODEL if a != "-q"])
    assert r.code == 0, r.err
    assert r.out == ""
    assert "done: 4 steps" in r.err and "best validation" in r.err
    assert {p.name for p in (tmp_path / "r").iterdir()} >= {"meta.json", "model.safetensors", "last.pt",
                                                            "metrics.jsonl"}


def test_sample_streams_seeded_text_to_stdout_only(gen, tiny_run):
    r = gen("sample", "-c", tiny_run, "--seed", "ROMEO:", "--length", "80", "--rng-seed", "1")
    assert r.code == 0, r.err
    assert r.out.startswith("ROMEO:") and len(r.out) == len("ROMEO:") + 80 + 1
    assert "ROMEO" not in r.err


def test_same_rng_seed_same_sample(gen, tiny_run):
    a = gen("sample", "-c", tiny_run, "--length", "60", "--rng-seed", "5", "-q").out
    b = gen("sample", "-c", tiny_run, "--length", "60", "--rng-seed", "5", "-q").out
    c = gen("sample", "-c", tiny_run, "--length", "60", "--rng-seed", "6", "-q").out
    assert a == b and a != c


def test_random_seed_is_reported_so_a_sample_can_be_repeated(gen, tiny_run):
    r = gen("sample", "-c", tiny_run, "--length", "30")
    seed = int(r.err.split("--rng-seed ")[1].split()[0])
    again = gen("sample", "-c", tiny_run, "--length", "30", "--rng-seed", seed, "-q")
    assert again.out == r.out


def test_several_samples_are_separated(gen, tiny_run):
    r = gen("sample", "-c", tiny_run, "-N", "3", "--length", "40", "--seed", "KING", "-q",
            "--rng-seed", "2")
    assert r.out.count("----- sample ") == 3
    bodies = r.out.split("----- sample ")[1:]
    assert all(b.split("\n", 1)[1].startswith("KING") for b in bodies)


def test_stop_string_ends_the_sample_before_it(gen, tiny_run):
    r = gen("sample", "-c", tiny_run, "--length", "400", "--stop", "e", "--rng-seed", "1", "-q")
    assert "e" not in r.out


def test_output_file(gen, tiny_run, tmp_path):
    out = tmp_path / "s.txt"
    r = gen("sample", "-c", tiny_run, "--seed", "A", "--length", "50", "-o", out, "--rng-seed", "1")
    assert r.code == 0 and r.out == "" and out.read_text().startswith("A")
    assert "wrote" in r.err


def test_default_checkpoint_is_the_latest_run(gen, small_text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert gen("train", small_text, "--steps", "2", *TINY_MODEL).code == 0
    assert gen("train", small_text, "--steps", "2", *TINY_MODEL).code == 0
    assert (tmp_path / "checkpoints" / "small").is_dir()
    assert (tmp_path / "checkpoints" / "small-2").is_dir()  # a second run never overwrites
    r = gen("info", "--json")
    assert json.loads(r.out)["run"].endswith("small-2")
    assert gen("sample", "--length", "10", "-q").code == 0


def test_eval_json(gen, tiny_run, small_text):
    r = gen("eval", small_text, "-c", tiny_run, "--json")
    d = json.loads(r.out)
    assert d["bits_per_token"] == pytest.approx(d["nats_per_token"] / 0.6931471805599453)
    assert d["tokens"] == len(small_text.read_text()) - 1


def test_eval_skips_and_names_unseen_characters(gen, tiny_run, tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("To be, or not to be ☃ that is the question")
    r = gen("eval", f, "-c", tiny_run, "--json")
    assert r.code == 0 and json.loads(r.out)["skipped"] == 1 and "'☃'" in r.err


def test_info_and_plots(gen, tiny_run, tmp_path):
    d = json.loads(gen("info", "-c", tiny_run, "--json").out)
    assert d["steps"] == 60 and d["vocab_size"] > 30 and d["model"]["cell"] == "lstm"
    import torch

    from gen import checkpoint as ckpt

    weights = ckpt.load_weights(tiny_run / "model.safetensors")
    assert d["parameters"] == sum(w.numel() for w in weights.values())
    text = gen("info", "-c", tiny_run).out
    assert "lstm 1x32" in text and "best val" in text
    assert "validation" in gen("info", "-c", tiny_run, "--plot").out
    png = tmp_path / "loss.png"
    r = gen("plot", tiny_run, "-o", png)
    assert r.code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    table = gen("compare", tiny_run, tiny_run).out
    assert "lstm" in table and "best val bits" in table


@pytest.mark.parametrize("args, message", [
    (["train", "no/such/file.txt"], "no such file or folder: no/such/file.txt"),
    (["sample", "-c", "no/such/run"], "no such checkpoint: no/such/run"),
    (["sample", "--temperature", "0"], "--temperature must be above 0"),
    (["sample", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["sample", "--length", "-5"], "--length must be a positive number"),
    (["train", "x.txt", "--cell", "transformer"], "unknown --cell 'transformer'"),
])
def test_user_errors_are_one_line(gen, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = gen(*args)
    assert r.code != 0 and r.out == ""
    assert r.err.strip().splitlines() == [f"error: {r.err.strip()[7:]}"]
    assert message in r.err


def test_no_checkpoint_yet_samples_the_bundled_model(gen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = gen("sample", "-n", "30", "--rng-seed", "1")
    assert r.code == 0 and "bundled model 'shakespeare'" in r.err and "gen train" in r.err
    assert r.out == gen("sample", "-c", "shakespeare", "-n", "30", "--rng-seed", "1").out


def test_own_run_is_preferred_to_the_bundled_ones(gen, tiny_run, tmp_path, monkeypatch):
    import shutil

    from gen import checkpoint as ckpt
    from gen.resources import bundled_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    # A copy of a bundled run in checkpoints/ (as in a fresh clone) is not "your own" run.
    shutil.copytree(bundled_model("irish-abc"), tmp_path / "checkpoints" / "irish-abc")
    assert ckpt.find_latest() == bundled_model("shakespeare")
    shutil.copytree(tiny_run, tmp_path / "checkpoints" / "mine")
    assert ckpt.find_latest() == Path("checkpoints") / "mine"
    r = gen("sample", "-n", "5", "--rng-seed", "1")
    assert r.code == 0 and "bundled" not in r.err


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
    ("café".encode("latin-1"), "not valid utf-8 (byte 3); pass its encoding, e.g. --encoding latin-1"),
])
def test_unusable_corpus_files(gen, tmp_path, content, message):
    f = tmp_path / "c.txt"
    f.write_bytes(content)
    r = gen("train", f, "--steps", "1", "-o", tmp_path / "r", *TINY_MODEL)
    assert r.code == 1 and message in r.err and "Traceback" not in r.err
    assert not (tmp_path / "r").exists()


def test_encoding_option_reads_latin1(gen, tmp_path):
    f = tmp_path / "c.txt"
    f.write_bytes(("café au lait " * 300).encode("latin-1"))
    r = gen("train", f, "--encoding", "latin-1", "--steps", "2", "-o", tmp_path / "r", *TINY_MODEL)
    assert r.code == 0, r.err


def test_seed_with_unseen_characters_is_named(gen, tiny_run):
    r = gen("sample", "-c", tiny_run, "--seed", "Hi ☃ and ✓")
    assert r.code == 1 and "2 characters: '☃', '✓'" in r.err and r.out == ""
    assert r.err.count("\n") == 1  # the one error line: no drawn rng seed for a sample never made


def test_unwritable_output_path(gen, tiny_run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = gen("sample", "-c", tiny_run, "--length", "5", "-o", blocker / "out.txt", "-q")
    assert r.code == 1 and "could not write" in r.err


def test_closed_pipe_ends_quietly(tiny_run):
    cmd = (f"{sys.executable} -m gen sample -c {tiny_run} --length 200000 --rng-seed 1 -q "
           "| head -c 100")
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True,
                       timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert len(p.stdout) == 100 and p.stderr == ""


def test_help_is_fast_and_imports_nothing_heavy():
    code = "import sys, gen.cli; print('torch' in sys.modules, 'music21' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT)})
    assert p.stdout.split() == ["False", "False"]
    assert gen_subprocess("--help").returncode == 0


def test_studio_shows_the_bundled_models_until_there_is_a_run(tiny_run, tmp_path, monkeypatch):
    import shutil

    from gen.commands.studio import runs_folder
    from gen.resources import bundled_root
    from gen.studio.runs import list_runs

    monkeypatch.chdir(tmp_path)
    assert runs_folder(None) == bundled_root()
    assert {"shakespeare", "irish-abc"} <= set(list_runs(runs_folder(None)))
    shutil.copytree(tiny_run, tmp_path / "checkpoints" / "mine")
    assert runs_folder(None) == Path("checkpoints")
    assert runs_folder(tmp_path / "elsewhere") == tmp_path / "elsewhere"
