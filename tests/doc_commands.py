"""Run the `gen` command lines the documentation shows (the README's tour, each command's --help
examples) as written, on tiny models, so that the documentation stays true.

What is changed so that a line runs in seconds (and nothing else):
- a training budget (`--minutes N`, `--steps N`, `--epochs N`) becomes `--steps 5`, and a new
  model gets conftest.TINY_MODEL's shape appended (options given later win, so a line's own
  `--hidden 512` is overridden); `--resume` and `--init-from` keep the run's shape;
- `gen sample` without `--rng-seed` gets `--rng-seed 1`, so that a failure repeats (a
  nearly untrained model writes odd tunes, and some seeds find odd corners);
- `gen bench` runs one round of 2 steps and 50 characters (and only in the slow suite);
- `gen studio` listens on a free port (`--port 0`) without `--open`, answers one page and is
  stopped with Ctrl-C (SIGINT), as a user would stop it;
- `music21:NAME` corpora are parsed from music21's files (a minute or more when not cached), so
  lines that train on one run only in the slow suite.

Each line runs in a folder of its own, a copy of a workspace that holds what the documentation's
lines read: corpora/tinyshakespeare.txt (its first 60,000 characters), corpora/irish.abc (every 13th
tune: 62 tunes, in all its meters), my_text.txt and other.txt (text), tunes.abc (four corpus tunes that pass
`gen check`), checkpoints/tinyshakespeare (a tiny text run, the newest), checkpoints/irish (a
tiny ABC run), checkpoints/bach (a tiny note-level run, built when a line needs it) and runs/ (the
same runs). So a line's output (`> tunes.abc`, `-o checkpoints/mine`) never changes what another
line reads, and the lines can run in any order. Shell syntax understood: quotes, `$'...'`,
`# comments`, a final `> FILE`, and globs.
"""

from __future__ import annotations

import codecs
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from conftest import ROOT, SHAKESPEARE, TINY_MODEL

BUDGETS = ("--minutes", "--steps", "--epochs")


@dataclass
class Line:
    """One documented command line, parsed: argv after `gen`, and where stdout goes."""

    text: str
    argv: list[str]
    stdout_to: str | None = None
    slow: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        return self.argv[0] if self.argv else ""

    def __str__(self) -> str:
        """The line as a test id: the command without its comment."""
        return shlex.join(["gen", *self.argv]) + (f" > {self.stdout_to}" if self.stdout_to else "")


def parse(text: str) -> Line:
    """Split a shell line as bash would (for the syntax the documentation uses)."""
    # $'\n\n' (bash's ANSI-C quoting) → the characters it stands for, quoted for shlex.
    text_ = re.sub(r"\$'((?:[^'\\]|\\.)*)'",
                   lambda m: shlex.quote(codecs.decode(m.group(1), "unicode_escape")), text)
    words = shlex.split(text_, comments=True)
    assert words and words[0].endswith("gen"), f"not a gen command: {text}"
    words = words[1:]
    stdout_to = None
    if ">" in words:
        i = words.index(">")
        stdout_to, words = words[i + 1], words[:i]
    return Line(text, words, stdout_to)


def _drop(argv: list[str], option: str, takes_value: bool = True) -> list[str]:
    out, skip = [], False
    for i, w in enumerate(argv):
        if skip:
            skip = False
        elif w == option:
            skip = takes_value
        else:
            out.append(w)
    return out


def adapt(line: Line) -> Line:
    """The substitutions of the module docstring; marks lines that only the slow suite runs."""
    argv = list(line.argv)
    if line.command == "train":
        for b in BUDGETS:
            argv = _drop(argv, b)
        argv += ["--steps", "5"]
        if "--resume" in argv or "--init-from" in argv:
            argv += ["-q"]
        else:
            argv += TINY_MODEL
        if any(w.startswith("music21:") for w in argv):
            line.slow = True
            line.notes.append("music21 corpus")
    elif line.command == "sample" and "--rng-seed" not in argv:
        argv += ["--rng-seed", "1"]
    elif line.command == "bench":
        argv += ["--rounds", "1", "--steps", "2", "--chars", "50"]
        line.slow = True
        line.notes.append("gen bench starts new processes to time them")
    elif line.command == "studio":
        argv = _drop(_drop(argv, "--port"), "--open", takes_value=False) + ["--port", "0"]
    return Line(line.text, argv, line.stdout_to, line.slow, line.notes)


