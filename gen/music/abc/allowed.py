"""Which ABC token may come next: token ids by role, and the mask `Grammar.allowed` computes from
a `TuneState` (bars, ties, chords, tuplets, endings) and, unless sampling is free, the form a
`Phrasing` keeps to (section lengths, number of sections, the tune's end).

Pure Python (no torch): the sampler's Rule (`gen.music.abc.sample.TuneRule`) turns the ids into a mask.
"""

from __future__ import annotations

from gen.music.abc.chords import is_chord
from gen.music.abc.grammar import TuneState, tuplet_ratio
from gen.music.abc.lexer import BARS, END, START, is_length, is_pitch, length_value
from gen.music.abc.phrasing import Phrasing, is_numbered, position_after_bar

class Grammar:
    """Token ids by role, and the mask of tokens allowed in a given state."""

    def __init__(self, tokens: list[str], header_keys: list[str] | None = None,
                 phrasing: Phrasing | None = None):
        self.phrasing = phrasing  # section lengths to keep to; None: bars only
        self.V = len(tokens)
        self.names = tokens
        pick = lambda pred: [i for i, t in enumerate(tokens) if pred(t)]  # noqa: E731
        self.start = tokens.index(START) if START in tokens else None
        self.end = tokens.index(END)
        self.header = {f: pick(lambda t, f=f: t.startswith(f + ":")) for f in "MLK"}
        if header_keys:  # only keys tunes of the corpus start in (runs before 0.1 lack the list)
            self.header["K"] = [i for i in self.header["K"] if tokens[i] in header_keys] \
                or self.header["K"]
        self.pitch = pick(is_pitch)
        self.lengths = [(i, length_value(t)) for i, t in enumerate(tokens) if is_length(t)]
        self.values = sorted({v for _, v in self.lengths} | {1})
        self.bars = [(i, t) for i, t in enumerate(tokens) if t in BARS and t != "|"]
        # Plain bar lines: numbered by their place in the section in runs that learned so.
        self.numbers = {int(t[1:]): i for i, t in enumerate(tokens) if is_numbered(t)}
        self.plain = tokens.index("|") if "|" in tokens else None
        if self.numbers or self.plain is not None:
            self.bars.append((-1, "|"))
        self.endings = pick(lambda t: t[:1] == "[" and t[1:].isdigit())
        self.repeat_closes = pick(lambda t: t in (":|", "::"))
        self.plain_closes = pick(lambda t: t in ("||", "|]", "|:"))
        self.tuplets = [(i, int(t[1:])) for i, t in enumerate(tokens) if t[:1] == "(" and t[1:].isdigit()]
        self.broken = pick(lambda t: t in (">", ">>", ">>>", "<", "<<", "<<<"))
        self.ties = pick(lambda t: t == "-")
        self.chords = pick(lambda t: t[:1] == '"')
        self.key_changes = True  # mid-tune K: changes (off when a key was asked for)
        self.min_length = min(self.values)
        if phrasing is not None:
            phrasing.open_end = not self.repeat_closes and not self.plain_closes

    def bar_id(self, st: TuneState) -> int:
        """The id of a plain bar line now: numbered where the run has numbers."""
        if not self.numbers:
            return self.plain
        k = position_after_bar(st)
        return self.numbers.get(k, self.plain if self.plain is not None else self.numbers[max(self.numbers)])

    def new_state(self) -> TuneState:
        st = TuneState(self.min_length)
        st.values = self.values
        return st

    def allowed(self, st: TuneState, form: bool = True) -> list[int]:
        """Token ids that may come next; ``form=False`` leaves section lengths free."""
        phrasing = self.phrasing if form else None
        if phrasing is not None:
            phrasing.prepare(st)
        else:
            st.cap = None
        if st.phase in ("M", "L", "K"):
            return self.header[st.phase]
        if st.phase == "start":
            return [self.start]
        if phrasing is not None and phrasing.must_end(st) and st.last in BARS:
            return [self.end]  # the sections asked for are all there
        if st.meter is None:  # free meter: nothing to count
            return [i for i in range(self.V) if i != self.start]
        ok: list[int] = []
        if st.last == ":|" and st.ending == 1:  # [1 ... :| must go on with [2
            second = [i for i in self.endings if self.names[i] == "[2"]
            if second:
                return second
        if st.pending:
            want = st.match_len
            ok += [i for i, v in self.lengths if st.fits(v) and (want is None or v == want)]
            if not st.fits(1) or want not in (None, 1):
                return ok
        pitches = self.pitch
        if st.tied:  # a tie lands on the same note: letter, octave and sounding pitch
            same = st.tied.lstrip("^_=")
            pitches = [i for i in self.pitch if self.names[i].lstrip("^_=") == same
                       and st.sounding(self.names[i]) == st.tied_midi]
        if is_chord(st.last):  # a chord symbol sounds with the note that follows it
            room = st.can_start_note(self.values)
            return (pitches if room else []) + ([] if st.tied else self._tuplets(st))
        if st.broken_next != 1:
            return ok + (pitches if st.can_start_note(self.values) else [])
        if st.can_start_note(self.values):
            ok += pitches
            if not st.tuplet_left:
                ok += self.chords
        ok += [i if i >= 0 else self.bar_id(st) for i, t in self.bars
               if st.bar_allowed(t) and not (t == ":|" and st.ending == 2)
               and (phrasing is None or phrasing.bar_ok(st, t))]
        at_bar = st.last in BARS
        if at_bar and not st.tied and self.key_changes:
            ok += [i for i in self.header["K"] if self.names[i] != st.key_tok]  # not restated
            # An ending [1 opens at a bar line; [2 follows the :| that closes [1 (abc2midi
            # otherwise "assumes a repeat").
            # A first ending must close with :|, which cannot come after a || or |] with no |:
            # (it would repeat from the tune's start): no [1 there, or the form dead-ends.
            ok += [i for i in self.endings
                   if (self.names[i] == "[1" and st.last != ":|" and not st.ending
                       and not st.repeat_closed
                       and not (st.plain_close and not st.repeat_open))
                   or (self.names[i] == "[2" and st.last == ":|" and st.ending == 1)]
            if st.last != "|:" and st.nbars >= 2 and not st.tied and st.ending != 1 \
                    and not st.repeat_open and (phrasing is None or phrasing.end_ok(st)):
                ok.append(self.end)
        note_placed = is_pitch(st.last) and st.last != "z" or is_length(st.last)
        if note_placed and st.last_pitch != "z" and self._tie_ok(st, phrasing):
            ok += self.ties
        if note_placed and st.last_pitch != "z":
            # Not after a tuplet's note or the second note of a broken pair (st.mult != 1):
            # abc2midi "Cannot apply broken rhythm. Notes not equal durations".
            if not st.tuplet_left and st.mult == 1 and \
                    st.limit() - st.pos >= st.note_len * st.unit * st.mult:
                ok += self.broken
        if not st.tuplet_left and not st.tied:
            ok += self._tuplets(st)
        return ok

    def _tuplets(self, st: TuneState) -> list[int]:
        room = st.limit() - st.pos
        return [i for i, p in self.tuplets
                if st.tuplet_fills(room, p, tuplet_ratio(p, st.meter, st.meter_tok))]

    def _tie_ok(self, st: TuneState, phrasing) -> bool:
        """A tie only where the held note can go on: later in this bar, or over a plain bar line
        into the next bar of the same section (not over a section's end, a repeat or an ending)."""
        if st.tuplet_left or st.broken_next != 1:
            return False
        if st.pos < st.limit():
            return st.can_start_note(self.values)
        if phrasing is not None and st.sec_bars + st.bar_counts() >= phrasing.longest:
            return False  # the section's last bar: the tune may end or a section close next
        return st.bar_allowed("|") and (phrasing is None or phrasing.bar_ok(st, "|"))
