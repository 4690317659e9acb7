"""Time note-level corpus preparation: single process, parallel, and from the token cache.

    python benchmarks/prepare_speed.py [--collection essenFolksong] [--limit N] [--workers 2]

Parses the collection's tunes (ABC files split per tune) with plain music21 in one process (the
reference), then gen's way (beaming skipped, ``--workers`` processes) into an empty cache, then
loads again from that cache. ``--gen-single`` also times gen's parser on one process. The issue's
targets: parallel <= half of single-process, cached <= 2 s. ``--limit`` keeps the first N tunes
for a quick check (the full essenFolksong, 8,514 tunes, takes ~250 s single-process).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description="note-level corpus preparation speed")
    ap.add_argument("--collection", default="essenFolksong")
    ap.add_argument("--limit", type=int, default=None, help="only the first N tunes/files")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-single", action="store_true", help="skip the plain music21 pass")
    ap.add_argument("--gen-single", action="store_true", help="also time gen's parser on 1 process")
    args = ap.parse_args()
    os.environ["GEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="gen-prepare-speed-")
    import music21  # noqa: F401  -- import cost is not parse cost

    from gen.music.notes import corpus as nc

    files = nc.music21_paths(args.collection)
    units = nc.make_units(files)
    if args.limit:
        units = units[: args.limit]
    result = {"collection": args.collection, "units": len(units), "workers": args.workers}

    if not args.skip_single:
        # The reference: plain music21 parsing, one process, as a script without gen would do it.
        from music21 import converter

        from gen.music.notes.events import encode_stream

        t = time.perf_counter()
        failed = 0
        for u in units:
            try:
                encode_stream(converter.parse(u.text, format="abc") if u.text is not None
                              else converter.parse(u.path, forceSource=True))
            except Exception:
                failed += 1
        result["music21_single_s"] = round(time.perf_counter() - t, 2)
        result["music21_failed"] = failed
    if args.gen_single:
        t = time.perf_counter()
        single = nc.parse_units(units, 1)
        result["gen_single_s"] = round(time.perf_counter() - t, 2)
        result["failed"] = sum(r[0] is None for r in single)

    # Parallel, into an empty cache, as the first `gen train` does (hashing included).
    from gen.music.notes.cache import TokenCache

    def prepare() -> tuple[float, int]:
        t = time.perf_counter()
        cache = TokenCache()
        us = nc.make_units(files)[: len(units)]
        found = cache.get_many([u.key for u in us])
        todo = [u for u in us if u.key not in found]
        res = nc.parse_units(todo, args.workers) if todo else []
        cache.put_many({u.key: r for u, r in zip(todo, res)})
        cache.close()
        return round(time.perf_counter() - t, 2), len(todo)

    result["parallel_s"], result["parsed"] = prepare()
    result["cached_s"], reparsed = prepare()
    assert reparsed == 0, "second pass should hit the cache"
    for ref in ("music21_single_s", "gen_single_s"):
        if ref in result:
            result[f"parallel_over_{ref[:-2]}"] = round(result["parallel_s"] / result[ref], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
