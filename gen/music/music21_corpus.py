"""music21's bundled corpus by name: ``music21:oneills1850`` and friends.

Files are located on disk without importing music21 (importing it costs seconds), so listing and
loading ABC collections stays quick. ``paths(name)`` is shared with the note-level reader.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from gen.errors import GenError

ABC_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs")
NOTE_COLLECTIONS = ("bach",)
SCORE_SUFFIXES = {".mxl", ".musicxml", ".xml", ".krn", ".mid", ".midi", ".abc"}


def corpus_root() -> Path:
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise GenError("music21 is not installed: pip install music21")
    return Path(list(spec.submodule_search_locations)[0]) / "corpus"


def name_of(spec: str) -> str:
    name = spec.split(":", 1)[1] if spec.startswith("music21:") else spec
    known = {n.lower(): n for n in ABC_COLLECTIONS + NOTE_COLLECTIONS}
    if name.lower() not in known:
        raise GenError(f"unknown music21 corpus {name!r}; choose one of "
                       f"{', '.join(ABC_COLLECTIONS + NOTE_COLLECTIONS)} (see `gen corpora`)")
    return known[name.lower()]


def kind_of(spec: str) -> str:
    """'abc' for the folk-tune collections, 'notes' for scores such as the Bach chorales."""
    return "abc" if name_of(spec) in ABC_COLLECTIONS else "notes"


def paths(name: str) -> list[Path]:
    """The collection's files, sorted (``.abc`` files, or scores for ``bach``)."""
    name = name_of(name)
    folder = corpus_root() / name
    if not folder.is_dir():
        raise GenError(f"music21's corpus folder {folder} is missing; reinstall music21")
    wanted = {".abc"} if name in ABC_COLLECTIONS else SCORE_SUFFIXES - {".abc"}
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in wanted and p.is_file())
    if name == "bach":  # chorales only: the folder also holds a few large non-chorale works
        files = [p for p in files if p.name.startswith("bwv")] or files
    return files


def collections() -> list[dict]:
    """Name, kind, file count and tune count (ABC: ``X:`` lines, cheap to count) of each one."""
    out = []
    for name in ABC_COLLECTIONS + NOTE_COLLECTIONS:
        try:
            files = paths(name)
        except GenError:
            continue
        row = {"name": f"music21:{name}", "kind": kind_of(name), "files": len(files)}
        if row["kind"] == "abc":
            row["tunes"] = sum(p.read_bytes().count(b"\nX:") + p.read_bytes().startswith(b"X:")
                               for p in files)
        else:
            row["pieces"] = len(files)
        out.append(row)
    return out
