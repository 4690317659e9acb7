"""Music for the page: scores as SVG (abcm2ps, all tunes of a batch in one call), a piano roll
for note-level pieces, and files made on first request (ABC, MIDI, MusicXML, WAV) through the
same functions `gen render` and `gen sample -o` use (gen.music.render, the music writers).

A batch is the tunes of one sample request, kept in its own temporary folder; the studio keeps
the last few batches and forgets older ones.
"""

from __future__ import annotations

import re
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from gen.errors import GenError

KEEP_BATCHES = 20
FILE_TYPES = {"abc": "text/vnd.abc; charset=utf-8", "mid": "audio/midi",
              "musicxml": "application/vnd.recordare.musicxml+xml", "wav": "audio/wav",
              "txt": "text/plain; charset=utf-8"}


def audio_note() -> str | None:
    """None when WAV playback works here, else what to install."""
    from gen.music.render import SOUNDFONTS

    if shutil.which("fluidsynth") and any(Path(f).exists() for f in SOUNDFONTS):
        return None
    if shutil.which("timidity"):
        return None
    return ("playback needs fluidsynth and a soundfont (apt-get install fluidsynth "
            "fluid-soundfont-gm) or timidity; download the MIDI instead")


def _clean_svg(svg: str, prefix: str) -> str:
    """abcm2ps's SVG made safe and unique for inlining: no XML prolog, no scripts or handlers,
    ids prefixed so several scores on one page do not share definitions."""
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r"(?is)<script.*?</script>", "", svg)
    svg = re.sub(r"(?i)\son\w+\s*=\s*(\"[^\"]*\"|'[^']*')", "", svg)
    svg = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{prefix}{m[1]}"', svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', svg)


def abc_svgs(tunes: list[str], folder: Path) -> list[str | None]:
    """One SVG per tune from a single abcm2ps run (`-g` writes one file per tune)."""
    from gen.music.render import to_svg

    if not shutil.which("abcm2ps"):
        return [None] * len(tunes)
    src = folder / "all.abc"
    src.write_text("\n".join(tunes))
    try:
        pages = to_svg(src, folder / "score.svg")
    except GenError:
        pages = []
    if len(pages) != len(tunes):  # a tune abcm2ps could not set: fall back to one call each
        pages = []
        for i, tune in enumerate(tunes, 1):
            one = folder / f"one-{i}.abc"
            one.write_text(tune)
            try:
                pages.append(to_svg(one, folder / f"one-{i}.svg")[0])
            except GenError:
                pages.append(None)
    bid = folder.name.replace("batch-", "")[:8]
    return [None if p is None else _clean_svg(p.read_text(), f"b{bid}t{i}-")
            for i, p in enumerate(pages, 1)]


def piano_roll(text: str, width: int = 900) -> str:
    """A piano roll of note-level tokens as SVG: one bar per note, bar lines, pitch names."""
    from gen.music.notes import tokens as nt

    dec = nt.decode(nt.split(text))
    if not dec.notes:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="30"><text x="4" y="20">no notes</text></svg>'
    lo = min(n[0] for n in dec.notes) - 1
    hi = max(n[0] for n in dec.notes) + 1
    end = max(dec.end, max(n[2] for n in dec.notes), 1)
    row, left = 7, 34
    height = (hi - lo + 1) * row + 10
    sx = (width - left - 4) / end
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="roll" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">']
    for m in range(lo, hi + 1):
        y = (hi - m) * row + 5
        if m % 12 in (1, 3, 6, 8, 10):
            parts.append(f'<rect x="{left}" y="{y}" width="{width - left}" height="{row}" fill="#f0f0f4"/>')
        if m % 12 == 0:
            parts.append(f'<text x="2" y="{y + row}" font-size="9" fill="#555">{nt.pitch_name(m)}</text>')
    for b in dec.bars:
        x = left + b * sx
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="#bbb"/>')
    for midi, start, stop in dec.notes:
        y = (hi - midi) * row + 5
        parts.append(f'<rect class="note" x="{left + start * sx:.1f}" y="{y}" '
                     f'width="{max((stop - start) * sx - 1, 1):.1f}" height="{row - 1}" rx="1.5" '
                     f'fill="#3b6fb6"><title>{nt.pitch_name(midi)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class Batch:
    id: str
    folder: Path
    kind: str            # "abc" or "notes"
    items: list[str]     # ABC text per tune, or note tokens per piece
    locks: dict = field(default_factory=dict)


class Batches:
    """The last few sample batches and the files made for them, created on first request."""

    def __init__(self, root: Path):
        self.root = root
        self._batches: OrderedDict[str, Batch] = OrderedDict()
        self._guard = threading.Lock()

    def add(self, folder: Path, kind: str, items: list[str]) -> Batch:
        batch = Batch(uuid.uuid4().hex[:12], folder, kind, items)
        with self._guard:
            self._batches[batch.id] = batch
            while len(self._batches) > KEEP_BATCHES:
                _, old = self._batches.popitem(last=False)
                shutil.rmtree(old.folder, ignore_errors=True)
        return batch

    def file(self, batch_id: str, name: str) -> Path:
        from gen.studio.runs import NotFound

        m = re.fullmatch(r"tune-(\d+)\.(abc|mid|musicxml|wav|txt)", name)
        with self._guard:
            batch = self._batches.get(batch_id)
        if batch is None or m is None or not 1 <= int(m[1]) <= len(batch.items):
            raise NotFound(f"no file {name} in sample batch {batch_id} (batches are kept for "
                           f"the last {KEEP_BATCHES} requests)")
        i, ext = int(m[1]), m[2]
        path = batch.folder / name
        with self._guard:
            lock = batch.locks.setdefault(name, threading.Lock())
        with lock:
            if not path.exists():
                from gen.outfile import atomic_output

                # Made under a temporary name: a failed write never leaves a truncated file
                # that later requests would serve as if it were whole.
                with atomic_output(path) as tmp:
                    self._make(batch, i, ext, tmp)
        return path

    def _make(self, batch: Batch, i: int, ext: str, path: Path) -> None:
        from gen.music.render import synth

        item = batch.items[i - 1]
        if ext == "wav":
            note = audio_note()
            if note:
                raise GenError(note)
            synth(self.file(batch.id, f"tune-{i}.mid"), path)
        elif batch.kind == "abc":
            if ext in ("abc", "txt"):
                path.write_text(item)
            else:
                from gen.music.abc.write import write_scores

                write_scores([item], path)
        else:
            from gen.music.notes import tokens as nt
            from gen.music.notes.write import write

            if ext == "txt":
                path.write_text(item)
            else:
                write(nt.split(item), path)
