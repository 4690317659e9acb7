"""Figures for tunes on request (issue 18): sample N tunes with --meter/--key/--sections/--bars
and count, from the ABC text alone, how many have exactly what was asked.

    python benchmarks/request_figures.py RUN_DIR [-n 50] [--meter 6/8] [--key Ador]
        [--sections 3] [--bars 8] [--rng-seed 1] [--temperature 0.8] [--json]

The count here reads the written ABC with its own small reader (not gen's lexer, grammar or form
code): header M: and K:, no mid-tune change of the M: or K: asked for, bar lengths summed from the note text,
sections split at ``||`` ``|]`` ``|:`` ``:|`` ``::``, a short first bar of a section (a pickup)
counted with the bar that completes it as one bar, a second ending not counted (it stands in for
the first). Each tune is also run through abc2midi (if installed): its errors and bar-length
warnings are read from its output (it always exits 0). Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

MODES = {"": "maj", "maj": "maj", "ion": "maj", "major": "maj", "m": "min", "min": "min",
         "minor": "min", "aeo": "min", "dor": "dor", "phr": "phr", "lyd": "lyd", "mix": "mix",
         "loc": "loc"}
SAME_METER = {"4/4": "C", "C": "4/4", "2/2": "C|", "C|": "2/2"}
SECTION = re.compile(r"^(\|\]|\|\||:*\|:+|:+\|:*|::)$")
_TOKEN = re.compile(r"""
    (?P<quote>"[^"]*")|(?P<deco>![^!\s|]*!|\+[^+\s]*\+)|(?P<grace>\{[^}]*\})
  | (?P<field>\[[A-Za-z]:[^\]]*\])
  | (?P<bar>:*\[?\|+\]?:*\d?|::)|(?P<ending>\[\d)
  | (?P<chord>\[[^\]]*\](?P<clen>\d*/*\d*))
  | (?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-gzx][,']*(?P<len>\d*/*\d*))
  | (?P<tuplet>\(\d(?::\d*)*)|(?P<broken>[<>]+)|(?P<other>.)""", re.VERBOSE)


def frac(text: str) -> Fraction:
    """A note's written length in units: '' 1, '2' 2, '/2' or '/' 1/2, '3/2', '//' 1/4."""
    if not text:
        return Fraction(1)
    num, slash, den = text.partition("/")
    if not slash:
        return Fraction(int(num))
    slashes = 1 + len(den) - len(den.lstrip("/"))
    den = den.lstrip("/")
    return Fraction(int(num or 1), int(den) if den else 2 ** slashes)


def key_name(value: str) -> str:
    """'A dorian' / 'Ador' / 'Am' → 'Ador' / 'Amin' (tonic + three-letter mode)."""
    m = re.match(r"\s*([A-G][#b]?)\s*([A-Za-z]*)", value)
    if not m:
        return value.strip()
    word = m[2].lower()
    return m[1] + MODES.get(word, MODES.get(word[:3], word[:3]))


def read_tune(text: str) -> dict:
    """{'meter', 'key', 'changes' ({'M': n, 'K': n} mid-tune), 'sections': [bars...], 'bar_lengths'}."""
    head, body, seen_k, changed = {}, [], False, {"M": 0, "K": 0}
    for line in text.splitlines():
        m = re.match(r"([A-Za-z]):(.*)", line)
        if m and not seen_k:
            head.setdefault(m[1], m[2].strip())
            seen_k = m[1] == "K"
        elif m:
            if m[1] in "MK":
                changed[m[1]] += 1
        elif seen_k:
            body.append(line.split("%")[0])
    meter_text = head.get("M", "4/4")
    meter = Fraction(1) if meter_text in ("C", "C|") else None if meter_text == "none" \
        else Fraction(meter_text)
    unit = Fraction(head.get("L", "1/8"))
    bars: list[tuple[Fraction, str, int]] = []  # (length, closing bar line, ending number)
    pos, tuplet, ratio, broken, ending = Fraction(0), 0, Fraction(1), None, 0
    last_len = Fraction(0)
    for m in _TOKEN.finditer("\n".join(body)):
        kind = m.lastgroup if m.lastgroup not in ("clen", "len") else None
        kind = kind or ("chord" if m["chord"] else "note")
        if kind == "field":
            if m[0][1] in "MK":
                changed[m[0][1]] += 1
        elif kind in ("bar", "ending"):
            tok = m[0]
            number = re.search(r"\d", tok)
            if kind == "bar":
                bar = tok.rstrip("0123456789")
                if pos > 0 or SECTION.match(bar):
                    bars.append((pos, bar, ending))
                pos, tuplet, broken = Fraction(0), 0, None
                if bar.startswith(":") or bar in ("||", "|]"):
                    ending = 0
            if number:
                ending = int(number[0])
        elif kind in ("note", "chord"):
            length = frac(m["len"] if kind == "note" else (re.search(
                r"[A-Ga-g][,']*(\d*/*\d*)", m[0])[1] or "")) * (frac(m["clen"]) if kind == "chord" else 1)
            factor = ratio if tuplet else Fraction(1)
            if tuplet:
                tuplet -= 1
            if broken is not None:
                factor *= broken
                broken = None
            last_len = length * unit * factor
            pos += last_len
        elif kind == "tuplet":
            p = int(m[0][1])
            compound = meter_text in ("6/8", "9/8", "12/8")
            q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p, 3 if compound else 2)
            tuplet, ratio = p, Fraction(q, p)
        elif kind == "broken":
            dots = len(m[0])
            longer = 2 - Fraction(1, 2 ** dots)
            pos += last_len * (longer - 1) if m[0][0] == ">" else -last_len * (1 - (2 - longer))
            broken = 2 - longer if m[0][0] == ">" else longer
    if pos > 0:
        bars.append((pos, "|]", ending))
    return {"meter": meter_text, "key": key_name(head.get("K", "")), "changes": changed,
            "sections": sections_of(bars, meter),
            "bar_lengths": [b[0] for b in bars]}


