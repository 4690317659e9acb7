"""With --minutes the budget chooses what the user left unset (gen/budget.py); other runs keep the
fixed defaults; the choice is printed, stored, kept on resume; the clock counts start-up."""

import json
import math

import pytest
import torch

from gen import budget
from gen.budget import DEFAULTS, MUSIC, TEXT, choose, fill

from conftest import gen_subprocess

TINY = ["--layers", "1", "--hidden", "16", "--embed-dim", "8", "--batch-size", "4",
        "--seq-len", "8", "--precision", "fp32"]


def meta(run):
    return json.loads((run / "meta.json").read_text())


def test_rows_apply_exactly_at_their_budget():
    for row in TEXT:
        c = choose("text", row.minutes, "char")
        assert c.rows == (row.minutes,)
        dropout = {} if row.dropout is None else {"dropout": row.dropout}
        assert c.model == {"layers": row.layers, "hidden": row.hidden, "embed_dim": row.embed_dim,
                           **dropout}
        assert c.train["lr"] == row.lr and c.train["batch_size"] == row.batch_size
        assert row.measured in c.reason


def test_between_rows_hidden_and_lr_follow_log_minutes():
    lo, hi = TEXT[2], TEXT[3]  # 5 and 15 minutes
    assert lo.minutes == 5 and hi.minutes == 15
    mid = math.sqrt(lo.minutes * hi.minutes)  # halfway in log-minutes
    c = choose("text", mid, "char")
    assert c.rows == (lo.minutes, hi.minutes) and "50% of the way" in c.reason
    assert c.model["hidden"] == int((lo.hidden + hi.hidden) / 2) // 32 * 32
    assert c.train["lr"] == pytest.approx(math.sqrt(lo.lr * hi.lr), rel=1e-2)
    # Everything else from the row below.
    assert c.model["layers"] == lo.layers and c.train["seq_len"] == lo.seq_len


def test_interpolation_with_made_up_rows(monkeypatch):
    a = budget.Row(1, 2, 128, 64, 32, 64, 8e-3, 0.02, 1000, 0.99, "a")
    b = budget.Row(4, 3, 512, 256, 64, 32, 2e-3, 0.05, 500, 0.999, "b")
    monkeypatch.setattr(budget, "TEXT", (a, b))
    c = budget.choose("text", 2)  # halfway between 1 and 4 in log-minutes
    assert c.model == {"layers": 2, "hidden": 320, "embed_dim": 64}
    assert c.train["lr"] == pytest.approx(4e-3)
    assert c.train["batch_size"] == 32 and c.train["warmup"] == 0.02
    assert budget.choose("text", 0.25).model["hidden"] == 128    # below the first row: the first
    assert budget.choose("text", 100).model["hidden"] == 512     # above the last: the last
    assert budget.choose("text", 4).model["layers"] == 3


def test_unmeasured_rows_say_so_and_extend_the_last_measured_row():
    measured = [r for r in TEXT if not r.measured.startswith("not measured")]
    for row in TEXT:
        if row.measured.startswith("not measured"):
            last = max((r for r in measured if r.minutes < row.minutes), key=lambda r: r.minutes)
            assert (row.layers, row.hidden, row.lr, row.dropout) == \
                (last.layers, last.hidden, last.lr, last.dropout)


def test_a_long_budget_sets_dropout_unless_given():
    """15 minutes are ~20 passes over tinyshakespeare: the row regularises with dropout; a
    5-minute budget leaves it to the text default (none), and a given --dropout wins."""
    fifteen = next(r for r in TEXT if r.minutes == 15)
    assert fifteen.dropout and fifteen.dropout > 0
    model, train = {"dropout": None}, {"minutes": 15}
    c = fill("text", "char", 15, model, train, given_budget=True)
    assert model["dropout"] == fifteen.dropout and "given options kept: none" in c.reason
    model = {"dropout": 0.5}
    c = fill("text", "char", 15, model, {"minutes": 15}, given_budget=True)
    assert model["dropout"] == 0.5 and "kept: dropout" in c.reason
    assert "dropout" not in choose("text", 5).model
    assert "dropout" not in choose("abc", 8).model  # music keeps its own default (0.3)


def test_fill_sets_only_unset_options():
    model = {"layers": None, "hidden": 100, "embed_dim": None}
    train = {"minutes": 1, "batch_size": None, "seq_len": None, "lr": 1e-3, "warmup": None,
             "eval_every": None, "average": None}
    c = fill("text", "char", 1, model, train, given_budget=True)
    row = TEXT[0]
    assert model == {"layers": row.layers, "hidden": 100, "embed_dim": row.embed_dim}
    assert train["lr"] == 1e-3 and train["batch_size"] == row.batch_size
    assert "given options kept: hidden, lr" in c.reason


@pytest.mark.parametrize("kind, level", [("text", "char"), ("abc", "abc")])
def test_without_a_minutes_budget_the_fixed_defaults(kind, level):
    model, train = {}, {"steps": 10}
    assert fill(kind, level, None, model, train, given_budget=False) is None
    base = DEFAULTS["text" if kind == "text" else "music"]
    assert {**model, **train} == {**base, "steps": 10}


