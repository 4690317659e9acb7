"""`gen corpora`, `gen check` and `gen render`: what corpora are at hand, whether tunes are valid
ABC, and turning tunes into sound and pictures. Results on stdout, messages on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gen.console import log, write_out
from gen.errors import GenError

REPO_CORPORA = Path(__file__).resolve().parents[2] / "corpora"


def list_corpora(as_json: bool = False) -> None:
    rows = []
    folders = [REPO_CORPORA] + ([Path("corpora")] if Path("corpora").resolve() != REPO_CORPORA else [])
    for folder in folders:
        for p in sorted(folder.glob("*")) if folder.is_dir() else []:
            if p.suffix.lower() == ".abc":
                tunes = len(re.findall(rb"(?m)^X:", p.read_bytes()))
                rows.append({"name": str(p), "kind": "abc", "tunes": tunes, "bytes": p.stat().st_size})
            elif p.suffix.lower() == ".txt":
                rows.append({"name": str(p), "kind": "text", "bytes": p.stat().st_size})
    from gen.music.music21_corpus import collections

    try:
        rows += collections()
    except GenError:
        pass
    if as_json:
        write_out(json.dumps(rows, indent=1) + "\n")
        return
    for r in rows:
        size = (f"{r['tunes']:,} tunes" if "tunes" in r else f"{r['pieces']:,} pieces"
                if "pieces" in r else f"{r['bytes']:,} bytes")
        write_out(f"{r['name']:<40} {r['kind']:<6} {size}\n")


def check(path: Path, as_json: bool = False, use_music21: bool = True) -> int:
    """Print the per-tune report; return the exit code (0 when every tune passes)."""
    from gen.music.check import check_text

    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise GenError(f"cannot read {path}: {e.strerror or e}") from None
    result = check_text(text, use_music21)
    if not result["tunes"]:
        raise GenError(f"{path} holds no ABC tunes (no line starts with X:)")
    if as_json:
        write_out(json.dumps(result, indent=1) + "\n")
    else:
        for r in result["tunes"]:
            cols = [f"X:{r['x']:<4}", "ok  " if r["ok"] else "FAIL",
                    f"bars {'ok' if r['bars_ok'] else 'wrong'}"]
            if "music21_ok" in r:
                cols.append(f"music21 {'ok' if r['music21_ok'] else 'cannot read'}")
            if "abc2midi_ok" in r:
                cols.append("abc2midi " + ("ok" if r["abc2midi_clean"] else
                                           f"{len(r['abc2midi'])} warnings" if r["abc2midi_ok"]
                                           else "errors"))
            why = r["bar_problem"] or r.get("music21_error") or \
                next((m for m in r.get("abc2midi", []) if "rror" in m), "")
            write_out("  ".join(cols) + (f"  ({why})" if why and not r["ok"] else "") + "\n")
        t = result["totals"]
        n = t["tunes"]
        parts = [f"{t['ok']}/{n} tunes pass", f"bars right {t['bars_ok']}/{n}"]
        if "music21_ok" in t:
            parts.append(f"music21 reads {t['music21_ok']}/{n}")
        if "abc2midi_ok" in t:
            parts.append(f"abc2midi no error {t['abc2midi_ok']}/{n}, "
                         f"no warning {t['abc2midi_clean']}/{n}")
        else:
            log("abc2midi not installed (Debian package abcmidi): its check was skipped")
        write_out("total: " + "; ".join(parts) + "\n")
    return 0 if result["totals"]["ok"] == result["totals"]["tunes"] else 1


def render(path: Path, to: str, out: Path | None, quiet: bool = False) -> None:
    from gen.music.render import render as run

    written = run(path, to, out)
    if not quiet:
        log(f"wrote {', '.join(str(p) for p in written)}")
