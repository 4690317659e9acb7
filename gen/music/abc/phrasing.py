"""Form for the constrained sampler: which section lengths the corpus uses, and which bar lines
and tune ends keep a sampled tune to them.

At training time `corpus_form` counts, with the grammar's own bar count (`TuneState.sections`),
how many bars each section of every tune has and how many sections each tune has; the counts go
into the run's corpus stats. At sampling time `Phrasing` reads them back: a section may close
(``:|``, ``||``, ``|]``, ``|:``, or the tune's end) only at a length the corpus commonly uses
(irish.abc: 8 bars, 79% of sections; 4 bars, 14%), must close at the longest such length, a second
ending lasts as long as the first, and the tune may end only after the corpus's usual number of
sections. Runs trained before these stats existed get 8-bar sections and two of them.

The model is also told where it is: in the training tokens every plain bar line carries the
number of bars its section has so far (``|1`` ... ``|16``, ``|0`` after a pickup), as Magenta's
melody models are given the metric position. The sampler forces the right number (it counts the
same way), so the model sees the count and can cadence where the section closes. Only the model's
stream holds numbered bars; everything else (writer, checker, transposition) sees ``|``.
"""

from __future__ import annotations

import statistics
from collections import Counter

from gen.music.abc.grammar import TuneState, walk
from gen.music.abc.lexer import SECTION_BARS
from gen.music.abc.pitch import ends_on_tonic

MAX_NUMBER = 16  # bar lines later in a section stay plain
TONIC_END = 0.75  # share of tunes ending on the tonic, for runs trained before it was counted
COMMON = 0.2  # a section length at least this share of the corpus's sections may close a section


def corpus_form(tunes: list[list[str]]) -> dict:
    """{'section_bars': {bars: count}, 'sections_per_tune': {n: count}, 'tonic_end': share of
    tunes whose last note is the key's tonic, 'repeated': share of sections repeated} (JSON keys
    are text)."""
    from gen.music.form import tune_form

    lengths, per_tune, tonic, repeats = Counter(), Counter(), [], []
    for tokens in tunes:
        sections = walk(tokens).sections
        lengths.update(sections)
        per_tune[len(sections)] += 1
        tonic.append(ends_on_tonic(tokens))
        repeats += tune_form(tokens).repeats
    known = [t for t in tonic if t is not None]
    return {"section_bars": {str(k): n for k, n in sorted(lengths.items())},
            "sections_per_tune": {str(k): n for k, n in sorted(per_tune.items())},
            "tonic_end": sum(known) / len(known) if known else TONIC_END,
            "repeated": sum(repeats) / len(repeats) if repeats else None}


def bar_position(st: TuneState) -> int:
    """Bars of the open section so far, a second ending counted in place of the first."""
    if st.end_no >= 2 and st.first_end is not None:
        return st.sec_bars - st.first_end + st.end_bars
    return st.sec_bars


def position_after_bar(st: TuneState) -> int:
    """`bar_position` once a plain bar line closes the current bar (without closing it)."""
    n = st.bar_counts()
    if st.end_no >= 2 and st.first_end is not None:
        ending = st.end_bars + n
        return 0 if ending >= st.first_end else st.sec_bars - st.first_end + ending
    return st.sec_bars + n


def numbered(tok: str, position: int) -> str:
    return f"|{position}" if tok == "|" and 0 <= position <= MAX_NUMBER else tok


def is_numbered(tok: str) -> bool:
    return tok[:1] == "|" and tok[1:].isdigit()


def number_bars(tokens: list[str]) -> list[str]:
    """The tune with each plain bar line numbered by its bar's place in the section."""
    st, out = TuneState(), []
    for tok in tokens:
        st.advance(tok)
        out.append(numbered(tok, bar_position(st)))
    return out


def number_stream(tokens: list[str]) -> list[str]:
    """`number_bars` for a stream of several tunes (each from ``<s>``), e.g. a probed passage."""
    out, start = [], 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens) or tokens[i] == "<s>":
            out += number_bars(tokens[start:i])
            start = i
    return out


