"""Fault injection: signals during training, full and read-only file systems, a deleted run
folder, failed writes of other files, and many studio clients at once.

Each training fault asserts what a user relies on: one line on stderr, the exit status, no
temporary file left in the run folder, and the newest complete checkpoint loads and samples.
A full or read-only file system is real where this process may mount (root: a 2 MB tmpfs, a
read-only bind mount); elsewhere the failure is injected into the child process by a
sitecustomize on its PYTHONPATH that makes ``os.open``/``os.fsync`` fail once a trigger file
exists.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gen import checkpoint as ckpt

from conftest import ROOT, TINY_MODEL

TINY = [*TINY_MODEL[:-1]]  # without -q: the tests below choose
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".tmp" in p.name]


def assert_loads_and_samples(gen, run: Path) -> None:
    """The newest complete checkpoint loads and samples."""
    loaded = ckpt.load_model(run, which="last")
    assert loaded.model.cfg.hidden == 32
    r = gen("sample", "-c", run, "--length", "20", "--rng-seed", "1", "-q")
    assert r.code == 0 and len(r.out) >= 20, r.err


def start_training(corpus, out: Path, *extra, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gen", "train", str(corpus), "-o", str(out), *TINY,
         "--steps", "1000000", *map(str, extra)],
        env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    end = time.time() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.time() < end, f"{path} never appeared"
        time.sleep(0.05)


# -- signals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_at_a_random_step_saves_that_step_and_exits_128_plus_signum(
        gen, small_text, tmp_path, monkeypatch, signum):
    """The signal comes from inside a step (as it would from outside, at any moment): training
    stops at that step's boundary, saves it, and says how to resume."""
    from gen.trainer import Trainer

    sent_at = random.Random(signum).randrange(3, 40)
    original = Trainer.train_step

    def step_then_signal(self, x, y):
        value = original(self, x, y)
        if self.state.step + 1 == sent_at:
            os.kill(os.getpid(), signum)
        return value

    monkeypatch.setattr(Trainer, "train_step", step_then_signal)
    run = tmp_path / "run"
    r = gen("train", small_text, "-o", run, *TINY, "-q", "--steps", "50", "--eval-every", "25")
    assert r.code == 128 + signum, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.err
    name = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    assert lines[0] == (f"error: {name} at step {sent_at}; state saved in {run}/last.pt, "
                        f"continue with `gen train --resume {run}`")
    assert ckpt.load_tensors(run / "last.pt")["state"]["step"] == sent_at
    assert leftovers(run) == []
    monkeypatch.setattr(Trainer, "train_step", original)
    assert_loads_and_samples(gen, run)
    r = gen("train", "--resume", run, "-q")
    assert r.code == 0, r.err
    assert ckpt.load_tensors(run / "last.pt")["state"]["step"] == 50


def test_save_every_writes_last_pt_between_evaluations(gen, small_text, tmp_path, monkeypatch):
    """--save-every is a wall-clock interval independent of --eval-every."""
    import gen.trainer as train

    clock = [0.0]

    class Clock:  # the trainer's clock only
        @staticmethod
        def perf_counter():
            return clock[0]

    import gen.stopping as stopping

    monkeypatch.setattr(train, "time", Clock)
    monkeypatch.setattr(stopping, "time", Clock)
    original = train.Trainer.train_step
    saves = []
    original_save = train.Trainer.save_last

    def slow_step(self, x, y):
        clock[0] += 1.0  # every step "takes" a second
        return original(self, x, y)

    def counted_save(self):
        saves.append(self.state.step)
        original_save(self)

    monkeypatch.setattr(train.Trainer, "train_step", slow_step)
    monkeypatch.setattr(train.Trainer, "save_last", counted_save)
    run = tmp_path / "run"
    r = gen("train", small_text, "-o", run, *TINY, "-q", "--steps", "20", "--eval-every", "1000",
            "--save-every", "0.1")
    assert r.code == 0, r.err
    # A save every 6 "seconds" = 6 steps, then the final evaluation's.
    assert saves == [6, 12, 18, 20]


