"""Tunes on request: ``gen sample --meter 6/8 --key Ador --sections 3 --bars 8`` for ABC token runs.

`read_request` checks what was asked against what the run's corpus holds (a meter or mode it never
had is one clear error naming what it has) and returns a `TuneRequest`: the ``M:`` token to force
as the header, the number of sections and the bars per section for `gen.music.abc.phrasing.Phrasing`
to keep to (counted as `gen.music.form` counts them). The key is read by
`gen.music.abc.seed.make_plan` (``--key`` existed before: a tonic, or tonic and mode).
Anything not asked for keeps the corpus's defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gen.errors import GenError

MAX_SECTIONS, MAX_BARS = 16, 64
# Asked for 4/4 or 2/2, a corpus that writes common time as C or C| has it.
SAME_METER = {"M:4/4": "M:C", "M:C": "M:4/4", "M:2/2": "M:C|", "M:C|": "M:2/2"}


@dataclass
class TuneRequest:
    meter: str | None = None      # M: token of the header
    sections: int | None = None   # exactly this many sections, then the tune ends
    bars: int | None = None       # exactly this many bars in each section
    key: str | None = None        # --key as given: the tune keeps it (no mid-tune K: change)

    @property
    def form(self) -> bool:
        return self.sections is not None or self.bars is not None


def corpus_meters(loaded) -> dict[str, int]:
    """M: tokens tunes of the corpus start in, most common first (runs trained before the count
    existed: every M: token of the vocabulary)."""
    stats = loaded.meta["corpus"].get("stats", {})
    meters = stats.get("meters")
    if meters:
        return dict(meters)
    return {t: 1 for t in loaded.vocab.tokens if t.startswith("M:")}


def meter_token(text: str, meters: dict[str, int]) -> str:
    value = text.strip()
    if value.startswith("M:"):
        value = value[2:].strip()
    m = re.fullmatch(r"(\d+)\s*/\s*(\d+)|C\|?", value)
    if not m:
        raise GenError(f"--meter {text!r} is not a meter; write e.g. 6/8, 3/4, 4/4, C or C|")
    tok = f"M:{int(m[1])}/{int(m[2])}" if m[1] else f"M:{value}"
    if tok in meters:
        return tok
    if SAME_METER.get(tok) in meters:
        return SAME_METER[tok]
    have = ", ".join(t[2:] for t in meters) or "none"
    raise GenError(f"the corpus has no tunes in {tok[2:]}; it has {have}")


def read_request(loaded, req) -> TuneRequest:
    """The request in ``req`` (`gen.commands.sample.SampleRequest`: ``music['meter']``,
    ``music['sections']`` and ``bars``), checked against the run."""
    music = req.music or {}
    out = TuneRequest(key=music.get("key") or None)
    if music.get("meter"):
        out.meter = meter_token(str(music["meter"]), corpus_meters(loaded))
    sections = music.get("sections")
    bars = music.get("bars") if music.get("bars") is not None else req.bars
    if sections is not None:
        if not isinstance(sections, int) or not 1 <= sections <= MAX_SECTIONS:
            raise GenError(f"--sections must be a whole number from 1 to {MAX_SECTIONS}")
        out.sections = sections
    if bars is not None:
        if not isinstance(bars, int) or not 2 <= bars <= MAX_BARS:
            raise GenError(f"--bars (bars per section) must be a whole number from 2 to {MAX_BARS}")
        out.bars = bars
    if out.form and music.get("free"):
        raise GenError("--sections and --bars need the sampler's constraints; leave out --free")
    return out


def mode_check(loaded, mode: str) -> None:
    """GenError naming the modes tunes of the corpus start in, when none starts in ``mode``."""
    stats = loaded.meta["corpus"].get("stats", {})
    firsts = stats.get("header_keys") or [t for t in loaded.vocab.tokens if t.startswith("K:")]
    modes = list(dict.fromkeys(k[-3:] for k in firsts))
    if mode not in modes:
        raise GenError(f"the corpus has no tunes in mode {mode}; it has {', '.join(modes) or 'none'}")
