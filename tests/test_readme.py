"""The README stays short and true, and docs/figures.md stays a record.

- README.md is at most 250 lines; its set-up commands keep their form, and the test command is
  the one .ci/run runs, verbatim; the files it links to exist.
- Every `gen ...` line of the README's ```sh blocks runs as written, in the order-independent
  workspace of tests/doc_commands.py, on tiny models: a training budget (`--minutes N`) becomes
  `--steps 5` (a minute of training is not a test), new models get a tiny shape, and lines that
  train on music21's collections or run `gen bench` are left to the slow suite. A command this
  checkout does not have yet is skipped, and says so.
- The README's ```python block runs (training with `steps=5` instead of `minutes=N`) where the
  Python API is present.
- In docs/figures.md every figure (a table row with a number, or a bullet of the history) sits
  under a heading whose section gives a date, a machine and a command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from doc_commands import adapt, parse, run_line, shared_workspace

README = (ROOT / "README.md").read_text()
FIGURES = ROOT / "docs" / "figures.md"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


def tour_lines() -> list[str]:
    return [ln.strip() for b in blocks(README, "sh") for ln in b.splitlines()
            if ln.strip().startswith("gen ")]


def test_readme_is_at_most_250_lines():
    assert len(README.splitlines()) <= 250


def test_setup_commands_keep_their_form_and_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    test_cmd = ci[ci.index("# The README's test command, verbatim:") + 1]
    assert test_cmd.startswith("python3 -m venv .venv && .venv/bin/pip install") and \
        test_cmd.endswith("&& .venv/bin/pytest")
    assert f"\n{test_cmd}\n" in README
    assert ("\npython3 -m venv .venv && .venv/bin/pip install -q torch==2.13.0 -e . && "
            ".venv/bin/gen train corpora/tinyshakespeare.txt --minutes 1 && "
            '.venv/bin/gen sample --seed "ROMEO:" --length 300\n') in README


def test_readme_links_point_at_files():
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", README):
        assert (ROOT / target).exists(), target


def test_tour_covers_every_command():
    import typer.main

    from gen.cli import app

    shown = {parse(ln).command for ln in tour_lines()}
    missing = set(typer.main.get_command(app).commands) - shown
    assert not missing, f"commands the README's tour does not show: {sorted(missing)}"


LINES = [pytest.param(ln, id=str(parse(ln)), marks=[pytest.mark.slow] if adapt(parse(ln)).slow else [])
         for ln in tour_lines()]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_run):
    return shared_workspace(tmp_path_factory, tiny_run)


def _commands() -> set[str]:
    import typer.main

    from gen.cli import app

    return set(typer.main.get_command(app).commands)


@pytest.mark.parametrize("text", LINES)
def test_tour_line_runs(text, workspace, gen, tmp_path):
    line = adapt(parse(text))
    if line.command not in _commands():
        pytest.skip(f"gen {line.command} is not in this checkout yet")
    if line.command == "export" and "onnx" in line.argv:
        pytest.importorskip("onnx")  # the export extra
    r = run_line(line, workspace, tmp_path / "cwd", gen)
    assert r.code == 0, f"{text}\n(ran: gen {' '.join(line.argv)})\n{r.err[-3000:]}"


def test_python_example_runs(workspace, tmp_path):
    import gen

    if not hasattr(gen, "load"):
        pytest.skip("the Python API (gen.load) is not in this checkout yet")
    (code,) = blocks(README, "python")
    code = re.sub(r"minutes=\d+(\.\d+)?", "steps=5", code)
    cwd = workspace.copy(tmp_path / "cwd")
    r = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "ROMEO:" in r.stdout


# -- docs/figures.md: a record -------------------------------------------------------------------

DATE = re.compile(r"^- Date: .*\b20\d\d-\d\d-\d\d\b", re.M)
MACHINE = re.compile(r"^- Machine: \S", re.M)
COMMAND = re.compile(r"^- Command", re.M)


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for every heading of level 3 and below; level 1-2 headings start a new
    part whose own text must hold no figures."""
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.M)
    return [("", parts[0])] + list(zip(parts[1::2], parts[2::2]))


def figure_lines(body: str) -> list[str]:
    rows = [ln for ln in body.splitlines() if ln.startswith("|") and re.search(r"\d", ln)
            and not re.fullmatch(r"[|\s:-]+", ln)]
    return rows


def test_every_figure_has_its_date_machine_and_command():
    text = FIGURES.read_text()
    checked = 0
    in_history = False
    for heading, body in sections(text):
        if heading.startswith("## "):
            in_history = heading.strip().lower() == "## history"
        figs = figure_lines(body)
        if in_history:
            # One machine line for the section, then one dated entry per superseded figure, each
            # with its command in backticks.
            assert MACHINE.search(body), "the history section names no machine"
            entries = [ln for ln in body.splitlines()
                       if ln.startswith("- ") and not MACHINE.match(ln)]
            for e in entries:
                assert re.match(r"- \*\*20\d\d-\d\d-\d\d\*\* .*`[^`]*\b(gen|python)\b[^`]*`", e), e
            checked += len(entries)
            continue
        if not figs:
            continue
        assert heading.startswith("### "), f"figures outside a measurement section: {figs[0]}"
        for what, pattern in (("date", DATE), ("machine", MACHINE), ("command", COMMAND)):
            assert pattern.search(body), f"{heading}: no {what} line"
        checked += len(figs)
    assert checked > 50  # the record is there, not an empty page that passes
