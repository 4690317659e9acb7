"""With `--minutes`, the budget chooses the model and its schedule: a table measured on a 2-core CPU.

A short budget wants a small, fast model that sees the text several times; a long one a bigger
model that keeps improving. Each row below says which shape (layers x hidden, embedding), window
(batch x seq-len), learning rate, warm-up, evaluation cadence and weight average gave the lowest
validation loss for that many minutes (`gen eval` on the last 10% of the corpus), and what
measurement stands behind it (docs/figures-budget.md; benchmarks/budget_sweep.py reproduces it).

Between rows: the hidden size is interpolated in log-minutes and rounded down to a multiple of
32, the learning rate geometrically in log-minutes; everything else comes from the nearest row at
or below the budget. Below the first row the first row applies, above the last the last.

Only options the user left unset are filled in (anything given on the command line wins), and
only for a `--minutes` budget: `--steps` and `--epochs` runs, and runs with no budget (5 minutes),
keep gen's fixed defaults (`DEFAULTS`). The tables cover char-level text and ABC; word-level
text and notes corpora keep the fixed defaults too, as nothing was measured for them.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass

# Options a row decides: model fields, then trainer fields.
MODEL_KEYS = ("layers", "hidden", "embed_dim")
TRAIN_KEYS = ("batch_size", "seq_len", "lr", "warmup", "eval_every", "average")

# gen's fixed defaults (what every run used before budgets chose): for --steps/--epochs runs,
# runs without a budget, and whatever a row does not decide. Text: 2x384 beat 2x256 in 5
# minutes on tinyshakespeare (README "Figures"); music keeps 2x256, where its figures were made.
# Music corpora are small (irish.abc: ~150k tokens), so a few minutes are dozens of epochs:
# evaluate more often so the best checkpoint is caught.
DEFAULTS = {
    "text": {"layers": 2, "hidden": 384, "embed_dim": 256, "batch_size": 32, "seq_len": 64,
             "lr": 3e-3, "warmup": 0.02, "eval_every": 500, "average": 0.999},
    "music": {"layers": 2, "hidden": 256, "embed_dim": 256, "batch_size": 32, "seq_len": 64,
              "lr": 3e-3, "warmup": 0.02, "eval_every": 250, "average": 0.0},
}


@dataclass(frozen=True)
class Row:
    minutes: float
    layers: int
    hidden: int
    embed_dim: int
    batch_size: int
    seq_len: int
    lr: float
    warmup: float       # share of the budget spent warming the learning rate up
    eval_every: int     # steps; sized so a short run evaluates once or twice, not every half-minute
    average: float      # weight-average decay (gen/averaging.py)
    measured: str       # what stands behind the row
    dropout: float | None = None  # None: the corpus kind's default (text 0, music 0.3)


# Text (char level), measured on tinyshakespeare with `gen eval` on the last 10%: Intel Xeon with
# AMX-BF16, 2 cores, bf16 autocast, 2026-12-04, other work running niced beside each run
# (docs/figures-budget.md has every run; benchmarks/budget_sweep.py reproduces them). On this
# CPU a 2x384 step costs about 2.3 times a 2x256 step, so in one minute 2x256 sees twice the
# text; small models also take a far higher learning rate. Batch 64 x 32 rather than 32 x 64
# (the same tokens per step; the hidden state carried across batches keeps the context a
# shorter window loses) was level or better on every seed measured, never worse beyond noise.
TEXT = (
    Row(1, 2, 256, 256, 64, 32, 1e-2, 0.02, 2000, 0.999,
        "measured: 2x256 at lr 1e-2, batch 64 x 32 reached 1.490 and 1.475 nats/char "
        "(seeds 1337, 1; 1.463 and 1.449 with the host faster) against 1.488 and 1.496 at "
        "32 x 64; 2x384: 1.601"),
    Row(2, 2, 384, 256, 32, 64, 3e-3, 0.02, 2000, 0.999,
        "measured: 2x384 at lr 3e-3 reached 1.504 in 2 minutes (one shape tried)"),
    Row(5, 2, 384, 256, 32, 64, 3e-3, 0.02, 500, 0.999,
        "measured: the 5-minute defaults, 1.398-1.406 (README), 1.396-1.405 on the Xeon idle"),
    # 15 minutes are ~20 passes over tinyshakespeare: without dropout 2x384 was best at step
    # 6,000 of 11,864 (1.3898) and overfit after; dropout 0.2 kept it improving to the end.
    Row(15, 2, 384, 256, 32, 64, 3e-3, 0.02, 500, 0.999,
        "measured: 2x384 with dropout 0.2 reached 1.3675 against 1.3898 without and 1.3764 "
        "for 2x512 with dropout 0.3", dropout=0.2),
    # Not measured (an hour's sweep did not fit the session): the 15-minute row, kept rather
    # than guessed. A bigger model would likely do better here.
    Row(60, 2, 384, 256, 32, 64, 3e-3, 0.02, 500, 0.999,
        "not measured: the 15-minute row extended", dropout=0.2),
)

# ABC music, measured on irish.abc with the issue 11 form and validity figures (50 tunes). The
# corpus is small (123k tokens): 2x256 finds its best validation loss near step 1,000-1,500,
# which two minutes reach, so the 8-minute defaults are the 2-minute row too.
MUSIC = (
    Row(2, 2, 256, 256, 32, 64, 3e-3, 0.02, 250, 0.0,
        "measured: 2 minutes, tunes as valid and well formed as the 8-minute defaults'"),
    Row(8, 2, 256, 256, 32, 64, 3e-3, 0.02, 250, 0.0,
        "measured: the 8-minute defaults (README, issue 11)"),
)


@dataclass
class Choice:
    minutes: float
    rows: tuple[float, ...]   # the row(s) used: one, or the two interpolated between
    model: dict
    train: dict
    reason: str

    def to_json(self) -> dict:
        return asdict(self)


def table_for(kind: str, level: str | None) -> tuple[Row, ...] | None:
    if kind == "text" and level in (None, "char"):
        return TEXT
    if kind == "abc":
        return MUSIC
    return None


def choose(kind: str, minutes: float, level: str | None = None) -> Choice | None:
    """The row (or interpolation between two rows) for a budget of ``minutes``; None where no
    table was measured for this kind of corpus."""
    table = table_for(kind, level)
    if table is None:
        return None
    below = [r for r in table if r.minutes <= minutes]
    above = [r for r in table if r.minutes > minutes]
    lo = below[-1] if below else table[0]
    hi = above[0] if below and above else None
    model = {k: getattr(lo, k) for k in MODEL_KEYS}
    if lo.dropout is not None:
        model["dropout"] = lo.dropout
    train = {k: getattr(lo, k) for k in TRAIN_KEYS}
    name = "text" if table is TEXT else "music"
    if hi is None or lo.minutes == minutes:
        rows = (lo.minutes,)
        reason = f"{name} row {lo.minutes:g} min ({lo.measured})"
    else:
        f = math.log(minutes / lo.minutes) / math.log(hi.minutes / lo.minutes)
        model["hidden"] = int(lo.hidden + f * (hi.hidden - lo.hidden)) // 32 * 32
        train["lr"] = float(f"{lo.lr * (hi.lr / lo.lr) ** f:.3g}")
        rows = (lo.minutes, hi.minutes)
        reason = (f"between {name} rows {lo.minutes:g} and {hi.minutes:g} min, {f:.0%} of the "
                  f"way in log-minutes ({lo.measured}; {hi.measured})")
    return Choice(minutes, rows, model, train, reason)


def fill(kind: str, level: str | None, minutes: float | None, model: dict, train: dict,
         given_budget: bool) -> Choice | None:
    """Set the unset (None) options in ``model`` and ``train`` in place: from the budget's row
    when the user gave --minutes and a table covers this corpus, then from ``DEFAULTS``.
    Returns the choice made (with ``kept``: the options the user gave), or None."""
    choice = choose(kind, minutes, level) if given_budget and minutes is not None else None
    if choice is not None:
        kept = [k for k in choice.model if model.get(k) is not None] + \
               [k for k in TRAIN_KEYS if train.get(k) is not None]
        for k, v in choice.model.items():
            if model.get(k) is None:
                model[k] = v
        for k, v in choice.train.items():
            if train.get(k) is None:
                train[k] = v
        choice.reason += "; given options kept: " + (", ".join(kept) if kept else "none")
    base = DEFAULTS["text" if kind == "text" else "music"]
    for k in MODEL_KEYS:
        if model.get(k) is None:
            model[k] = base[k]
    for k in TRAIN_KEYS:
        if train.get(k) is None:
            train[k] = base[k]
    return choice


def describe(choice: Choice, model: dict, train: dict) -> str:
    """One line for stderr: what the budget chose (as it will run) and why."""
    drop = f" dropout {choice.model['dropout']:g}," if "dropout" in choice.model else ""
    return (f"budget {choice.minutes:g} min chose {model['layers']}x{model['hidden']} embed "
            f"{model['embed_dim']},{drop} batch {train['batch_size']} x {train['seq_len']}, lr "
            f"{train['lr']:g}, warm-up {train['warmup']:.0%}, evaluate every "
            f"{train['eval_every']} steps: {choice.reason}")


def process_age() -> float:
    """Wall seconds since this process started (Linux: /proc); 0 where /proc is missing."""
    try:
        with open("/proc/self/stat") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22: starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - started / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def command_start() -> float:
    """``time.perf_counter()`` at the start of this command, which a --minutes budget counts
    from (the user's minute is wall time from the command's start): where this process is the
    `gen` command, its start (interpreter, imports); else (an in-process call: the Python API,
    tests) now."""
    main = sys.modules.get("__main__")
    path = str(getattr(main, "__file__", "") or "")
    own = path.endswith(os.path.join("gen", "__main__.py")) or os.path.basename(path) == "gen"
    return time.perf_counter() - (process_age() if own else 0.0)
