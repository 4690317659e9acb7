"""Multi-process training under torchrun (gloo on CPU) and run folders shared by many processes.

The torchrun tests start real processes (a second or two of imports each on a small machine), so
they are marked slow; they still run in CI.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from gen import checkpoint as ckpt

from conftest import TINY_MODEL

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "GEN_DIST_TIMEOUT": "120"}


def gen_cmd(*args, procs=1, cwd=None, wait=True):
    """`gen ARGS` in a fresh process, or under torchrun with ``procs`` processes."""
    if procs > 1:
        head = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc-per-node", str(procs), "-m", "gen"]
    else:
        head = [sys.executable, "-m", "gen"]
    cmd = head + [str(a) for a in args]
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)


def hidden_streams(run):
    h = ckpt.load_tensors(run / ckpt.LAST)["hidden"]
    return (h[0] if isinstance(h, (list, tuple)) else h).shape


@pytest.mark.slow
def test_two_processes_train_a_model_that_samples_and_resumes_on_one_and_two(small_text, tmp_path):
    run = tmp_path / "r"
    r = gen_cmd("train", small_text, "-o", run, *TINY_MODEL, "--steps", "20", "--eval-every", "10",
                procs=2)
    assert r.returncode == 0, r.stderr
    # Rank 0 alone writes: one metrics line per evaluation, not one per rank.
    assert [row["step"] for row in ckpt.read_metrics(run)] == [10, 20]
    info = json.loads(gen_cmd("info", "-c", run, "--json").stdout)
    assert info["world_size"] == 2 and info["steps"] == 20
    # The checkpoint holds all 8 streams (batch size 8), not one rank's 4.
    assert hidden_streams(run)[1] == 8
    s = gen_cmd("sample", "-c", run, "-n", "40", "--rng-seed", "1")
    assert s.returncode == 0 and len(s.stdout) >= 40

    r = gen_cmd("train", "--resume", run, "--steps", "30", "-q")  # 2 -> 1 process
    assert r.returncode == 0, r.stderr
    assert json.loads(gen_cmd("info", "-c", run, "--json").stdout)["world_size"] == 1
    r = gen_cmd("train", "--resume", run, "--steps", "40", "-q", procs=2)  # 1 -> 2 processes
    assert r.returncode == 0, r.stderr
    assert [row["step"] for row in ckpt.read_metrics(run)] == [10, 20, 30, 40]
    assert hidden_streams(run)[1] == 8
    assert ckpt.load_tensors(run / ckpt.LAST)["state"]["step"] == 40


@pytest.mark.slow
def test_a_time_budget_stops_every_rank_at_the_same_step(small_text, tmp_path):
    # A rank that stopped alone would leave the other waiting in a collective: the run would
    # fail or hang instead of finishing with one final evaluation.
    run = tmp_path / "m"
    # 24 s: the start-up counts against the budget, and two torch start-ups at once on a
    # busy 2-core box took 3 s here and can take several times that.
    r = gen_cmd("train", small_text, "-o", run, *TINY_MODEL, "--minutes", "0.4",
                "--eval-every", "1000000", procs=2)
    assert r.returncode == 0, r.stderr
    rows = ckpt.read_metrics(run)
    assert len(rows) == 1 and rows[0]["step"] > 0, ckpt.read_meta(run).get("timings")
    assert ckpt.load_tensors(run / ckpt.LAST)["state"]["step"] == rows[0]["step"]


def test_batch_that_does_not_split_over_the_processes_is_refused(monkeypatch):
    from gen import distributed as dist
    from gen.errors import GenError

    monkeypatch.setattr(dist, "world_size", lambda: 3)
    with pytest.raises(GenError, match="multiple of 3"):
        dist.my_streams(8)


@pytest.mark.slow
def test_two_runs_started_together_get_two_folders(small_text, tmp_path):
    procs = [gen_cmd("train", small_text, *TINY_MODEL, "--steps", "5", "--eval-every", "5",
                     cwd=tmp_path, wait=False) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert runs == ["small", "small-2"]
    for name in runs:  # each folder holds one run: 1 evaluation, not 2 interleaved
        assert len(ckpt.read_metrics(tmp_path / "checkpoints" / name)) == 1


HOLD = ("import sys, time; from pathlib import Path; from gen import runfolder; "
        "runfolder.claim_existing(Path(sys.argv[1])); print('held', flush=True); time.sleep(300)")


@pytest.mark.slow
def test_resume_of_a_live_run_is_refused_and_a_killed_holder_does_not_block(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "r"
    shutil.copytree(tiny_run, run)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], env=ENV,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = gen_cmd("train", "--resume", run, "--steps", "65", "-q")
        assert r.returncode != 0
        assert f"is being trained by another process (pid {holder.pid})" in r.stderr
        assert "Traceback" not in r.stderr
        assert ckpt.read_meta(run)["summary"]["step"] == 60  # untouched
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (run / ".lock").exists()  # the stale lock file is still there...
    r = gen_cmd("train", "--resume", run, "--steps", "65", "-q")
    assert r.returncode == 0, r.stderr  # ...and blocks nothing
    assert ckpt.read_meta(run)["summary"]["step"] == 65


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_mixed_precision_trains_and_samples(small_text, tmp_path):
    run = tmp_path / "g"
    args = [a for a in TINY_MODEL if a not in ("--precision", "fp32")]
    r = gen_cmd("train", small_text, "-o", run, *args, "--device", "cuda", "--precision", "auto",
                "--steps", "20", "--eval-every", "10")
    assert r.returncode == 0, r.stderr
    assert ckpt.read_meta(run)["train"]["precision"] in ("bf16", "fp16")
    s = gen_cmd("sample", "-c", run, "-n", "40", "--device", "cuda")
    assert s.returncode == 0 and len(s.stdout) >= 40
