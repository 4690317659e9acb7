"""Figures for an ABC run (issues 4, 11, 18): sample N tunes with `gen sample` and measure them
against the corpus the run learned from, the way `gen check --against` does.

    python benchmarks/abc_figures.py RUN_DIR [-n 50] [--temperature 0.8] [--rng-seed 0]
        [--gen-root PATH] [--tunes FILE] [--corpus SPEC] [--save FILE] [--free] [--json]
        [--meter 6/8 --key Ador --sections 3 --bars 8]

Sampling runs `python -m gen sample -c RUN -N n` in a fresh process with the code at --gen-root
(default: this checkout), so the figures are of what a user gets, blank lines included; --tunes
measures tunes sampled before instead. Prints, for the tunes and for the corpus's own tunes: melody
notes that are tones of the chord above them (duration-weighted), tunes abc2midi reads with every
bar right (its text is read: it always exits 0), tunes ending with a lone pickup bar, sections of
whole 4-bar phrases, median sections, tunes ending on the tonic, tunes with a note at d' (MIDI 86)
or higher, and below G, (55); bar-line layouts also in the corpus; copies of a corpus tune (same
pitch and length tokens after moving both to C, or 90% alike by difflib); whether a blank line
follows every tune, the last one too; the Jensen-Shannon distances of scale degrees, intervals and
note lengths; with --meter/--key/--sections/--bars, the share of tunes that have exactly that,
counted from the ABC text.
Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gen.music.abc.lexer import AbcError, is_length, is_pitch, lex_tune, norm_field, split_tunes  # noqa: E402
from gen.music.abc.pitch import transpose  # noqa: E402
from gen.music.compare import compare, read_corpus  # noqa: E402
from gen.music.form import summarise, text_form, tune_form  # noqa: E402
from gen.music.profile import notes  # noqa: E402

HIGH, LOW = 86, 55  # d', above what a fiddle or whistle player expects; G,, the fiddle's lowest


def share_reaching(tunes: list[list[str]], outside) -> float | None:
    """Share of the tunes with a sounding note for which ``outside(pitch)`` holds."""
    if not tunes:
        return None
    return sum(any(n.pitch is not None and outside(n.pitch) for n in notes(t)) for t in tunes) / len(tunes)


def sample_cli(run: Path, n: int, temperature: float, rng_seed: int, gen_root: Path,
               extra: list[str]) -> tuple[str, float]:
    """What `gen sample` prints for n tunes, and the seconds it took."""
    cmd = [sys.executable, "-m", "gen", "sample", "-c", str(run.resolve()), "-N", str(n),
           "-t", str(temperature), "--rng-seed", str(rng_seed), "-q", *extra]
    env = {**os.environ, "PYTHONPATH": str(gen_root)}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=gen_root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"gen sample failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout, time.perf_counter() - t0


def blank_line_after_every_tune(text: str) -> bool:
    parts = [p for p in re.split(r"(?m)^(?=X:)", text) if p.startswith("X:")]
    return bool(parts) and all(p.endswith("\n\n") for p in parts)


def notes_in_c(tokens: list[str]) -> tuple[str, ...]:
    """Pitch and length tokens of a tune moved to tonic C (so a copy in another key is found)."""
    return tuple(t for t in transpose(tokens, "C") if is_pitch(t) or is_length(t))


def copies(samples: list[list[str]], corpus: list[list[str]]) -> tuple[int, int]:
    """(exact copies, copies 90% alike or more) of corpus tunes among the samples."""
    known = [notes_in_c(t) for t in corpus]
    exact_set = set(known)
    exact = near = 0
    for tokens in samples:
        mine = notes_in_c(tokens)
        if mine in exact_set:
            exact += 1
            near += 1
            continue
        for tune in known:
            sm = SequenceMatcher(None, mine, tune, autojunk=False)
            if sm.real_quick_ratio() >= 0.9 and sm.quick_ratio() >= 0.9 and sm.ratio() >= 0.9:
                near += 1
                break
    return exact, near


def as_requested(text: str, meter: str | None, key: str | None, sections: int | None,
                 bars: int | None) -> bool:
    """Has the tune exactly the meter, key, number of sections and bars per section asked for?"""
    head = {m[1]: m[2] for m in re.finditer(r"(?m)^([MK]):(.*)$", text)}
    try:
        if meter and norm_field("M", head.get("M", "")) != norm_field("M", meter):
            return False
        if key and norm_field("K", head.get("K", "")) != norm_field("K", key):
            return False
    except AbcError:
        return False
    form = text_form(text)
    if form.error:
        return False
    return (sections is None or len(form.sections) == sections) and \
        (bars is None or bool(form.sections) and all(b == bars for b in form.sections))


def figures(texts: list[str], raw: str | None, corpus_spec: str, request: dict) -> dict:
    corpus = read_corpus(corpus_spec)
    report = compare(texts, corpus)
    samples = []
    for text in texts:
        try:
            samples.append(lex_tune(text))
        except AbcError:
            pass
    form_s = summarise([text_form(t) for t in texts])
    form_c = summarise([tune_form(tokens) for _, tokens in corpus])
    exact, near = copies(samples, [tokens for _, tokens in corpus])
    n = len(texts)
    s, c = report["sample"], report["corpus"]
    out = {
        "tunes": n, "corpus": corpus_spec, "corpus_tunes": len(corpus),
        "chord_tone_pct": _pct(s["chord_tone_share"]), "corpus_chord_tone_pct": _pct(c["chord_tone_share"]),
        "abc2midi_all_bars_right_pct": _pct(s["abc2midi_clean"]),
        "corpus_abc2midi_all_bars_right_pct": _pct(c["abc2midi_clean"]),
        "pickup_end_pct": _pct(s["pickup_end"]), "corpus_pickup_end_pct": _pct(c["pickup_end"]),
        "whole_phrases_pct": _pct(form_s["phrased"]), "corpus_whole_phrases_pct": _pct(form_c["phrased"]),
        "median_sections": form_s["median_sections"], "corpus_median_sections": form_c["median_sections"],
        "tonic_end_pct": _pct(form_s["tonic_end"]), "corpus_tonic_end_pct": _pct(form_c["tonic_end"]),
        "high_pct": _pct(share_reaching(samples, lambda p: p >= HIGH)),
        "corpus_high_pct": _pct(share_reaching([t for _, t in corpus], lambda p: p >= HIGH)),
        "low_pct": _pct(share_reaching(samples, lambda p: p < LOW)),
        "corpus_low_pct": _pct(share_reaching([t for _, t in corpus], lambda p: p < LOW)),
        "layout_in_corpus_pct": _pct(s["layout_in_corpus"]),
        "halves_layout_in_corpus_pct": _pct(report["half_a"]["layout_in_corpus"]),
        "exact_copies_pct": 100.0 * exact / max(n, 1), "near_copies_pct": 100.0 * near / max(n, 1),
        "blank_line_after_every_tune": None if raw is None else blank_line_after_every_tune(raw),
        "unreadable": n - len(samples),
        "median_tokens": statistics.median(len(t) for t in samples) if samples else 0,
        "corpus_median_tokens": statistics.median(len(t) for _, t in corpus),
    }
    for key in ("degrees", "intervals", "lengths"):
        out[f"{key}_js"] = round(s[f"{key}_js"], 3)
        out[f"halves_{key}_js"] = round(report["half_a"][f"{key}_js"], 3)
    if any(v is not None for v in request.values()):
        out["as_requested_pct"] = 100.0 * sum(as_requested(t, **request) for t in texts) / max(n, 1)
        out["request"] = request
    return out


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100.0 * x, 2)


def show(f: dict) -> None:
    def p(x):
        return "n/a" if x is None else f"{x:.0f}%"

    print(f"{f['tunes']} tunes against {f['corpus']} ({f['corpus_tunes']} tunes)")
    rows = [("melody notes that are chord tones", p(f["chord_tone_pct"]), p(f["corpus_chord_tone_pct"])),
            ("abc2midi: every bar right", p(f["abc2midi_all_bars_right_pct"]),
             p(f["corpus_abc2midi_all_bars_right_pct"])),
            ("ends with a lone pickup bar", p(f["pickup_end_pct"]), p(f["corpus_pickup_end_pct"])),
            ("every section whole 4-bar phrases", p(f["whole_phrases_pct"]), p(f["corpus_whole_phrases_pct"])),
            ("sections per tune (median)", f"{f['median_sections']:g}", f"{f['corpus_median_sections']:g}"),
            ("last note on the tonic", p(f["tonic_end_pct"]), p(f["corpus_tonic_end_pct"])),
            ("a note at d' or higher", p(f["high_pct"]), p(f["corpus_high_pct"])),
            ("a note below G,", p(f["low_pct"]), p(f["corpus_low_pct"])),
            ("bar-line layout also in the corpus", p(f["layout_in_corpus_pct"]),
             f"{p(f['halves_layout_in_corpus_pct'])} (halves)"),
            ("median length in tokens", f"{f['median_tokens']:g}", f"{f['corpus_median_tokens']:g}")]
    rows += [(f"JS distance: {k.replace('degrees', 'scale degrees')}", f"{f[k + '_js']:.3f}",
              f"{f['halves_' + k + '_js']:.3f} (halves)") for k in ("degrees", "intervals", "lengths")]
    print(f"  {'':36} {'gen':>7}  corpus")
    for name, a, b in rows:
        print(f"  {name:36} {a:>7}  {b}")
    print(f"  copies of a corpus tune: {f['exact_copies_pct']:.0f}% exact, {f['near_copies_pct']:.0f}% >=90% alike")
    blank = f["blank_line_after_every_tune"]
    print(f"  blank line after every tune, the last too: {'n/a' if blank is None else 'yes' if blank else 'NO'}")
    if f["unreadable"]:
        print(f"  tunes gen's lexer cannot read: {f['unreadable']}")
    if "as_requested_pct" in f:
        print(f"  exactly as requested {f['request']}: {f['as_requested_pct']:.0f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("-n", type=int, default=50, help="tunes to sample")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--rng-seed", type=int, default=0)
    ap.add_argument("--gen-root", type=Path, default=ROOT, help="checkout whose `gen sample` samples")
    ap.add_argument("--tunes", type=Path, help="measure these tunes instead of sampling")
    ap.add_argument("--corpus", help="corpus to compare with (default: the run's)")
    ap.add_argument("--save", type=Path, help="also write the sampled tunes to this .abc file")
    ap.add_argument("--free", action="store_true", help="sample with --free (no ABC constraints)")
    ap.add_argument("--json", action="store_true")
    for name in ("meter", "key"):
        ap.add_argument(f"--{name}", help=f"sample with --{name} and count tunes that have it")
    for name in ("sections", "bars"):
        ap.add_argument(f"--{name}", type=int, help=f"sample with --{name} and count tunes that have it")
    args = ap.parse_args()
    request = {"meter": args.meter, "key": args.key, "sections": args.sections, "bars": args.bars}
    meta = json.loads((args.run / "meta.json").read_text())
    source = args.corpus or meta["corpus"]["source"]
    if not source.startswith("music21:") and not Path(source).is_absolute():
        source = str((args.gen_root / source) if (args.gen_root / source).exists() else Path(source))
    seconds = None
    if args.tunes:
        raw = args.tunes.read_text()
    else:
        extra = [x for k, v in request.items() if v is not None for x in (f"--{k}", str(v))]
        extra += ["--free"] if args.free else []
        raw, seconds = sample_cli(args.run, args.n, args.temperature, args.rng_seed, args.gen_root, extra)
    if args.save:
        args.save.write_text(raw)
    f = figures(split_tunes(raw), raw, source, request)
    best = meta.get("summary", {}).get("best_val")
    f.update(run=str(args.run), temperature=args.temperature, rng_seed=args.rng_seed,
             sample_seconds=None if seconds is None else round(seconds, 1),
             steps=meta.get("summary", {}).get("step"),
             val_bits_per_token=None if best is None else round(best / math.log(2), 3))
    if args.json:
        print(json.dumps(f, indent=1))
        return
    print(f"run {args.run} ({f['steps']} steps, held-out {f['val_bits_per_token']} bits/token), "
          f"temperature {args.temperature}, rng seed {args.rng_seed}"
          + (f", sampled in {seconds:.1f}s" if seconds else ""))
    show(f)


if __name__ == "__main__":
    main()
