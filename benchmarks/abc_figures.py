"""Figures for an ABC run (issue 4): sample N tunes and measure them against the corpus.

    python benchmarks/abc_figures.py RUN_DIR [-n 50] [--temperature 0.8] [--free] [--json]

Prints: share of tunes with no abc2midi error (its text is read: it always exits 0), share with
every bar the right length (gen's reading; abc2midi's bar-length warnings are counted as well),
share music21 reads, share that copy a corpus tune (same note/length sequence, or 90% alike by
difflib), median tune length in tokens against the corpus median, the run's held-out loss in bits
per token, and the Jensen-Shannon distance (base 2, 0 = same, 1 = disjoint) of pitch-class and
interval histograms of the samples against the training corpus. Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen import checkpoint as ckpt  # noqa: E402
from gen.music.abc.corpus import corpus_tunes  # noqa: E402
from gen.music.abc.pitch import pitches  # noqa: E402
from gen.music.check import check_tune  # noqa: E402
from gen.music.form import Form, summarise, tune_form  # noqa: E402
from gen.music.abc.lexer import AbcError, is_length, is_pitch, lex_tune  # noqa: E402


def form_figures(forms) -> dict:
    """Issue 11's three figures (gen.music.form, the count `gen check` reports)."""
    summary = summarise(forms)
    return {"phrases_pct": 100.0 * summary["phrased"], "median_sections": summary["median_sections"],
            "tonic_pct": 100.0 * summary["tonic_end"],
            "section_lengths": Counter({int(k): v for k, v in summary["section_bars"].items()}).most_common(6)}


def notes_of(tokens: list[str]) -> tuple[str, ...]:
    """The note content of a tune: pitch and length tokens, bar lines and headers left out."""
    return tuple(t for t in tokens if is_pitch(t) or is_length(t))


def histograms(tunes: list[list[str]]) -> tuple[list[float], list[float]]:
    pcs, ivs = Counter(), Counter()
    for tokens in tunes:
        ps = [p for p in pitches(tokens) if p is not None]
        pcs.update(p % 12 for p in ps)
        ivs.update(max(-12, min(12, b - a)) for a, b in zip(ps, ps[1:]))
    pc = [pcs[i] for i in range(12)]
    iv = [ivs[i] for i in range(-12, 13)]
    return [x / max(sum(pc), 1) for x in pc], [x / max(sum(iv), 1) for x in iv]


def js_distance(p: list[float], q: list[float]) -> float:
    m = [(a + b) / 2 for a, b in zip(p, q)]

    def kl(a, b):
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def is_copy(sample: tuple, corpus: list[tuple], exact: set) -> tuple[bool, bool]:
    """(exact copy, near copy: difflib ratio >= 0.9 with some corpus tune)."""
    if sample in exact:
        return True, True
    for tune in corpus:
        sm = SequenceMatcher(None, sample, tune, autojunk=False)
        if sm.real_quick_ratio() >= 0.9 and sm.quick_ratio() >= 0.9 and sm.ratio() >= 0.9:
            return False, True
    return False, False