def expand_globs(argv: list[str], cwd: Path) -> list[str]:
    out = []
    for w in argv:
        hits = sorted(glob.glob(w, root_dir=cwd)) if any(c in w for c in "*?[") else []
        out += hits or [w]
    return out


# -- the workspace ------------------------------------------------------------------------------

def _run_gen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "gen", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"gen {' '.join(args)} failed: {r.stderr[-2000:]}"
    return r


class Workspace:
    """The folder documented lines read from; see the module docstring."""

    def __init__(self, root: Path, tiny_run: Path):
        self.root = root
        text = SHAKESPEARE.read_text()
        (root / "corpora").mkdir(parents=True)
        (root / "corpora" / "tinyshakespeare.txt").write_text(text[:60000])
        tunes = (ROOT / "corpora" / "irish.abc").read_text().split("\n\n")
        (root / "corpora" / "irish.abc").write_text("\n\n".join(tunes[::13]) + "\n")
        (root / "tunes.abc").write_text("\n\n".join(tunes[:4]) + "\n")
        (root / "my_text.txt").write_text(text[60000:90000])
        (root / "other.txt").write_text(text[-20000:])
        ckpts = root / "checkpoints"
        ckpts.mkdir()
        _run_gen("train", "corpora/irish.abc", "--steps", "5", "-o", "checkpoints/irish",
                 *TINY_MODEL, cwd=root)
        shutil.copytree(tiny_run, ckpts / "tinyshakespeare")
        # The newest run (what `gen sample` takes without -c) is the text run, as after the
        # README's set-up command.
        now = time.time() + 1
        for f in (ckpts / "tinyshakespeare").iterdir():
            os.utime(f, (now, now))
        self._notes = False

    def notes_run(self) -> None:
        """checkpoints/bach: a tiny note-level run, trained on MIDI files made from the tunes."""
        if self._notes:
            return
        midi = self.root / "midi"
        midi.mkdir()
        _run_gen("render", "tunes.abc", "--to", "mid", "-o", "midi/tune.mid", "-q", cwd=self.root)
        _run_gen("train", "midi", "--steps", "5", "-o", "checkpoints/bach", *TINY_MODEL,
                 cwd=self.root)
        shutil.rmtree(midi)
        newest = self.root / "checkpoints" / "tinyshakespeare"
        now = time.time() + 1
        for f in newest.iterdir():
            os.utime(f, (now, now))
        self._notes = True

    def copy(self, dest: Path) -> Path:
        shutil.copytree(self.root, dest)
        os.symlink("checkpoints", dest / "runs")
        return dest


_SHARED: list[Workspace] = []


def shared_workspace(tmp_path_factory, tiny_run) -> Workspace:
    """One workspace for every test module that runs documented lines (it costs a training run)."""
    if not _SHARED:
        _SHARED.append(Workspace(tmp_path_factory.mktemp("doc-ws") / "ws", tiny_run))
    return _SHARED[0]


# -- running a line -----------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_line(line: Line, ws: Workspace, scratch: Path, gen) -> Outcome:
    """Run an adapted line in a copy of the workspace; `gen` is conftest's in-process runner."""
    if "checkpoints/bach" in line.text:
        ws.notes_run()
    cwd = ws.copy(scratch)
    argv = expand_globs(line.argv, cwd)
    if line.command == "studio":
        return run_studio(argv, cwd)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        r = gen(*argv)
    finally:
        os.chdir(old)
    if line.stdout_to:
        (cwd / line.stdout_to).write_text(r.out)
    return Outcome(r.code, r.out, r.err)


def run_studio(argv: list[str], cwd: Path) -> Outcome:
    """Start `gen studio`, fetch its page once, stop it with SIGINT (Ctrl-C)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "gen", *argv], cwd=cwd, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = ""
    try:
        while "gen studio: http" not in err:
            line = p.stderr.readline()
            if not line:
                break
            err += line
        url = re.search(r"http://\S+", err)
        page = ""
        if url:
            with urllib.request.urlopen(url.group(0), timeout=60) as resp:
                page = resp.read().decode()
        p.send_signal(signal.SIGINT)
        out, rest = p.communicate(timeout=60)
        err += rest
        code = p.returncode if "<html" in page.lower() else 99
        return Outcome(code, out, err + ("" if page else "\n(no page served)"))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
