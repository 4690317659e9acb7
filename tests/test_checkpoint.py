"""Checkpoints: round-trip, atomic writes, and refusing anything that could run code."""

import json
import os
import pickle
import shutil
import time
from pathlib import Path

import pytest
import torch

from gen import CHECKPOINT_FORMAT
from gen import checkpoint as ckpt
from gen.errors import GenError

FORMAT1 = Path(__file__).parent / "data" / "format1-run"  # written by gen 0.1.0 (format 1)


def test_round_trip_gives_the_same_predictions(tiny_run):
    a = ckpt.load_model(tiny_run)
    b = ckpt.load_model(tiny_run)
    x = torch.tensor(a.vocab.encode_text("ROMEO: ")).view(-1, 1)
    assert torch.equal(a.model(x)[0], b.model(x)[0])
    meta = json.loads((tiny_run / "meta.json").read_text())
    assert meta["format"] == CHECKPOINT_FORMAT and meta["corpus"]["kind"] == "text"
    assert meta["vocab"]["tokens"] == a.vocab.tokens
    assert meta["summary"]["step"] == 60
    rows = ckpt.read_metrics(tiny_run)
    assert [r["step"] for r in rows] == [30, 60]
    assert {"step", "tokens", "train_loss", "val_loss", "tokens_per_sec", "elapsed"} <= set(rows[0])


