"""Where tunes moved back from C lie, without training: each of a corpus's own tunes is moved to C
(as training does) and back to a tonic drawn from the corpus's keys (as `gen sample` does, rng
seed 0), in the nearest tonic's octave and in the octave `fit_register` picks, with both ranges
and with each range alone. Prints the share of tunes with a note at d' (MIDI 86) or higher and
below G, (55), next to the corpus's own.

    python benchmarks/register_figures.py corpora/irish.abc corpora/session-chords.abc

Figures, not a test: a stand-in for sampled tunes, which lie where the corpus's tunes lie once
moved to C.
"""

from __future__ import annotations

import contextlib
import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen.music.abc.corpus import corpus_tunes, load  # noqa: E402
from gen.music.abc.pitch import fit_register, pitches, transpose  # noqa: E402
from gen.music.abc.seed import pick_tonic  # noqa: E402

WIDE = [0, 127]


def shares(tunes: list[list[str]]) -> str:
    heights = [[p for p in pitches(t) if p is not None] for t in tunes]
    heights = [h for h in heights if h]
    high = sum(max(h) >= 86 for h in heights) / len(heights)
    low = sum(min(h) < 55 for h in heights) / len(heights)
    return f"d' or higher {100 * high:4.1f}%   below G, {100 * low:4.1f}%"


def main() -> None:
    for spec in sys.argv[1:] or ["corpora/irish.abc"]:
        with contextlib.redirect_stderr(io.StringIO()):
            _, _, stats = load(spec)
        reg = stats["pitch_range"]
        rng = random.Random(0)
        moved = []
        for tune in corpus_tunes(spec):
            tonic = pick_tonic(tune, stats["keys"], rng)
            if tonic:
                moved.append(transpose(tune, tonic))
        print(f"{spec}: ranges {reg}, {len(moved)} tunes")
        print(f"  {'the corpus as written':34} {shares(corpus_tunes(spec, transpose='none'))}")
        print(f"  {'moved back, nearest octave':34} {shares(moved)}")
        for name, r in (("octave fitted: both ranges", reg),
                        ("octave fitted: notes range only", {"notes": reg["notes"], "tunes": WIDE}),
                        ("octave fitted: tunes range only", {"notes": WIDE, "tunes": reg["tunes"]})):
            print(f"  {name:34} {shares([fit_register(t, r) for t in moved])}")


if __name__ == "__main__":
    main()