def test_a_second_signal_stops_at_once_and_the_written_state_stands(
        gen, small_text, tmp_path, monkeypatch):
    from gen.trainer import Trainer

    original = Trainer.save_last

    def signal_during_save(self):
        if self.stop.signum:
            os.kill(os.getpid(), signal.SIGTERM)  # the impatient second signal, mid-save
        original(self)

    calls = {"n": 0}
    original_step = Trainer.train_step

    def first_signal(self, x, y):
        calls["n"] += 1
        if calls["n"] == 10:
            os.kill(os.getpid(), signal.SIGTERM)
        return original_step(self, x, y)

    monkeypatch.setattr(Trainer, "save_last", signal_during_save)
    monkeypatch.setattr(Trainer, "train_step", first_signal)
    run = tmp_path / "run"
    r = gen("train", small_text, "-o", run, *TINY, "-q", "--steps", "100", "--eval-every", "5")
    assert r.code == 128 + signal.SIGTERM
    assert r.err.count("\n") == 1 and "the last state written is kept" in r.err
    assert leftovers(run) == []
    assert ckpt.load_tensors(run / "last.pt")["state"]["step"] == 5  # the evaluation's save


@pytest.mark.slow
def test_sigterm_from_outside_at_random_moments(gen, small_text, tmp_path):
    rng = random.Random(1)
    for i in range(3):
        run = tmp_path / f"run{i}"
        p = start_training(small_text, run, "-q", "--eval-every", "100")
        wait_for(run / "last.pt", p)  # written inside fit(): the signal handlers are in place
        time.sleep(rng.uniform(0.5, 2.0))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 143 and out == ""
        assert err.count("\n") == 1 and "stopped by SIGTERM at step " in err, err
        step = int(err.split(" at step ")[1].split(";")[0])
        assert ckpt.load_tensors(run / "last.pt")["state"]["step"] == step
        assert leftovers(run) == []
        assert_loads_and_samples(gen, run)


@pytest.mark.slow
def test_sigterm_to_torchrun_stops_both_ranks_at_one_step_and_rank_0_saves(gen, small_text,
                                                                          tmp_path):
    run = tmp_path / "run"
    p = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "gen", "train", str(small_text), "-o", str(run), *TINY, "-q",
         "--steps", "1000000", "--eval-every", "100"],
        env={**ENV, "GEN_DIST_TIMEOUT": "120"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    wait_for(run / "last.pt", p)  # written inside fit(): both ranks handle signals by then
    time.sleep(2)
    p.send_signal(signal.SIGTERM)  # torchrun passes it on to both workers
    out, err = p.communicate(timeout=120)
    ours = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(ours) == 1 and "stopped by SIGTERM at step " in ours[0], err
    step = int(ours[0].split(" at step ")[1].split(";")[0])
    payload = ckpt.load_tensors(run / "last.pt")
    assert payload["state"]["step"] == step
    h = payload["hidden"]
    assert (h[0] if isinstance(h, (list, tuple)) else h).shape[1] == 8  # both ranks' streams
    assert leftovers(run) == []
    assert_loads_and_samples(gen, run)


# -- full disk, read-only folder, deleted folder ------------------------------------------------

INJECT = textwrap.dedent('''
    """Test injection: once $GEN_FAULT_TRIGGER exists, creating files under $GEN_FAULT_DIR fails
    with $GEN_FAULT_ERRNO, and so does every fsync (a full disk fails the writes)."""
    import errno, os
    _dir, _trigger = os.environ["GEN_FAULT_DIR"], os.environ["GEN_FAULT_TRIGGER"]
    _code = getattr(errno, os.environ["GEN_FAULT_ERRNO"])
    _open, _fsync = os.open, os.fsync

    def _fail():
        raise OSError(_code, os.strerror(_code))

    def open_(path, flags, *a, **k):
        if os.path.exists(_trigger) and flags & os.O_CREAT and str(path).startswith(_dir):
            _fail()
        return _open(path, flags, *a, **k)

    def fsync(fd):
        if os.path.exists(_trigger):
            _fail()
        return _fsync(fd)

    os.open, os.fsync = open_, fsync
''')


def can_mount() -> bool:
    if os.geteuid() != 0 or not Path("/proc/mounts").exists():
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"gen-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", str(probe)], capture_output=True)
    probe.rmdir()
    return ok


