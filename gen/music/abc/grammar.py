"""Where a tune stands, token by token: header phase, meter, unit, bar position, tuplets, and
bars per section (its form).

One interpretation of ABC timing shared by the writer (beam spacing), the bar checker and the
constrained sampler, so that what the sampler calls "a full bar" is what the checker counts.
Pure Python (fractions of a whole note); no torch, no music21.
"""

from __future__ import annotations

from fractions import Fraction

from gen.music.abc.lexer import (BARS, END, NATURAL, SECTION_BARS, START, is_length, is_pitch,
                                 key_signature, length_value, meter_length)
from gen.music.abc.pitch import parse_note

BROKEN = {">": Fraction(3, 2), ">>": Fraction(7, 4), ">>>": Fraction(15, 8),
          "<": Fraction(1, 2), "<<": Fraction(1, 4), "<<<": Fraction(1, 8)}


def tuplet_ratio(p: int, meter: Fraction | None, meter_tok: str | None) -> Fraction:
    """Time of p tuplet notes over p plain ones, ABC 2.1 §4.13 ((3 → 2/3, (2 → 3/2 ...)."""
    compound = bool(meter_tok) and meter_tok[2:].split("/")[0] in ("6", "9", "12") \
        and meter_tok.endswith("/8")
    q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p, 3 if compound else 2)
    return Fraction(q, p)


def beat_group(meter_tok: str | None) -> Fraction:
    """Length of a beamed group when writing: dotted quarters in compound time, half bars in
    reels (4/4, C, C|), quarters otherwise."""
    if not meter_tok:
        return Fraction(1, 4)
    if meter_tok in ("M:C", "M:C|", "M:4/4", "M:2/2"):
        return Fraction(1, 2)
    num, _, den = meter_tok[2:].partition("/")
    if den == "8" and num in ("6", "9", "12"):
        return Fraction(3, 8)
    return Fraction(1, int(den)) if den.isdigit() else Fraction(1, 4)


