"""Checkpoints: round-trip, atomic writes, and refusing anything that could run code."""

import json
import os
import pickle

import pytest
import torch

from gen import CHECKPOINT_FORMAT
from gen import checkpoint as ckpt
from gen.errors import GenError


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


def test_truncated_checkpoint_is_a_clear_error(tiny_run, tmp_path):
    run = tmp_path / "cut"
    run.mkdir()
    (run / "meta.json").write_text((tiny_run / "meta.json").read_text())
    data = (tiny_run / "best.pt").read_bytes()
    (run / "best.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(GenError, match="corrupt or truncated"):
        ckpt.load_model(run)


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