def sections_of(bars: list[tuple[Fraction, str, int]], meter: Fraction | None) -> list[int]:
    """Bars per section: a short first bar (pickup) counts 0, a short bar completing the short bar
    before it counts 0, any other bar 1; bars of a second (third...) ending are not counted."""
    out, count, first, carry, first_end, second = [], 0, True, Fraction(0), 0, 0
    for length, bar, ending in bars:
        full = meter is None or length >= meter  # free meter (M:none): every bar counts
        counts = 1 if full else 0 if first or (carry and carry + length == meter) else 1
        carry = length if not full and counts else Fraction(0)
        first = False if length > 0 else first
        if ending >= 2:
            second += counts
        else:
            count += counts
            first_end += counts if ending == 1 else 0
        closes = SECTION.match(bar) and not (bar.startswith(":") and ending == 1)
        if ending >= 2 and first_end and second >= first_end:
            closes = True
        if closes:
            if count:
                out.append(count)
            count, first_end, second, first = 0, 0, 0, True
    if count:
        out.append(count)
    return out


def abc2midi_problems(text: str) -> list[str]:
    """abc2midi's errors and bar-length warnings for one tune ([] if abc2midi is not installed)."""
    if not shutil.which("abc2midi"):
        return []
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "t.abc"
        f.write_text(text)
        r = subprocess.run(["abc2midi", str(f), "-o", str(Path(d) / "t.mid")], capture_output=True,
                           text=True, timeout=60)
    return [ln for ln in (r.stdout + r.stderr).splitlines()
            if ln.startswith("Error") or ("Warning" in ln and "time units" in ln)]


def tunes_of(text: str) -> list[str]:
    return [p for p in re.split(r"(?m)^(?=X:)", text) if p.startswith("X:")]


def score(text: str, meter=None, key=None, sections=None, bars=None) -> dict:
    """How many tunes of ``text`` meet each part of the request, and all of it."""
    rows = []
    for tune in tunes_of(text):
        t = read_tune(tune)
        ok = {"meter": meter is None or t["meter"] in (meter, SAME_METER.get(meter)),
              # a tonic alone (--key D) leaves the mode to the model
              "key": key is None or t["key"] == key_name(key) or
              bool(re.fullmatch(r"\s*[A-G][#b]?\s*", key)) and t["key"][:-3] == key.strip(),
              # what was asked holds for the whole tune: no mid-tune change of it
              "no_changes": (meter is None or not t["changes"]["M"])
              and (key is None or not t["changes"]["K"]),
              "sections": sections is None or len(t["sections"]) == sections,
              "bars": bars is None or bool(t["sections"]) and all(n == bars for n in t["sections"])}
        problems = abc2midi_problems(tune)
        rows.append({**t, "bar_lengths": None, "ok": ok, "all": all(ok.values()),
                     "abc2midi_ok": not problems, "problems": problems[:3]})
    n = len(rows)
    share = lambda pred: 100.0 * sum(map(pred, rows)) / max(n, 1)  # noqa: E731
    return {"tunes": n, "all_pct": share(lambda r: r["all"]),
            **({f"{k}_pct": share(lambda r, k=k: r["ok"][k]) for k in rows[0]["ok"]} if rows else {}),
            "abc2midi_ok_pct": share(lambda r: r["abc2midi_ok"]),
            "ends_blank": text.endswith("\n\n"), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--meter")
    ap.add_argument("--key")
    ap.add_argument("--sections", type=int)
    ap.add_argument("--bars", type=int)
    ap.add_argument("--rng-seed", type=int, default=1)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    cmd = [sys.executable, "-m", "gen", "sample", "-c", a.run, "-N", str(a.n), "-q",
           "--rng-seed", str(a.rng_seed), "-t", str(a.temperature)]
    for opt in ("meter", "key", "sections", "bars"):
        if getattr(a, opt) is not None:
            cmd += [f"--{opt}", str(getattr(a, opt))]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr.strip())
    result = score(r.stdout, a.meter, a.key, a.sections, a.bars)
    result["command"] = " ".join(cmd[1:])
    if a.json:
        print(json.dumps({k: v for k, v in result.items()}, default=str, indent=1))
        return
    print(f"{result['command']}")
    print(f"tunes {result['tunes']}: all asked {result['all_pct']:.0f}%  meter {result['meter_pct']:.0f}%  "
          f"key {result['key_pct']:.0f}%  no mid-tune M:/K: {result['no_changes_pct']:.0f}%  "
          f"sections {result['sections_pct']:.0f}%  bars {result['bars_pct']:.0f}%  "
          f"abc2midi clean {result['abc2midi_ok_pct']:.0f}%  blank line at end {result['ends_blank']}")
    for i, row in enumerate(result["rows"], 1):
        if not row["all"] or not row["abc2midi_ok"]:
            print(f"  tune {i}: {row['meter']} {row['key']} sections {row['sections']} "
                  f"{[k for k, v in row['ok'].items() if not v]} {row['problems']}")


if __name__ == "__main__":
    main()