class TuneState:
    """Feed tokens with `advance`; read `phase`, `pos`, `meter`... and the finished `bars`."""

    def __init__(self, min_length: Fraction = Fraction(1, 4)):
        self.phase = "start"          # start → M → L → K → body → done
        self.meter_tok: str | None = None
        self.meter: Fraction | None = None
        self.unit = Fraction(1, 8)
        self.key: dict[str, int] = {}
        self.key_tok = "K:Cmaj"
        self.min_length = min_length  # shortest length token (in units) the sampler may use
        self.values = [Fraction(1)]   # note lengths (units) the sampler may write, set by its grammar
        self.pos = Fraction(0)        # time since the bar line, whole notes, pending note included
        self.before = Fraction(0)     # pos before the pending note
        self.pending = False          # a pitch was just placed; a length token may follow
        self.note_len = Fraction(1)   # written length of the last note, in units
        self.mult = Fraction(1)       # time factor of the last note (tuplet x broken rhythm)
        self.tuplet_left = 0
        self.ratio = Fraction(1)
        self.broken_next = Fraction(1)
        self.section_first = True     # in the first bar of a section (a pickup may be short)
        self.pickup = Fraction(0)      # the tune's anacrusis (first bar, when short)
        self.section_pickup = Fraction(0)  # this section's short first bar (0: it was full)
        self.carry = Fraction(0)       # short bar that just closed a section (a pickup may follow)
        self.last = START
        self.ending = 0               # number of the open ending ([1 → 1), 0 when none
        self.last_pitch = ""
        self.repeat_closed = False
        self.repeat_open = False
        self.plain_close = False      # a section closed by || or |] since the last repeat sign
        self.match_len: Fraction | None = None
        self.tied = ""                # pitch a tie waits for (abc2midi wants the same note next)
        self.bar_acc: dict = {}       # accidentals written so far in this bar, per (letter, octave)
        self.last_midi: int | None = None  # sounding pitch of the last note
        self.tied_midi: int | None = None  # ... of the note a tie holds over
        self.sec_any = False          # a bar with notes has closed in the open section
        self.ntok = 0                 # tokens read
        self.section_end_tok = 0      # tokens read when the last section closed
        self.bars: list[tuple[Fraction, bool, Fraction | None]] = []  # (length, short ok, meter)
        self.nbars = 0
        # Form, counted as issue 11 defines it: a section is the music between repeat signs or
        # double bars; a pickup and the bar that completes it count as one bar; the bars of a
        # second ending are not counted (it stands in for the first), and it closes its section
        # once it is as long as the first ending.
        self.sections: list[int] = []  # bars of each closed section
        self.sec_bars = 0             # bars counted so far in the open section
        self.end_no = 0               # ending being counted (1, 2 ...), 0 when none
        self.end_bars = 0             # bars of that ending so far
        self.first_end: int | None = None  # length of the first ending, once closed by :|
        self.short_carry = Fraction(0)     # a short bar that counted; the next may complete it
        self.cap: Fraction | None = None   # set by the sampler: this bar must end here

    # -- reading ---------------------------------------------------------------------------
    def advance(self, tok: str) -> None:
        self.ntok += 1
        if tok != START and self.phase == "start":
            self.phase = "body"  # a fragment with no start token: treat as body
        if tok == START:
            self.phase = "M"
        elif tok == END:
            self.pending = False
            if self.pos > 0:
                self._close_bar("|]")
            self._end_section()
            self.phase = "done"
        elif tok.startswith("M:"):
            self.meter_tok, self.meter = tok, meter_length(tok)
            self.phase = "L" if self.phase == "M" else self.phase
        elif tok.startswith("L:"):
            self.unit = Fraction(tok[2:])
            self.phase = "K" if self.phase in ("M", "L") else self.phase
        elif tok.startswith("K:"):
            self.key, self.bar_acc, self.key_tok = key_signature(tok), {}, tok
            self.phase = "body"
        elif is_pitch(tok):
            self.pending = False
            self.last_pitch, self.tied, self.tied_midi = tok, "", None
            self.last_midi = self.sounding(tok, record=True)
            # abc2midi wants both notes of a broken pair (A>B) written with the same length.
            self.match_len = self.note_len if self.broken_next != 1 else None
            self.mult = self.broken_next * (self.ratio if self.tuplet_left else 1)
            self.broken_next = Fraction(1)
            if self.tuplet_left:
                self.tuplet_left -= 1
            self.before = self.pos
            self.note_len = Fraction(1)
            self.pos += self.unit * self.mult
            self.pending = True
        elif is_length(tok):
            value = length_value(tok)
            self.pos = self.before + value * self.unit * self.mult
            self.note_len = value
            self.pending = False
        else:
            self.pending = False
            if tok in BARS:
                self._close_bar(tok)
            elif tok in BROKEN:
                self.pos += self.note_len * self.unit * self.mult * (BROKEN[tok] - 1)
                self.broken_next = 2 - BROKEN[tok]
            elif tok == "-":
                self.tied, self.tied_midi = self.last_pitch, self.last_midi
            elif tok[:1] == "[" and tok[1:].isdigit():
                self.ending = int(tok[1:])
                self.section_first = False  # an ending goes on with the section it ends
                self.end_no, self.end_bars = int(tok[1:]), 0
            elif tok.startswith("(") and tok[1:].isdigit():
                p = int(tok[1:])
                self.tuplet_left, self.ratio = p, tuplet_ratio(p, self.meter, self.meter_tok)
        self.last = tok

    def sounding(self, tok: str, record: bool = False) -> int | None:
        """MIDI pitch of a note token here (key signature and this bar's accidentals), None for a
        rest; ``record``: the note is played, so its accidental holds to the bar's end."""
        if tok == "z":
            return None
        acc, letter, octave = parse_note(tok)
        if acc is not None and record:
            self.bar_acc[(letter, octave)] = acc
        alter = acc if acc is not None else self.bar_acc.get((letter, octave), self.key.get(letter, 0))
        return 60 + 12 * octave + NATURAL[letter] + alter

    def _close_bar(self, tok: str) -> None:
        self.bar_acc = {}
        if self.pos > 0:
            full = self.meter is None or self.pos == self.meter
            # Short bars are fine at the start of a section (pickup) and where one ends.
            self.bars.append((self.pos, full or self.section_first or tok in SECTION_BARS,
                              self.meter))
            if self.nbars == 0:
                self.pickup = self.pos if not full else Fraction(0)
            if self.section_first:
                self.section_pickup = self.pos if not full else Fraction(0)
            self.carry = self.pos if not full and tok in SECTION_BARS else Fraction(0)
            counts = self.bar_counts()
            self.short_carry = self.pos if not full and counts else Fraction(0)
            if self.end_no >= 2:
                self.end_bars += counts
            else:
                self.sec_bars += counts
                self.end_bars += counts if self.end_no == 1 else 0
            self.nbars += 1
            self.section_first = False
            self.sec_any = True
        if tok == ":|" and self.end_no == 1:
            self.first_end = self.end_bars  # the second ending follows: the section goes on
        elif tok in SECTION_BARS or self.end_no >= 2 and self.end_bars >= (self.first_end or 0):
            self._end_section()
        if tok in (":|", "|:", "::"):
            # After a :| abc2midi wants an explicit |: before the next first ending, and a
            # |: must be closed by a :| before the tune ends.
            self.repeat_closed = tok == ":|"
            self.repeat_open = tok != ":|"
            self.plain_close = False
        elif tok in ("||", "|]"):
            self.plain_close = True  # a :| now would repeat back over this to the tune's start
        if tok in SECTION_BARS:
            self.section_first = True
            if tok != ":|":
                self.ending = 0
        self.pos = self.before = Fraction(0)
        self.tuplet_left = 0
        self.broken_next = Fraction(1)

    def bar_counts(self) -> int:
        """1 if a bar line now closes a bar that counts in the form, else 0: an empty bar, a
        short first bar of a section (pickup) and a short bar completing the short bar before
        it count 0."""
        if self.pos == 0:
            return 0
        if self.meter is None or self.pos >= self.meter:
            return 1
        completes = self.short_carry and self.short_carry + self.pos == self.meter
        return 0 if self.section_first or completes else 1

    def _end_section(self) -> None:
        if self.sec_bars:
            self.sections.append(self.sec_bars)
        self.sec_bars = self.end_no = self.end_bars = 0
        self.first_end = None
        self.sec_any = False
        self.section_end_tok = self.ntok

    # -- constraints -------------------------------------------------------------------------
    def fits(self, value: Fraction, mult: Fraction | None = None, start: Fraction | None = None,
             tuplet_after: int | None = None) -> bool:
        """Can a note of ``value`` units start at ``start`` (default: now) without overflowing the
        bar or leaving a remainder no later note can fill?"""
        if self.meter is None:
            return True
        mult = self.mult if mult is None else mult
        start = self.before if start is None else start
        left = self.limit() - start - value * self.unit * mult
        grid = self.min_length * self.unit
        if left < 0:
            return False
        tuplet_after = self.tuplet_left if tuplet_after is None else tuplet_after
        if tuplet_after:
            return self.tuplet_fills(left, tuplet_after, self.ratio)
        return (left / grid).denominator == 1

    def tuplet_fills(self, left: Fraction, notes: int, ratio: Fraction) -> bool:
        """Can ``notes`` more tuplet notes (all of one length, at ``ratio``) leave the bar a
        remainder later notes can fill? (Only "enough room" let ``(3ce2c`` strand a third of an
        eighth that no note fits.)"""
        grid = self.min_length * self.unit
        for v in self.values:
            rest = left - notes * v * self.unit * ratio
            if rest >= 0 and (rest / grid).denominator == 1:
                return True
        return False

    def limit(self) -> Fraction:
        """Length this bar must reach: the meter, or after a short bar closing a section the
        rest of that bar (abc2midi counts the two as one)."""
        limit = self.meter - self.carry if self.section_first and self.carry and self.nbars \
            else self.meter
        return limit if self.cap is None else min(limit, self.cap)

    def can_start_note(self, lengths) -> bool:
        mult = self.broken_next * (self.ratio if self.tuplet_left else 1)
        after = max(self.tuplet_left - 1, 0)
        return any(self.fits(v, mult, self.pos, after) for v in lengths)

    def bar_allowed(self, tok: str) -> bool:
        if self.tied and tok != "|":
            return False  # a tie holds into the next bar of the section, not over its end or a repeat
        if tok in SECTION_BARS and self.pos > 0 and self.sec_bars + self.bar_counts() < 2:
            return False  # no section of one bar, nor one that is only a pickup
        if tok == "|:" and self.repeat_open:
            return False  # abc2midi: "found another |: after a |:"
        if tok == "|:" and self.last == ":|":
            return True  # ":| |:" closes one repeat and opens the next
        if tok == "::":
            return False  # written ":| |:" (abc2midi rejects "::" after an implicit repeat)
        if tok == ":|" and self.plain_close and not self.repeat_open:
            return False  # abc2midi would repeat from the tune's start, over the || or |]
        if self.tuplet_left or self.broken_next != 1 or self.pos == 0:
            return False
        if self.ending == 1 and tok not in ("|", ":|"):
            return False  # the first ending closes with :| (abc2midi: "[1 before |:")
        if self.meter is None:
            return True
        if self.pos > self.meter:
            return False
        if self.nbars == 0 or self.section_first:
            if self.pos == self.meter:
                return not self.carry  # abc2midi adds a short closing bar to the next one
            if tok == ":|":
                return False
            # A short first bar: the tune's anacrusis, or a pickup completing the bar that
            # closed the previous section.
            return self.nbars == 0 or bool(self.carry) and self.pos + self.carry == self.meter
        if tok == ":|" and self.section_pickup:
            # abc2midi repeats back to the pickup: the closing bar must complete it.
            return self.pos + self.section_pickup == self.meter
        if self.pos == self.meter:
            return True
        return tok in SECTION_BARS and self.section_pickup > 0 and \
            self.pos + self.section_pickup == self.meter

    def bar_problems(self) -> list[str]:
        """Bars whose length does not match the meter (short pickups and section ends allowed)."""
        out = []
        for i, (length, short_ok, meter) in enumerate(self.bars, 1):
            if meter is None:
                continue
            if length > meter or (length < meter and not short_ok):
                out.append(f"bar {i} lasts {length} of a whole note, the meter wants {meter}")
        return out


def lone_pickup(st: TuneState) -> bool:
    """Has the open section only a pickup so far (a bar that counts for nothing)? A tune must
    not end there: the pickup belongs to a section that follows."""
    return st.sec_any and st.sec_bars == 0 and st.end_no == 0


def walk(tokens: list[str]) -> TuneState:
    state = TuneState()
    for tok in tokens:
        state.advance(tok)
    return state
