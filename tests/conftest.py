"""Shared fixtures: a small corpus, a tiny trained run, and an in-process `gen` runner that keeps
stdout and stderr apart (as a user's shell would)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Token and note caches of test runs go to a folder of their own, not the user's ~/.cache/gen
# (subprocesses inherit it).
os.environ.setdefault("GEN_CACHE_DIR", tempfile.mkdtemp(prefix="gen-test-cache-"))
SHAKESPEARE = ROOT / "corpora" / "tinyshakespeare.txt"
TINY_MODEL = ["--layers", "1", "--hidden", "32", "--embed-dim", "16", "--batch-size", "8",
              "--seq-len", "16", "--precision", "fp32", "-q"]


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def gen(capsys, monkeypatch):
    """Run `gen ARGS...` in this process; returns exit code, stdout and stderr separately."""
    from gen.cli import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["gen", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def gen_subprocess(*args: str, cwd: Path | None = None, timeout: float = 120, **kw):
    """Run gen in a fresh interpreter (for pipes, signals and real exit codes)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gen", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def small_text(tmp_path_factory) -> Path:
    """The first 60k characters of tinyshakespeare: enough for a tiny model to learn something."""
    p = tmp_path_factory.mktemp("corpus") / "small.txt"
    p.write_text(SHAKESPEARE.read_text()[:60000])
    return p


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, small_text) -> Path:
    """A tiny LSTM trained for 60 steps; shared by the tests that only read a run."""
    from gen.cli import main

    out = tmp_path_factory.mktemp("runs") / "tiny"
    argv = sys.argv
    sys.argv = ["gen", "train", str(small_text), "--steps", "60", "--eval-every", "30",
                "-o", str(out), *TINY_MODEL]
    try:
        main()
    except SystemExit as e:
        assert not e.code, "training the tiny fixture run failed"
    finally:
        sys.argv = argv
    return out


def train_in_process(corpus: Path, out: Path, *args: str) -> Path:
    """`gen train CORPUS -o OUT ARGS...` in this process (faster than a subprocess for a tiny
    model), asserting it succeeded; the run folder."""
    from gen.cli import main

    argv = sys.argv
    sys.argv = ["gen", "train", str(corpus), "-o", str(out), *args]
    try:
        main()
    except SystemExit as e:
        assert not e.code
    finally:
        sys.argv = argv
    return out


# Debian's chromium, driven by Playwright (its own browser download is not reachable here); the
# flags keep it from reaching for the network at start-up.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """One headless chromium per test module (tests/test_studio_browser.py, test_export_html.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