class Boom:
    """Unpickling this would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def run_with_planted_best(tiny_run, tmp_path, write):
    """A run folder whose best.pt is written by ``write(path, payload)`` with a payload that would
    run a shell command when unpickled; returns (run folder, marker file the command would make)."""
    run = tmp_path / "evil"
    run.mkdir()
    (run / "meta.json").write_text((tiny_run / "meta.json").read_text())
    marker = tmp_path / "pwned"
    write(run / "best.pt", {"model": Boom(marker)})
    return run, marker


def _plain_pickle(path, payload):
    with open(path, "wb") as f:
        pickle.dump(payload, f)


def _torch_zip(path, payload):
    torch.save(payload, path)


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch notes the foreign pickle protocol
@pytest.mark.parametrize("write", [_plain_pickle, _torch_zip], ids=["pickle", "torch-zip"])
def test_planted_pickle_is_refused_and_runs_nothing(tiny_run, tmp_path, write):
    run, marker = run_with_planted_best(tiny_run, tmp_path, write)
    with pytest.raises(GenError, match="refusing to load"):
        ckpt.load_model(run)
    assert not marker.exists()


def test_truncated_format1_checkpoint_is_a_clear_error(tmp_path):
    run = tmp_path / "cut"
    run.mkdir()
    (run / "meta.json").write_text((FORMAT1 / "meta.json").read_text())
    data = (FORMAT1 / "best.pt").read_bytes()
    (run / "best.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(GenError, match="corrupt or truncated"):
        ckpt.load_model(run)


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _header_only(data: bytes) -> bytes:
    n = int.from_bytes(data[:8], "little")
    return data[: 8 + n]


def _garbage_header(data: bytes) -> bytes:
    return data[:8] + b"{not json" + data[17:]


def _huge_header_length(data: bytes) -> bytes:
    return (2**40).to_bytes(8, "little") + data[8:]


def _a_pickle(data: bytes) -> bytes:
    return pickle.dumps({"model": {"w": 1}})


@pytest.mark.parametrize("spoil", [_cut, _header_only, _garbage_header, _huge_header_length,
                                   _a_pickle, lambda d: b"", lambda d: d[:5]],
                         ids=["half", "header-only", "garbage-header", "huge-header", "pickle",
                              "empty", "5-bytes"])
def test_corrupt_safetensors_is_a_clear_error(tiny_run, tmp_path, spoil):
    run = tmp_path / "spoilt"
    run.mkdir()
    (run / "meta.json").write_text((tiny_run / "meta.json").read_text())
    (run / "model.safetensors").write_bytes(spoil((tiny_run / "model.safetensors").read_bytes()))
    with pytest.raises(GenError, match="is corrupt or truncated") as e:
        ckpt.load_model(run)
    assert len(str(e.value).splitlines()) == 1


def test_weights_are_safetensors_with_step_and_loss(tiny_run):
    from safetensors import safe_open

    with safe_open(str(tiny_run / "model.safetensors"), framework="pt") as f:
        meta = f.metadata()
        names = set(f.keys())
    summary = json.loads((tiny_run / "meta.json").read_text())["summary"]
    assert int(meta["step"]) == summary["best_step"]
    assert json.loads(meta["val_loss"]) == pytest.approx(summary["best_val"])
    assert names == set(ckpt.load_model(tiny_run).model.state_dict())
    assert not (tiny_run / "best.pt").exists()


def test_format1_run_loads_and_samples(gen, tmp_path):
    import gen as api

    run = tmp_path / "old"
    shutil.copytree(FORMAT1, run)
    m = api.load(run)
    assert m.info["format"] == 1 and m.info["weights"] == "best.pt"
    text = m.sample(seed="First", length=30, rng_seed=1)[0]
    assert text.startswith("First") and len(text) == 35
    r = gen("sample", "-c", run, "--seed", "First", "-n", "30", "--rng-seed", "1", "-t", "1", "-q")
    assert r.code == 0 and r.out == text + "\n"
    info = gen("info", "-c", run).out
    assert "format       1 (weights in best.pt)" in info
    # Read only: loading and sampling change nothing in the folder.
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in FORMAT1.iterdir())


def test_format1_run_resumes_into_format2(gen, tmp_path, monkeypatch):
    from conftest import SHAKESPEARE

    run = tmp_path / "old"
    shutil.copytree(FORMAT1, run)
    corpus = tmp_path / "small.txt"
    corpus.write_text(SHAKESPEARE.read_text()[:20000])  # what the stored run learned from
    before = ckpt.load_model(run).model.state_dict()
    r = gen("train", "--resume", run, str(corpus), "--steps", "40", "-q")
    assert r.code == 0, r.err
    meta = json.loads((run / "meta.json").read_text())
    assert meta["format"] == 2 and meta["summary"]["step"] == 40
    assert (run / "model.safetensors").exists() and not (run / "best.pt").exists()
    after = ckpt.load_model(run)
    assert after.run == run and set(after.model.state_dict()) == set(before)
    d = json.loads(gen("info", "-c", run, "--json").out)
    assert d["format"] == 2 and d["weights"] == "model.safetensors"


def test_init_from_a_format1_run(gen, tmp_path):
    from conftest import SHAKESPEARE

    corpus = tmp_path / "more.txt"
    corpus.write_text(SHAKESPEARE.read_text()[20000:40000])
    r = gen("train", str(corpus), "--init-from", FORMAT1, "--steps", "4", "--eval-every", "2",
            "-o", tmp_path / "tuned", "--batch-size", "8", "--seq-len", "16", "-q")
    assert r.code == 0, r.err
    assert ckpt.load_model(tmp_path / "tuned").model.cfg.hidden == 16


def test_find_latest_and_compare_see_both_formats(gen, tiny_run, tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    shutil.copytree(tiny_run, root / "new")
    shutil.copytree(FORMAT1, root / "old")
    t = time.time()  # explicit times: two bare utime() calls can land on the same clock tick
    os.utime(root / "old" / "best.pt", (t + 10, t + 10))  # the format-1 run's weights changed last
    assert ckpt.find_latest(root) == root / "old"
    os.utime(root / "new" / "model.safetensors", (t + 20, t + 20))
    assert ckpt.find_latest(root) == root / "new"
    rows = json.loads(gen("compare", root / "old", root / "new", "--json").out)
    assert [r["format"] for r in rows] == [1, 2]
    from gen.studio.runs import summary

    assert summary(root, "old")["trained"] and summary(root, "new")["trained"]


def test_a_run_saved_on_another_device_loads_on_the_cpu(tiny_run, tmp_path):
    """Weights are written from CPU copies and read with device="cpu": a safetensors file
    records no device, so one written on a GPU machine reads here the same way."""
    from safetensors.torch import load_file

    loaded = ckpt.load_model(tiny_run, device="cpu")
    assert all(t.device.type == "cpu" for t in loaded.model.state_dict().values())
    raw = load_file(str(tiny_run / "model.safetensors"), device="cpu")
    assert all(torch.equal(raw[k], v) for k, v in loaded.model.state_dict().items())


def test_other_format_version_is_named(tiny_run, tmp_path):
    run = tmp_path / "old"
    run.mkdir()
    meta = json.loads((tiny_run / "meta.json").read_text())
    meta["format"] = 999
    (run / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(GenError, match="format 999"):
        ckpt.read_meta(run)


def test_folder_without_meta_is_not_a_checkpoint(tmp_path):
    with pytest.raises(GenError, match="not a gen checkpoint"):
        ckpt.resolve_run(tmp_path)


def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    ckpt.save_tensors(path, {"model": {"w": torch.ones(3)}})
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(GenError, match="No space left on device.*untouched"):
        ckpt.save_tensors(path, {"model": {"w": torch.zeros(3)}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temp file left behind


CUDA_RUN = Path(__file__).parent / "data" / "cuda-run"  # gen 0.1.0 (format 1) on an H200, cuda


def test_a_run_trained_on_cuda_loads_samples_and_resumes_on_the_cpu(gen, tmp_path, monkeypatch):
    """tests/data/cuda-run was trained with --device cuda (its best.pt and last.pt hold CUDA
    tensors); sample.txt is `gen sample --seed First -n 30 --rng-seed 1 -t 1` printed there."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    run = tmp_path / "cuda"
    shutil.copytree(CUDA_RUN, run)
    assert json.loads((run / "meta.json").read_text())["device"] == "cuda"
    loaded = ckpt.load_model(run)
    assert all(t.device.type == "cpu" for t in loaded.model.state_dict().values())
    r = gen("sample", "-c", run, "--seed", "First", "-n", "30", "--rng-seed", "1", "-t", "1", "-q")
    assert r.code == 0 and r.out == (CUDA_RUN / "sample.txt").read_text()
    from conftest import SHAKESPEARE

    corpus = tmp_path / "small.txt"
    corpus.write_text(SHAKESPEARE.read_text()[:20000])
    r = gen("train", "--resume", run, str(corpus), "--steps", "30", "--device", "cpu", "-q")
    assert r.code == 0, r.err
    assert json.loads((run / "meta.json").read_text())["format"] == 2
    assert ckpt.load_tensors(run / "last.pt")["state"]["step"] == 30
