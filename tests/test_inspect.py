"""Terminal conventions of `gen info --plot` and `gen plot`: no colour codes in pipes or under
NO_COLOR, and runs whose folders share a name get labels that tell them apart."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, gen_subprocess


def test_info_plot_into_a_pipe_has_no_colour_codes(tiny_run):
    r = gen_subprocess("info", "-c", tiny_run, "--plot")
    assert r.returncode == 0, r.stderr
    assert "validation" in r.stdout and "┤" in r.stdout
    assert "\x1b" not in r.stdout


def _on_a_terminal(args, env_extra: dict) -> str:
    """stdout of `gen ARGS` written to a pseudo-terminal (so isatty() is true)."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gen", *map(str, args)], stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode()


@pytest.mark.parametrize("args", [["info", "--plot"], ["probe", "--text", "Speak, speak."]])
def test_terminal_views_honour_no_color_on_a_terminal(tiny_run, args):
    coloured = _on_a_terminal([*args, "-c", tiny_run], {})
    assert "\x1b[" in coloured  # a terminal still gets colour...
    plain = _on_a_terminal([*args, "-c", tiny_run], {"NO_COLOR": "1"})
    assert "\x1b" not in plain and plain.strip()  # ...unless NO_COLOR says not to


@pytest.mark.parametrize("paths, labels", [
    (["x/a/run", "x/b/run"], ["a/run", "b/run"]),
    (["x/a/run", "y/a/run"], ["x/a/run", "y/a/run"]),
    (["x/lstm", "x/gru"], ["lstm", "gru"]),
    (["one/run"], ["run"]),
])
def test_run_labels_are_the_shortest_distinguishing_suffix(tmp_path, paths, labels):
    from gen.commands.inspect import run_labels

    assert run_labels([tmp_path / p for p in paths]) == labels


def test_plot_legend_tells_same_named_runs_apart(gen, tiny_run, tmp_path):
    for parent in ("a", "b"):
        shutil.copytree(tiny_run, tmp_path / parent / "run")
    svg = tmp_path / "loss.svg"
    r = gen("plot", tmp_path / "a" / "run", tmp_path / "b" / "run", "-o", svg)
    assert r.code == 0, r.err
    text = svg.read_text()  # matplotlib's SVG keeps each text as a comment beside its glyphs
    assert "a/run train" in text and "b/run validation" in text
    assert "run train" not in text.replace("a/run train", "").replace("b/run train", "")
