"""Validity of ABC tunes: does music21 read each one (as ABC 2.1), does every bar match the
meter (pickups and section ends may be short), and what abc2midi reports; and the form of each
tune (sections, repeats, ending on the tonic, `gen.music.form`).

abc2midi always exits 0, so its verdict is read from its text: lines with ``Error`` are errors,
lines with ``Warning`` warnings (bar-length complaints among them).
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from gen.music.abc.lexer import AbcError, lex_tune, split_tunes
from gen.music.form import Form, summarise, text_form


def bar_verdict(text: str) -> tuple[bool, str]:
    """(all bars right, first problem) by gen's own reading of the tune's timing."""
    from gen.music.abc.grammar import walk

    try:
        tokens = lex_tune(text)
    except AbcError as e:
        return False, f"unreadable: {e}"
    problems = walk(tokens).bar_problems()
    return not problems, problems[0] if problems else ""


def music21_verdict(text: str) -> tuple[bool, str]:
    from gen.music.abc.write import parse_abc

    try:
        score = parse_abc(text)
        if not score.flatten().notes:
            return False, "no notes"
    except Exception as e:  # music21 raises many kinds; any of them means "cannot read"
        return False, f"{type(e).__name__}: {str(e)[:120]}"
    return True, ""


def abc2midi_report(text: str) -> dict | None:
    """{'errors': [...], 'warnings': [...]} from abc2midi, or None when it is not installed."""
    exe = shutil.which("abc2midi")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "tune.abc"
        src.write_text(text)
        try:
            run = subprocess.run([exe, str(src), "-o", str(Path(tmp) / "tune.mid")],
                                 capture_output=True, text=True, timeout=30)
            output = run.stdout + run.stderr
        except subprocess.TimeoutExpired:
            output = "Error: abc2midi timed out"
    lines = [ln.strip() for ln in output.splitlines()]
    return {"errors": [ln for ln in lines if re.search(r"\berror\b", ln, re.I)],
            "warnings": [ln for ln in lines if re.search(r"\bwarning\b", ln, re.I)]}


def abc2midi_clean_many(texts: list[str]) -> list[bool] | None:
    """For each tune: abc2midi reads it with no error and no bar-length warning ("Bar N has X
    time units"), or None when abc2midi is not installed. One abc2midi run for all the tunes
    (about 30 ms for 1,000): each message names its line, which names its tune."""
    exe = shutil.which("abc2midi")
    if exe is None:
        return None
    starts, lines = [], []
    for text in texts:
        starts.append(len(lines) + 1)
        lines += text.rstrip("\n").splitlines() + [""]  # abc2midi needs a blank line between tunes
    bad = [False] * len(texts)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "tunes.abc"
        src.write_text("\n".join(lines) + "\n")
        try:
            run = subprocess.run([exe, str(src), "-c"], capture_output=True, text=True, timeout=300,
                                 cwd=tmp)
            output = run.stdout + run.stderr
        except subprocess.TimeoutExpired:
            return [False] * len(texts)
    for ln in output.splitlines():
        m = re.search(r"line-char (\d+)-", ln)
        if m and (re.search(r"\berror\b", ln, re.I) or "time units" in ln):
            at = bisect.bisect_right(starts, int(m[1])) - 1
            if at >= 0:
                bad[at] = True
    return [not b for b in bad]


def check_tune(text: str, use_music21: bool = True) -> dict:
    number = re.match(r"X:\s*(\S*)", text)
    title = re.search(r"(?m)^T:(.*)$", text)
    bars_ok, bar_problem = bar_verdict(text)
    row = {"x": number[1] if number else "", "title": title[1].strip() if title else "",
           "bars_ok": bars_ok, "bar_problem": bar_problem}
    if use_music21:
        row["music21_ok"], row["music21_error"] = music21_verdict(text)
    report = abc2midi_report(text)
    if report is not None:
        row["abc2midi_ok"] = not report["errors"]
        # "Assuming repeat" and the like are harmless; bar-length complaints are not.
        row["abc2midi_clean"] = not report["errors"] and not any("time units" in w
                                                                 for w in report["warnings"])
        row["abc2midi"] = report["errors"] + report["warnings"]
    row["ok"] = bars_ok and row.get("music21_ok", True) and row.get("abc2midi_ok", True)
    row["form"] = text_form(text).to_json()
    return row


def check_text(text: str, use_music21: bool = True) -> dict:
    """Per-tune rows and totals for the tunes of an ABC text."""
    rows = [check_tune(t, use_music21) for t in split_tunes(text)]
    n = len(rows)
    totals = {"tunes": n}
    for key in ("ok", "bars_ok", "music21_ok", "abc2midi_ok", "abc2midi_clean"):
        if rows and key in rows[0]:
            totals[key] = sum(bool(r[key]) for r in rows)
    totals["form"] = summarise([Form(**{k: v for k, v in r["form"].items() if k != "phrased"})
                                for r in rows])
    return {"tunes": rows, "totals": totals}