class Phrasing:
    """Section lengths a sampled tune may use, and the checks the grammar mask asks of them."""

    def __init__(self, stats: dict | None = None, sections: int | None = None,
                 bars: int | None = None):
        """``sections``/``bars``: a request (`gen.music.abc.request`) that replaces the corpus's
        usual number of sections / its common section lengths by exactly these."""
        stats = stats or {}
        lengths = {int(k): n for k, n in (stats.get("section_bars") or {}).items() if int(k) > 0}
        per_tune = {int(k): n for k, n in (stats.get("sections_per_tune") or {}).items()}
        total = sum(lengths.values())
        # Where no length is that common (Essen: one section per tune, 8, 12 or 16 bars, 17%,
        # 11%, 10%), the lengths at least half as common as the most common one.
        top = max(lengths.values(), default=0)
        self.lengths = sorted(k for k, n in lengths.items() if n >= COMMON * total) or \
            sorted(k for k, n in lengths.items() if n >= top / 2) or [8]
        self.longest = max(self.lengths)
        counts = [k for k, n in per_tune.items() for _ in range(n)]
        self.min_sections = max(1, int(statistics.median_low(counts))) if counts else 2
        # Share of the corpus's tunes that end after k sections among those that reach k (the
        # hazard), so that the sampled tunes stop after as many sections as the corpus's do.
        self.hazard = {k: n / sum(m for j, m in per_tune.items() if j >= k)
                       for k, n in per_tune.items() if k >= self.min_sections}
        # A tune may end where its last note is off the tonic, but (1 - c) / c times as readily
        # as where it is on it (c: the corpus's share of tunes ending on the tonic), so that
        # endings come home about as often as the corpus's do (irish.abc: 76%).
        c = min(max(float(stats.get("tonic_end", TONIC_END)), 0.05), 0.95)
        self.off_tonic = (1 - c) / c
        # ... and the notes that may end it lean to the tonic by the corpus's odds (c / (1 - c)).
        self.cadence = c / (1 - c)
        # Where a section may close either with a repeat (:| ::) or without (|| |] |:), the
        # repeat closes get the corpus's share of the closing probability (irish.abc: 85%,
        # O'Neill's 52%). Runs trained before it was counted leave it to the model.
        share = stats.get("repeated")
        self.repeated = None if share is None else min(max(float(share), 0.05), 0.95)
        self.sections = sections  # exactly this many, then the tune ends (None: the hazard)
        self.open_end = False  # set by the grammar: the vocabulary has no section-closing bar
        if bars is not None:
            self.lengths, self.longest = [bars], bars
        if sections is not None:
            self.min_sections, self.hazard = sections, {}

    def must_end(self, st: TuneState) -> bool:
        """Has the tune all the sections asked for, or its one section its longest length (so
        only its end may come)?"""
        if st.pos or st.end_no:
            return False
        if self.open_end and st.sec_bars >= self.longest:
            return True
        return self.sections is not None and len(st.sections) >= self.sections and st.sec_bars == 0

    def prepare(self, st: TuneState) -> None:
        """In the bar that must close a section that began with a pickup, stop the notes where
        the closing bar completes that pickup, so the section can close with its repeat."""
        last = st.end_bars + 1 == st.first_end if st.end_no >= 2 and st.first_end is not None \
            else st.sec_bars + 1 >= self.longest
        short = st.meter is not None and 0 < st.section_pickup < st.meter
        st.cap = st.meter - st.section_pickup if last and short else None

    def bar_ok(self, st: TuneState, tok: str) -> bool:
        """May bar line ``tok`` come now, as far as sections go?"""
        n = st.bar_counts()
        if st.end_no >= 2 and st.first_end is not None:
            # A second ending runs exactly as long as the first, then closes the section.
            if st.end_bars + n < st.first_end:
                return tok not in SECTION_BARS
            return tok in SECTION_BARS
        length = st.sec_bars + n
        if tok not in SECTION_BARS:
            # A corpus that writes no section ends (Essen): the tune's end closes its one section.
            return length < self.longest or self.open_end and length in self.lengths and \
                len(st.sections) + 1 >= (self.sections or self.min_sections)
        if self.sections is not None and length in self.lengths and \
                len(st.sections) + 1 >= self.sections and \
                (tok == "|:" or st.repeat_open and tok != ":|"):
            return False  # the last section asked for closes any open repeat (the tune ends next)
        return length in self.lengths or length == 0 and st.pos == 0  # ":| |:" closes nothing

    def end_share(self, st: TuneState) -> float | None:
        """The probability the tune should end here (None: leave it to the model)."""
        k = len(st.sections) + (st.sec_bars > 0)
        if not self.hazard or k < self.min_sections:
            return None
        return self._ends_after(k) or None

    def _ends_after(self, k: int) -> float:
        """The corpus's share of tunes ending after section k among those that reach it."""
        return self.hazard.get(k, 1.0 if k > max(self.hazard) else 0.0)

    def closing_bar(self, st: TuneState) -> bool:
        """Is the open bar, once full, the last of a section after which the tune may end (so its
        last note may be the tune's)?"""
        if st.end_no == 1 or st.meter is None:
            return False  # a first ending goes on with the second
        if st.end_no >= 2 and st.first_end is not None:
            last = st.end_bars + 1 >= st.first_end
        else:
            last = st.sec_bars + 1 in self.lengths
        k = len(st.sections) + 1
        if not last:
            return False
        if self.sections is not None:
            return k == self.sections
        return k >= self.min_sections and (not self.hazard or self._ends_after(k) > 0)

    def end_ok(self, st: TuneState) -> bool:
        """May the tune end now (just after a bar line)?"""
        open_section = st.sec_bars > 0 or st.end_no > 0
        if open_section and (st.end_no or st.sec_bars not in self.lengths):
            return False
        if self.sections is not None:
            return len(st.sections) + open_section == self.sections
        return len(st.sections) + open_section >= self.min_sections