MOUNT = can_mount()


def injected_env(tmp_path: Path, folder: Path, code: str) -> tuple[dict, Path]:
    site = tmp_path / "inject"
    site.mkdir()
    (site / "sitecustomize.py").write_text(INJECT)
    trigger = tmp_path / "trigger"
    env = {**ENV, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "GEN_FAULT_DIR": str(folder),
           "GEN_FAULT_TRIGGER": str(trigger), "GEN_FAULT_ERRNO": code}
    return env, trigger


def check_failed_write(gen, proc, run: Path, cause: str) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: could not write {run}/") and cause in lines[0], lines[0]
    assert "training stopped at step" in lines[0]
    # Only a folder that went read-only can keep a temp file, and then the line names it.
    assert all(f"its temp file {name} could not be removed" in lines[0]
               for name in leftovers(run)), (leftovers(run), lines[0])
    if leftovers(run):
        assert "Read-only" in cause
    json.loads((run / "meta.json").read_text())
    assert_loads_and_samples(gen, run)


def test_full_disk_mid_run_is_one_line_and_the_last_checkpoint_stands(gen, small_text, tmp_path):
    if MOUNT:
        disk = tmp_path / "disk"
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
        env = ENV
    else:
        disk = tmp_path / "disk"
        disk.mkdir()
        env, trigger = injected_env(tmp_path, disk, "ENOSPC")
    run = disk / "run"
    try:
        p = start_training(small_text, run, "-q", "--eval-every", "20", env=env)
        wait_for(run / "last.pt", p)
        if MOUNT:
            filler = disk / "filler"
            with open(filler, "wb") as f:  # fill the file system to the last block
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError as e:
                    assert e.errno == errno.ENOSPC
        else:
            trigger.touch()
        out_err = p.wait(timeout=300)
        assert out_err == 1
        if MOUNT:
            filler.unlink()  # room again: sampling needs none, but the checks read files
        check_failed_write(gen, p, run, "No space left on device")
    finally:
        if MOUNT:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def remount_read_only(folder: Path, tries: int = 20) -> bool:
    """Make a bind mount read-only. The kernel refuses (EBUSY, "mount point is busy") while a
    file on it is open for writing, as when the run is writing a checkpoint: try again briefly."""
    for _ in range(tries):
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                          capture_output=True).returncode == 0:
            return True
        time.sleep(0.05)
    return False


def test_folder_made_read_only_mid_run(gen, small_text, tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    run = folder / "run"
    # The child always carries the injected EROFS too: it fires only when the trigger file exists,
    # which is the fallback when the real read-only remount is refused.
    env, trigger = injected_env(tmp_path, folder, "EROFS")
    p = start_training(small_text, run, "-q", "--eval-every", "20", env=env)
    mounted = False
    try:
        wait_for(run / "last.pt", p)
        if MOUNT:  # root ignores chmod: a read-only bind mount over the folder
            subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
            mounted = True
            if not remount_read_only(folder):
                trigger.touch()
        else:
            trigger.touch()
        p.wait(timeout=300)
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
            mounted = False
        check_failed_write(gen, p, run, "Read-only file system")
        trigger.unlink(missing_ok=True)
        r = gen("train", "--resume", run, "--minutes", "0.02", "-q")  # writable again: goes on
        assert r.code == 0, r.err
        assert leftovers(run) == []  # a temp file the read-only folder kept is cleared
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_run_folder_deleted_mid_run_stops_with_one_line(small_text, tmp_path):
    import shutil

    run = tmp_path / "run"
    p = start_training(small_text, run, "-q", "--eval-every", "20")
    wait_for(run / "last.pt", p)
    # Move the folder away in one step, then delete it: an rmtree straight on the
    # live folder races the run's own temp files (CI saw FileNotFoundError on one).
    gone = tmp_path / "gone"
    os.rename(run, gone)
    shutil.rmtree(gone, ignore_errors=True)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1 and out == ""
    assert err.count("\n") == 1 and "its run folder was deleted" in err, err
    assert not run.exists()  # not silently re-created


def test_failed_metrics_append_leaves_no_half_line(tmp_path, monkeypatch):
    from gen.errors import GenError

    ckpt.append_metrics(tmp_path, {"step": 1})
    real = os.write

    def short_then_full(fd, data):
        real(fd, data[:5])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_then_full)
    with pytest.raises(GenError, match=r"metrics.jsonl: No space left on device"):
        ckpt.append_metrics(tmp_path, {"step": 2})
    monkeypatch.setattr(os, "write", real)
    ckpt.append_metrics(tmp_path, {"step": 3})
    assert [r["step"] for r in ckpt.read_metrics(tmp_path)] == [1, 3]


