"""Write a folder of folk-tune MIDI files from music21's bundled Essen collection (ABC).

    python benchmarks/make_midi_folder.py OUT_DIR [--count 300] [--collection essenFolksong]

Each tune is parsed on its own with ``%abc-2.1`` prepended (so accidentals carry through the bar,
as abc2midi reads them) and written by music21 as MIDI: the "folder of 300 folk-tune MIDI files"
that issue 5's figure trains on. Tunes are taken in file order, so the folder is reproducible.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--collection", default="essenFolksong")
    args = ap.parse_args()
    from music21 import converter

    from gen.music.notes.corpus import music21_paths, split_abc

    args.out.mkdir(parents=True, exist_ok=True)
    written = failed = 0
    for path in music21_paths(args.collection):
        if path.suffix != ".abc":
            continue
        for i, tune in enumerate(split_abc(path.read_text(errors="replace"))):
            if written >= args.count:
                break
            try:
                score = converter.parse(tune, format="abc")
                score.write("midi", fp=str(args.out / f"{path.stem}-{i + 1:03d}.mid"))
                written += 1
            except Exception:
                failed += 1
        if written >= args.count:
            break
    print(f"wrote {written} MIDI files to {args.out} ({failed} tunes failed to parse)")


if __name__ == "__main__":
    main()
