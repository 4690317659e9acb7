"""Issue 5's figures for a trained note-level run.

    python benchmarks/notes_figures.py RUN_DIR [--length 400] [--samples 4] [--rng-seed 1]

Samples ``--samples`` MIDI files of ``--length`` events with `gen sample`, reads each back with
mido (not music21) and reports: notes, duration in seconds, most notes sounding together; the
run's held-out loss per event; and Jensen-Shannon distances (base 2, 0 = same, 1 = disjoint) of
the pitch-class and melodic-interval histograms of the samples to those of the training corpus.
Targets: folk MIDI folder -> >= 60 notes over >= 15 s; music21:bach -> >= 3 notes at once.

Lead's recipe (4-minute runs):
    python benchmarks/make_midi_folder.py /tmp/folk300 --count 300
    gen train /tmp/folk300 --minutes 4 -o checkpoints/folk300
    python benchmarks/notes_figures.py checkpoints/folk300
    gen train music21:bach --minutes 4 -o checkpoints/bach
    python benchmarks/notes_figures.py checkpoints/bach
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def histograms(notes: list[tuple[int, float, float]]) -> tuple[Counter, Counter]:
    """Pitch classes of all notes; intervals between successive onsets' top notes (melody)."""
    pcs = Counter(n % 12 for n, _, _ in notes)
    tops: dict[float, int] = {}
    for n, s, _ in notes:
        tops[round(s, 4)] = max(tops.get(round(s, 4), -1), n)
    line = [tops[t] for t in sorted(tops)]
    ivs = Counter(max(-12, min(12, b - a)) for a, b in zip(line, line[1:]))
    return pcs, ivs


def js_distance(p: Counter, q: Counter) -> float:
    keys = set(p) | set(q)
    sp, sq = sum(p.values()) or 1, sum(q.values()) or 1
    P = {k: p.get(k, 0) / sp for k in keys}
    Q = {k: q.get(k, 0) / sq for k in keys}
    M = {k: (P[k] + Q[k]) / 2 for k in keys}

    def kl(A):
        return sum(A[k] * math.log2(A[k] / M[k]) for k in keys if A[k] > 0)

    return math.sqrt(max(0.0, (kl(P) + kl(Q)) / 2))


def corpus_histograms(tokens: list[str]) -> tuple[Counter, Counter]:
    """Histograms summed piece by piece (every piece's time starts at 0, so the notes of two
    pieces must never be merged into one melody line)."""
    from gen.music.notes import tokens as nt

    pc, iv = Counter(), Counter()
    for piece in nt.pieces(tokens):
        a, b = histograms([(m, s / nt.GRID, e / nt.GRID) for m, s, e in nt.decode(piece).notes])
        pc.update(a)
        iv.update(b)
    return pc, iv


def main() -> None:
    ap = argparse.ArgumentParser(description="issue 5 figures for a note-level run")
    ap.add_argument("run", type=lambda p: Path(p).resolve())
    ap.add_argument("--length", type=int, default=400)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--rng-seed", type=int, default=1)
    ap.add_argument("--temperature", type=float, default=0.9)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from gen import checkpoint as ckpt
    from gen.corpus import load_corpus
    from gen.music.notes.write import max_polyphony, read_midi_notes

    meta = ckpt.read_meta(args.run)
    c = meta["corpus"]
    corpus = load_corpus(c["source"], c["kind"], c["level"], **c.get("options", {}))
    ref_pc, ref_iv = corpus_histograms(corpus.tokens)

    out_dir = Path(tempfile.mkdtemp(prefix="notes-figures-"))
    midi = out_dir / "sample.mid"
    cmd = [sys.executable, "-m", "gen", "sample", "-c", str(args.run), "--length", str(args.length),
           "-N", str(args.samples), "--rng-seed", str(args.rng_seed), "-t", str(args.temperature),
           "-o", str(midi), "-q"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    paths = [midi] if args.samples == 1 else [out_dir / f"sample-{i + 1}.mid" for i in range(args.samples)]
    import mido

    rows, all_notes = [], []
    for p in paths:
        notes = read_midi_notes(p)
        all_notes.append(notes)
        rows.append({"file": str(p), "notes": len(notes), "seconds": round(mido.MidiFile(str(p)).length, 1),
                     "max_simultaneous": max_polyphony(notes)})
    pc, iv = Counter(), Counter()
    for notes in all_notes:
        a, b = histograms(notes)
        pc.update(a)
        iv.update(b)
    best = meta.get("summary", {}).get("best_val")
    result = {
        "run": str(args.run), "corpus": c["source"], "events_per_sample": args.length,
        "samples": rows,
        "median_notes": sorted(r["notes"] for r in rows)[len(rows) // 2],
        "median_seconds": sorted(r["seconds"] for r in rows)[len(rows) // 2],
        "max_simultaneous": max(r["max_simultaneous"] for r in rows),
        "heldout_nats_per_event": best,
        "heldout_bits_per_event": best / math.log(2) if best else None,
        "js_pitch_class": round(js_distance(pc, ref_pc), 4),
        "js_interval": round(js_distance(iv, ref_iv), 4),
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for r in rows:
        print(f"{r['file']}: {r['notes']} notes, {r['seconds']} s, up to {r['max_simultaneous']} at once")
    print(f"median {result['median_notes']} notes over {result['median_seconds']} s; "
          f"most notes at once {result['max_simultaneous']}")
    if best:
        print(f"held-out loss {best:.4f} nats = {result['heldout_bits_per_event']:.4f} bits per event")
    print(f"Jensen-Shannon distance to the corpus: pitch class {result['js_pitch_class']}, "
          f"interval {result['js_interval']}")


if __name__ == "__main__":
    main()