def test_full_disk_under_the_token_cache_is_one_line(tmp_path, monkeypatch):
    from gen import tokens_cache as tc
    from gen.errors import GenError

    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path))
    w = tc.Writer("k" * 40, tc.id_dtype(10))

    class Full:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass

    w.fh = Full()
    with pytest.raises(GenError, match=r"could not write .*\.ids: No space left on device.*"
                                       r"GEN_CACHE_DIR"):
        with w:
            w.write(tc.np.zeros(10, dtype="uint8"))
    assert leftovers(tmp_path) == []


def test_sample_output_on_a_full_disk(gen, tiny_run, tmp_path, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text("before")
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    r = gen("sample", "-c", tiny_run, "--length", "5", "-o", out, "-q")
    monkeypatch.setattr(os, "fsync", real)
    assert r.code == 1 and r.err.count("\n") == 1
    assert r.err == (f"error: could not write {out}: No space left on device; "
                     "the previous version is untouched\n")
    assert out.read_text() == "before" and leftovers(tmp_path) == []


def test_a_library_failing_to_write_leaves_no_partial_file(tmp_path):
    """What music21, fluidsynth or rsvg-convert write goes through gen.outfile.atomic_output."""
    from gen.errors import GenError
    from gen.outfile import atomic_output

    out = tmp_path / "tune.mid"
    with pytest.raises(GenError, match=r"tune\.mid: Disk quota exceeded; nothing was written"):
        with atomic_output(out) as tmp:
            tmp.write_bytes(b"MThd partial")
            try:
                raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))
            except OSError:
                raise RuntimeError("the library's own wrapper")
    assert list(tmp_path.iterdir()) == []


# -- the studio's queue -----------------------------------------------------------------------

def test_slots_queue_in_order_refuse_beyond_the_bound_and_time_out():
    import asyncio

    from gen.studio.queue import Busy, Slots

    async def scenario():
        slots = Slots(running=2, waiting=2, timeout=30)  # no stall fails the ordering part
        order = []
        await slots.acquire()
        await slots.acquire()

        async def waiter(name):
            await slots.acquire()
            order.append(name)

        a = asyncio.create_task(waiter("a"))
        await asyncio.sleep(0)
        b = asyncio.create_task(waiter("b"))
        await asyncio.sleep(0.01)
        with pytest.raises(Busy, match="2 samples are running and 2 waiting"):
            await slots.acquire()  # the queue is full: refused at once
        slots.release()
        await a
        slots.release()
        await b
        assert order == ["a", "b"] and slots.held == 2
        slots.timeout = 0.5
        with pytest.raises(Busy, match="waited 0.5 s"):
            await slots.acquire()  # nobody releases: the wait times out
        slots.release()
        slots.release()
        assert slots.held == 0 and slots.try_acquire()

    asyncio.run(scenario())


@pytest.mark.slow
def test_sixteen_studio_clients_all_get_complete_streams_within_a_minute(tiny_run, tmp_path):
    pytest.importorskip("starlette")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import shutil

    import studio_load

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny", ignore=shutil.ignore_patterns(".lock"))
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "studio_load.py"),
                        "--run", str(runs / "tiny"), "--clients", "16", "--requests", "64",
                        "--length", "50"], env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    burst = next(json.loads(line) for line in r.stdout.splitlines() if '"burst"' in line)
    assert burst["requests"] == 64 and burst["ok"] == 64 and burst["statuses"] == [200]
    assert burst["wall_s"] < 60
    assert studio_load  # the same client the published figure uses
