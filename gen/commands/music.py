"""`gen corpora`, `gen check` and `gen render`: what corpora are at hand, whether tunes are valid
ABC, and turning tunes into sound and pictures. Results on stdout, messages on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gen.console import log, write_out
from gen.errors import GenError



def list_corpora(as_json: bool = False) -> None:
    from gen.resources import corpora_dir

    rows = []
    # gen's own corpora (inside the installed package, or the repository's corpora/), and a
    # corpora/ folder in the working directory if that is another one.
    bundled = corpora_dir()
    folders = [bundled] if bundled is not None else []
    if not bundled or Path("corpora").resolve() != bundled.resolve():
        folders.append(Path("corpora"))
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


def _read_abc(path: Path) -> str:
    """An ABC file's text; ``music21:NAME`` reads one of music21's ABC collections whole."""
    if str(path).startswith("music21:"):
        from gen.music.music21_corpus import kind_of, paths

        if kind_of(str(path)) != "abc":
            raise GenError(f"{path} is not an ABC collection")
        return "\n".join(p.read_text(errors="replace") for p in paths(str(path)))
    try:
        return path.read_text(errors="replace")
    except OSError as e:
        raise GenError(f"cannot read {path}: {e.strerror or e}") from None


def check(path: Path, as_json: bool = False, use_music21: bool = True,
          against: Path | None = None) -> int:
    """Print the per-tune report; return the exit code (0 when every tune passes)."""
    from gen.music.check import check_text
    from gen.music.form import summarise, tune_form

    if path.suffix.lower() in (".mid", ".midi", ".mxl", ".musicxml", ".xml", ".krn"):
        return _check_score(path, as_json)
    result = check_text(_read_abc(path), use_music21)
    if not result["tunes"]:
        raise GenError(f"{path} holds no ABC tunes (no line starts with X:)")
    if against is not None:
        from gen.music.abc.lexer import split_tunes
        from gen.music.compare import compare, read_corpus

        corpus = read_corpus(str(against))
        result["against"] = {"file": str(against),
                             "form": summarise([tune_form(tokens) for _, tokens in corpus]),
                             **compare(split_tunes(_read_abc(path)), corpus)}
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
            form = r["form"]
            cols.append("form " + (_form_text(form) or "-"))
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
        write_out(_form_table(path, t["form"], against, result.get("against", {}).get("form")))
        if against is not None:
            from gen.music.compare import table

            write_out("\n" + table(result["against"], path.name, against.name))
    return 0 if result["totals"]["ok"] == result["totals"]["tunes"] else 1


def render(path: Path, to: str, out: Path | None, quiet: bool = False) -> None:
    from gen.music.render import render as run

    written = run(path, to, out)
    if not quiet:
        log(f"wrote {', '.join(str(p) for p in written)}")


def _form_text(form: dict) -> str:
    """``|: 8 :| |: 8 :|, ends on tonic`` for one tune's form."""
    if form["error"]:
        return ""
    groups = " ".join(f"|: {n} :|" if rep else str(n)
                      for n, rep in zip(form["sections"], form["repeats"]))
    tonic = {True: "ends on tonic", False: "ends off tonic", None: "no key"}[form["tonic_end"]]
    return f"{groups}, {tonic}"


def _form_table(path: Path, form: dict, against: Path | None, other: dict | None) -> str:
    """The form figures of the tunes (and of a corpus beside them) as a small table."""
    cols = [(path.name, form)] + ([(against.name, other)] if other else [])
    rows = [("tunes", lambda f: str(f["tunes"])),
            ("every section whole 4-bar phrases", lambda f: f"{100 * f['phrased']:.0f}%"),
            ("sections per tune (median)", lambda f: f"{f['median_sections']:g}"),
            ("sections repeated", lambda f: f"{100 * f['repeated_sections']:.0f}%"),
            ("last note is the key's tonic", lambda f: f"{100 * f['tonic_end']:.0f}%")]
    width = max(len(name) for name, _ in rows)
    widths = [max(len(name), 8) for name, _ in cols]
    out = ["form".ljust(width) + "".join(f"  {n:>{w}}" for (n, _), w in zip(cols, widths))]
    for name, cell in rows:
        out.append(name.ljust(width) + "".join(f"  {cell(f):>{w}}" for (_, f), w in zip(cols, widths)))
    return "\n".join(out) + "\n"


def _check_score(path: Path, as_json: bool) -> int:
    """`gen check` of a score file: its form from the bar structure (validity is music21's)."""
    from gen.music.form import summarise
    from gen.music.notes.form import score_form

    if not path.exists():
        raise GenError(f"no such file: {path}")
    form = score_form(path)
    if form.error:
        raise GenError(f"music21 cannot read {path}: {form.error}")
    if as_json:
        write_out(json.dumps({"file": str(path), "form": form.to_json()}, indent=1) + "\n")
        return 0
    write_out(f"{path.name}  form {_form_text(form.to_json())}\n")
    write_out(_form_table(path, summarise([form]), None, None))
    if path.suffix.lower() in (".mid", ".midi"):
        log("MIDI files carry no bar-line styles: sections end only where the file ends")
    return 0