def test_no_table_for_word_level_or_notes():
    assert choose("text", 1, "word") is None and choose("notes", 2, "notes") is None
    model, train = {}, {}
    assert fill("notes", "notes", 2, model, train, given_budget=True) is None
    assert model["hidden"] == DEFAULTS["music"]["hidden"]


def test_music_rows_cover_two_and_eight_minutes():
    assert {r.minutes for r in MUSIC} >= {2, 8}
    assert choose("abc", 2, "abc").rows == (2,)


def test_steps_run_keeps_the_defaults_and_prints_no_choice(gen, small_text, tmp_path):
    r = gen("train", small_text, "-o", tmp_path / "r", "--steps", "3", "--hidden", "16",
            "--embed-dim", "8", "--precision", "fp32")
    assert r.code == 0, r.err
    assert r.out == "" and "budget" in r.err and "chose" not in r.err
    m = meta(tmp_path / "r")
    t = DEFAULTS["text"]
    assert m["model"]["layers"] == t["layers"]
    for k in ("batch_size", "seq_len", "lr", "warmup", "eval_every", "average"):
        assert m["train"][k] == t[k], k
    assert m["train"]["budget_choice"] is None


def test_minutes_run_prints_and_stores_the_choice(gen, small_text, tmp_path):
    # Tiny given shape; the budget fills lr, warm-up, evaluation cadence and average.
    r = gen("train", small_text, "-o", tmp_path / "r", "--minutes", "0.02", *TINY)
    assert r.code == 0, r.err
    assert r.out == ""
    line = next(x for x in r.err.splitlines() if x.startswith("budget 0.02 min chose"))
    assert "1x16 embed 8, batch 4 x 8" in line and "text row 1 min" in line
    m = meta(tmp_path / "r")
    c = m["train"]["budget_choice"]
    assert c["rows"] == [1] and c["minutes"] == 0.02 and "given options kept" in c["reason"]
    assert m["train"]["lr"] == TEXT[0].lr and m["train"]["eval_every"] == TEXT[0].eval_every
    assert m["model"]["hidden"] == 16 and m["train"]["batch_size"] == 4
    assert m["model"]["dropout"] == 0.0  # the 1-minute row leaves the text default
    tm = m["timings"]
    # (Rounding to 0.01 s never reverses the order of two figures; a fast disk's final evaluation
    # can round to 0.)
    assert tm["evals"] >= 1 and tm["startup_s"] >= 0 and tm["eval_s"] >= tm["final_eval_s"] >= 0


def test_quiet_minutes_run_prints_nothing(gen, small_text, tmp_path):
    r = gen("train", small_text, "-o", tmp_path / "r", "--minutes", "0.01", "-q", *TINY)
    assert r.code == 0 and r.err == "" and r.out == ""
    assert meta(tmp_path / "r")["train"]["budget_choice"]["rows"] == [1]


def test_resume_keeps_the_stored_choice(gen, small_text, tmp_path):
    run = tmp_path / "r"
    assert gen("train", small_text, "-o", run, "--minutes", "0.01", "-q", *TINY).code == 0
    before = meta(run)
    r = gen("train", "--resume", run, "--minutes", "0.03", "-q")
    assert r.code == 0, r.err
    after = meta(run)
    assert after["train"]["budget_choice"] == before["train"]["budget_choice"]
    assert after["train"]["minutes"] == 0.03 and after["model"] == before["model"]
    assert after["train"]["lr"] == before["train"]["lr"]


def test_the_budget_clock_counts_start_up_and_keeps_time_for_the_final_evaluation(tmp_path):
    from gen.model import ModelConfig, RNNLM
    from gen.trainer import EXIT_S, TrainConfig, Trainer

    ids = torch.randint(0, 10, (4000,))
    cfg = TrainConfig(minutes=1.0, seq_len=8, batch_size=4)
    model = RNNLM(ModelConfig(vocab_size=10, hidden=8, embed_dim=4, layers=1))
    t = Trainer(model, ids[:3600], ids[3600:], cfg, tmp_path, {}, torch.device("cpu"))
    t.startup_s = t.state.elapsed = 6.0       # start-up: the schedule starts at 0
    assert t.progress() == 0.0
    t.last_eval_s = 3.0 - EXIT_S               # the final evaluation's time (and the exit's)
    t.state.elapsed = 57.0                     # is kept back
    assert t.progress() == pytest.approx(1.0) and t.done()
    t.state.elapsed = 31.5
    assert t.progress() == pytest.approx(0.5)


def test_a_subprocess_counts_its_own_start(small_text, tmp_path):
    r = gen_subprocess("train", small_text, "-o", tmp_path / "r", "--minutes", "0.01", "-q", *TINY)
    assert r.returncode == 0, r.stderr
    tm = meta(tmp_path / "r")["timings"]
    # Interpreter start and imports (torch) happen before the first step and count. Each
    # figure is rounded to 0.01 s on its own, so the sum of two may pass the total by 0.015.
    assert tm["startup_s"] > 0.3
    assert tm["total_s"] >= tm["startup_s"] + tm["final_eval_s"] - 0.015