def sample_texts(loaded, n: int, temperature: float, rng_seed: int, free: bool) -> list[str]:
    from gen.music.abc.char import generate_chars
    from gen.music.abc.sample import generate
    from gen.music.abc.seed import Plan
    from gen.music.abc.write import write_tune
    from gen.music.abc.lexer import START

    if loaded.vocab.level == "char":
        texts = generate_chars(loaded, "", n, temperature, None, None, rng_seed)
        return [f"X:{i}\nT:Sample {i}\n{t.strip()}\n" for i, t in enumerate(texts, 1)]
    median = loaded.meta["corpus"].get("stats", {}).get("median_tune_tokens") or 150
    tunes, _ = generate(loaded, Plan([START]), n, temperature, None, None, rng_seed, free,
                        int(max(300, 4 * median)), None, median)
    return [write_tune(t, i, f"Sample {i}") for i, t in enumerate(tunes, 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("-n", type=int, default=50, help="tunes to sample")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--rng-seed", type=int, default=0)
    ap.add_argument("--free", action="store_true", help="switch off the sampler's ABC constraints")
    ap.add_argument("--save", type=Path, help="also write the sampled tunes to this .abc file")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    run = ckpt.resolve_run(args.run)
    loaded = ckpt.load_model(run)
    meta = loaded.meta
    t0 = time.perf_counter()
    texts = sample_texts(loaded, args.n, args.temperature, args.rng_seed, args.free)
    sample_s = time.perf_counter() - t0
    if args.save:
        args.save.write_text("\n".join(texts))
    rows = [check_tune(t) for t in texts]

    source, options = meta["corpus"]["source"], meta["corpus"].get("options", {})
    corpus = [t[1:-1] for t in corpus_tunes(source, "abc", **options)]
    corpus_notes = [notes_of(t) for t in corpus]
    exact_set = set(corpus_notes)
    samples = []
    for text in texts:
        try:
            samples.append(lex_tune(text)[1:-1])
        except AbcError:
            samples.append(None)
    readable = [s for s in samples if s]
    copies = [is_copy(notes_of(s), corpus_notes, exact_set) for s in readable]

    n = len(texts)
    pct = lambda k: 100.0 * k / max(n, 1)  # noqa: E731
    pc_c, iv_c = histograms(corpus)
    pc_s, iv_s = histograms(readable)
    best = meta.get("summary", {}).get("best_val")
    form_s = form_figures([Form(**{k: v for k, v in r['form'].items() if k != 'phrased'}) for r in rows])
    form_c = form_figures([tune_form(['<s>', *t, '</s>']) for t in corpus])
    figures = {
        "run": str(run), "tunes": n, "temperature": args.temperature, "free": args.free,
        "abc2midi_no_error_pct": pct(sum(r.get("abc2midi_ok", False) for r in rows)),
        "bars_right_pct": pct(sum(r["bars_ok"] for r in rows)),
        "abc2midi_no_bar_warning_pct": pct(sum(r.get("abc2midi_clean", False) for r in rows)),
        "music21_reads_pct": pct(sum(r.get("music21_ok", False) for r in rows)),
        "exact_copies_pct": pct(sum(e for e, _ in copies)),
        "near_copies_pct": pct(sum(c for _, c in copies)),
        "median_tokens": statistics.median(len(s) for s in readable) if readable else 0,
        "corpus_median_tokens": statistics.median(len(t) for t in corpus),
        "val_bits_per_token": best / math.log(2) if best is not None else None,
        "pitch_class_js": js_distance(pc_s, pc_c),
        "interval_js": js_distance(iv_s, iv_c),
        "whole_phrases_pct": form_s["phrases_pct"],
        "corpus_whole_phrases_pct": form_c["phrases_pct"],
        "median_sections": form_s["median_sections"],
        "corpus_median_sections": form_c["median_sections"],
        "ends_on_tonic_pct": form_s["tonic_pct"],
        "corpus_ends_on_tonic_pct": form_c["tonic_pct"],
        "section_lengths": form_s["section_lengths"],
        "corpus_section_lengths": form_c["section_lengths"],
        "steps": meta.get("summary", {}).get("step"),
        "sample_seconds": round(sample_s, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(f"run {run}: {n} tunes at temperature {args.temperature}"
          f"{' (free: no constraints)' if args.free else ''}, sampled in {sample_s:.1f}s")
    print(f"  no abc2midi error        {figures['abc2midi_no_error_pct']:5.1f}%")
    print(f"  every bar right (gen)    {figures['bars_right_pct']:5.1f}%")
    print(f"  no abc2midi bar warning  {figures['abc2midi_no_bar_warning_pct']:5.1f}%")
    print(f"  music21 reads            {figures['music21_reads_pct']:5.1f}%")
    print(f"  copies of a corpus tune  {figures['exact_copies_pct']:5.1f}% exact, "
          f"{figures['near_copies_pct']:.1f}% >=90% alike")
    print(f"  median length            {figures['median_tokens']} tokens "
          f"(corpus {figures['corpus_median_tokens']})")
    bits = figures["val_bits_per_token"]
    print(f"  held-out loss            {'n/a' if bits is None else f'{bits:.3f}'} bits per token")
    print(f"  JS distance to corpus    pitch class {figures['pitch_class_js']:.3f}, "
          f"interval {figures['interval_js']:.3f}")
    print(f"  sections whole 4-bar phrases {figures['whole_phrases_pct']:5.1f}% "
          f"(corpus {figures['corpus_whole_phrases_pct']:.1f}%)")
    print(f"  sections per tune (median)   {figures['median_sections']} "
          f"(corpus {figures['corpus_median_sections']})")
    print(f"  last note on the tonic       {figures['ends_on_tonic_pct']:5.1f}% "
          f"(corpus {figures['corpus_ends_on_tonic_pct']:.1f}%)")
    print(f"  commonest section lengths    {figures['section_lengths']} "
          f"(corpus {figures['corpus_section_lengths']})")


if __name__ == "__main__":
    main()
