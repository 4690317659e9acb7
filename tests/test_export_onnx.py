"""`gen export RUN --to onnx`: the graph's logits equal torch's, greedy continuations computed with
onnxruntime equal `gen sample --top-k 1`, and the example script samples without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from export_fixtures import abc_tiny_run, greedy_tune_text, load, text_run, variant  # noqa: F401

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                          "(pip install -e '.[export]')")
pytest.importorskip("onnx", reason="onnx is not installed (pip install -e '.[export]')")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "onnx_sample.py"


class OnnxStepper:
    """The exported graph with its state carried: ``feed(ids)`` -> logits after the last id."""

    def __init__(self, path: Path):
        import json

        self.s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.meta = {k: json.loads(v) for k, v in self.s.get_modelmeta().custom_metadata_map.items()}
        cfg = self.meta["model"]
        self.lstm = cfg["cell"] == "lstm"
        self.h = np.zeros((cfg["layers"], 1, cfg["hidden"]), np.float32)
        self.c = self.h.copy()

    def feed(self, ids):
        feeds = {"input_ids": np.asarray([ids], np.int64), "h0": self.h}
        if self.lstm:
            feeds["c0"] = self.c
            logits, self.h, self.c = self.s.run(None, feeds)
        else:
            logits, self.h = self.s.run(None, feeds)
        return logits[0, -1]


def export(gen, run, path):
    r = gen("export", run, "--to", "onnx", path)
    assert r.code == 0, r.err
    assert r.out == ""  # stdout carries generated output only
    assert f"wrote {path}" in r.err
    return path


@pytest.mark.parametrize("cell,one_hot", [("lstm", False), ("gru", False), ("rnn", False),
                                          ("irnn", False), ("lstm", True), ("gru", True)])
def test_teacher_forced_logits_equal_torch(text_run, tmp_path, cell, one_hot):
    import torch

    from gen.export.onnx import export_onnx

    loaded = variant(load(text_run), cell, one_hot)
    path = tmp_path / "m.onnx"
    export_onnx(loaded, path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for batch, time in ((1, 1), (3, 40)):  # dynamic axes: other sizes than the export's
        ids = rng.integers(0, len(loaded.vocab), (batch, time))
        h0 = rng.standard_normal((2, batch, 24)).astype(np.float32) * 0.5
        c0 = rng.standard_normal((2, batch, 24)).astype(np.float32) * 0.5
        feeds = {"input_ids": ids, "h0": h0}
        state = torch.from_numpy(h0)
        if cell == "lstm":
            feeds["c0"] = c0
            state = (state, torch.from_numpy(c0))
        outs = sess.run(None, feeds)
        with torch.no_grad():
            logits, hidden = loaded.model(torch.from_numpy(ids).t(), state)
        np.testing.assert_allclose(outs[0], logits.transpose(0, 1).numpy(), atol=1e-4, rtol=0)
        hs = hidden if cell == "lstm" else (hidden,)
        for got, want in zip(outs[1:], hs):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-4, rtol=0)


def test_metadata_makes_the_file_self_sufficient(gen, text_run, tmp_path):
    from gen.export.onnx import read_metadata

    path = export(gen, text_run, tmp_path / "m.onnx")
    meta = read_metadata(path)
    loaded = load(text_run)
    assert meta["tokens"] == loaded.vocab.tokens
    assert meta["warmup_ids"] == loaded.warmup_ids
    assert (meta["kind"], meta["level"]) == ("text", "char")
    assert meta["model"] == loaded.meta["model"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "h0", "c0"]
    assert [o.name for o in sess.get_outputs()] == ["logits", "hn", "cn"]
    assert sess.get_inputs()[0].shape == ["batch", "time"]


def test_greedy_text_equals_gen_sample(gen, text_run, tmp_path):
    path = export(gen, text_run, tmp_path / "m.onnx")
    m = OnnxStepper(path)
    loaded = load(text_run)
    seed = "ROMEO:\nI"
    logits = m.feed(loaded.warmup_ids + loaded.vocab.encode(list(seed)))
    text = seed
    for _ in range(200):
        tok = int(np.argmax(logits))
        text += loaded.vocab.tokens[tok]
        logits = m.feed([tok])
    r = gen("sample", "-c", text_run, "--seed", seed, "--length", "200", "--top-k", "1",
            "--rng-seed", "5", "--precision", "fp32", "-q")
    assert r.code == 0, r.err
    assert r.out == text + ("" if text.endswith("\n") else "\n")
    assert len(set(text[len(seed):])) > 3  # the tiny model writes more than one repeated character


@pytest.mark.parametrize("free", [False, True])
def test_greedy_abc_tune_equals_gen_sample(gen, abc_tiny_run, tmp_path, free):
    path = export(gen, abc_tiny_run, tmp_path / "m.onnx")
    m = OnnxStepper(path)
    loaded = load(abc_tiny_run)
    assert m.meta["abc"]["end_id"] == loaded.vocab.stoi["</s>"]
    text = greedy_tune_text(loaded, m.feed, 3, free)
    r = gen("sample", "-c", abc_tiny_run, "--top-k", "1", "--rng-seed", "3", "--precision", "fp32",
            "-q", *(["--free"] if free else []))
    assert r.code == 0, r.err
    assert r.out == text
    assert text.startswith("X:1\n") and text.count("X:") == 1  # one whole tune


def test_example_script_samples_without_torch(gen, text_run, tmp_path):
    path = export(gen, text_run, tmp_path / "m.onnx")
    # Run the example with torch and gen made unimportable: it must need neither.
    blocker = tmp_path / "block"
    blocker.mkdir()
    for name in ("torch", "gen"):
        (blocker / f"{name}.py").write_text(f"raise ImportError('the example must not import {name}')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}

    def example(*args):
        r = subprocess.run([sys.executable, str(EXAMPLE), str(path), *args], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    greedy = example("--seed", "ROMEO:", "--length", "120", "--top-k", "1")
    r = gen("sample", "-c", text_run, "--seed", "ROMEO:", "--length", "120", "--top-k", "1",
            "--rng-seed", "1", "--precision", "fp32", "-q")
    assert greedy == r.out
    a = example("--seed", "ROMEO:", "--length", "80", "--temperature", "0.8", "--top-k", "10",
                "--rng-seed", "4")
    b = example("--seed", "ROMEO:", "--length", "80", "--temperature", "0.8", "--top-k", "10",
                "--rng-seed", "4")
    assert a == b and a.startswith("ROMEO:") and len(a.rstrip("\n")) >= 80


def test_errors_are_one_line(gen, text_run, tmp_path, monkeypatch):
    r = gen("export", text_run, "--to", "pdf", tmp_path / "x.pdf")
    assert r.code == 1 and r.err == "error: unknown --to 'pdf'; choose onnx or html\n"
    r = gen("export", tmp_path / "nope", "--to", "onnx", tmp_path / "x.onnx")
    assert r.code == 1 and r.err == f"error: no such checkpoint: {tmp_path / 'nope'}\n"
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the export extra were not installed
    r = gen("export", text_run, "--to", "onnx", tmp_path / "x.onnx")
    assert r.code == 1
    assert r.err == ("error: exporting to ONNX needs the onnx package; "
                     "install them with pip install -e '.[export]'\n")
    assert not (tmp_path / "x.onnx").exists()
