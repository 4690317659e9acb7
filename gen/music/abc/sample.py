"""Sampling whole ABC tunes: every stream starts at a tune start, stops at its end, and (unless
``--free``) draws only tokens that keep the tune well formed.

The constraints follow `TuneState`: headers in the order M, L, K; no note that overflows the
bar; no bar line before the bar is full, except a pickup (first bar of a section) and the bar
that completes it at the section's end; an end-of-tune only after a bar line. Music valid by
construction: the model chooses among what ABC allows, so its likelihoods still shape the tune.
"""

from __future__ import annotations

import math

import torch

from gen.console import log, warn
from gen.errors import GenError
from gen.music.abc.chords import is_chord
from gen.music.abc.grammar import TuneState, lone_pickup, tuplet_ratio
from gen.music.abc.pitch import ends_on_tonic
from gen.music.abc.phrasing import Phrasing, is_numbered, position_after_bar
from gen.music.abc.request import read_request
from gen.music.abc.seed import Plan, make_plan
from gen.sample import Rule
from gen.music.abc.lexer import BARS, END, START, is_length, is_pitch, length_value


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
            ok += self.header["K"]
            # An ending [1 opens at a bar line; [2 follows the :| that closes [1 (abc2midi
            # otherwise "assumes a repeat").
            ok += [i for i in self.endings
                   if (self.names[i] == "[1" and st.last != ":|" and not st.ending
                       and not st.repeat_closed)
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
        return st.bar_allowed("|") and (phrasing is None or phrasing.bar_ok(st, "|"))


class TuneRule(Rule):
    """The ABC plug-in for the one sampling loop (`gen.sample.generate`): per stream a `TuneState`;
    `forced` plays the seed plan and closes finished or over-long tunes, `scores` masks what the
    grammar forbids and adds the end-of-tune bonus, `advance` feeds the drawn tokens back."""

    def __init__(self, vocab, grammar: Grammar, plan: Plan, num: int, free: bool = False,
                 max_tokens: int = 1000, bars: int | None = None, typical: float | None = None,
                 temperature: float = 1.0):
        self.vocab, self.grammar, self.plan = vocab, grammar, plan
        self.temperature = temperature
        self.free, self.max_tokens, self.bars, self.typical = free, max_tokens, bars, typical
        self.states = [grammar.new_state() for _ in range(num)]
        self.out: list[list[str]] = [[] for _ in range(num)]
        self.ended = [False] * num
        self.repairs = self.form_repairs = self.step = 0
        self.everything = [i for i in range(grammar.V) if i != grammar.start]
        self.mask: torch.Tensor | None = None

    def forced(self) -> list[int | None]:
        """Also prepares this step's mask (forced() comes first in every step of the loop)."""
        grammar, vocab, plan = self.grammar, self.vocab, self.plan
        num = len(self.states)
        planned = plan.tokens[self.step] if self.step < len(plan.tokens) else None
        self.mask = torch.zeros(num, grammar.V, dtype=torch.bool)
        force_ids: list[int | None] = [None] * num
        for i, st in enumerate(self.states):
            out = self.out[i]
            if self.ended[i]:
                force_ids[i] = grammar.end
            elif planned is not None:
                force_ids[i] = grammar.bar_id(st) if planned == "|" else vocab.stoi[planned]
            elif (len(out) >= self.max_tokens or self.bars is not None and st.nbars >= self.bars) \
                    and st.last in BARS and (self.free or grammar.end in grammar.allowed(st)):
                force_ids[i] = grammar.end  # long enough: end at the first place the form allows
            elif len(out) >= self.max_tokens + 400:  # the form never let it end: cut it short
                ends = st.section_end_tok if st.sections else 0
                cut = ends - 1 if ends > 4 else max(  # a bar line no tie holds over
                    (k for k, t in enumerate(out) if t in BARS and out[k - 1] != "-"),
                    default=len(out) - 1)
                self.out[i] = out = out[: cut + 1]
                force_ids[i] = grammar.end
                if (st.ending == 1 or st.repeat_open) and ":|" in vocab.stoi and out[-1] in BARS:
                    out[-1] = ":|"  # an open repeat or first ending must close (abc2midi)
            else:
                allowed = self.everything if self.free and st.phase == "body" else grammar.allowed(st)
                if not allowed and grammar.phrasing is not None:
                    self.form_repairs += 1  # no way on within the form: keep the bars right
                    allowed = grammar.allowed(st, form=False)
                if st.phase in ("M", "L", "K") and plan.header.get(st.phase):
                    allowed = [vocab.stoi[plan.header[st.phase]]]
                if not allowed:
                    self.repairs += 1
                    allowed = self.everything
                self.mask[i, allowed] = True
        return force_ids

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        scores = logits.masked_fill(~self.mask, float("-inf"))
        phrasing = self.grammar.phrasing
        if phrasing is not None and phrasing.hazard:
            end = self.grammar.end
            for i, st in enumerate(self.states):
                share = phrasing.end_share(st) if self.mask[i, end] else None
                if share is not None and ends_on_tonic(self.out[i]) is False:
                    share *= phrasing.off_tonic
                if share is not None and share < 1.0:
                    # Give the end its corpus share of the (tempered) probability here.
                    rest = torch.cat([scores[i, :end], scores[i, end + 1:]]) / self.temperature
                    scores[i, end] = self.temperature * (math.log(share / (1 - share))
                                                         + torch.logsumexp(rest, 0).item())
        if phrasing is not None and phrasing.repeated is not None and not self.free:
            self._balance_repeats(scores, phrasing.repeated)
        if self.typical and not self.free:
            end = self.grammar.end
            for i, out in enumerate(self.out):
                over = len(out) / self.typical - 1.25
                if over > 0 and self.mask[i, end]:
                    scores[i, end] += 10.0 * over
        return scores

    def _balance_repeats(self, scores: torch.Tensor, share: float) -> None:
        """Where a section may close with a repeat or without, give the repeat closes ``share``
        of the (tempered) closing probability and the others the rest; the odds of closing at
        all, and the odds within each group, stay the model's."""
        rep, plain = self.grammar.repeat_closes, self.grammar.plain_closes
        if not rep or not plain:
            return
        both = self.mask[:, rep].any(1) & self.mask[:, plain].any(1)
        t = self.temperature
        for i in torch.nonzero(both).flatten().tolist():
            a = torch.logsumexp(scores[i, rep] / t, 0)
            b = torch.logsumexp(scores[i, plain] / t, 0)
            total = torch.logaddexp(a, b)
            scores[i, rep] += t * (math.log(share) + total - a)
            scores[i, plain] += t * (math.log(1 - share) + total - b)

    def advance(self, ids: list[int]) -> None:
        for i, tid in enumerate(ids):
            if self.ended[i]:
                continue
            tok = self.vocab.tokens[tid]
            tok = "|" if is_numbered(tok) else tok  # the model's numbered bar lines are plain ABC
            if tok == END and lone_pickup(self.states[i]):
                # The tune ends after a pickup bar: that pickup would belong to a section that
                # never comes, so the tune ends with the section before it.
                del self.out[i][self.states[i].section_end_tok:]
            self.out[i].append(tok)
            self.states[i].advance(tok)
            self.ended[i] = tok == END
        self.step += 1

    def done(self) -> bool:
        return all(self.ended)


def generate(loaded, plan: Plan, num: int, temperature: float, top_k, top_p, rng_seed: int,
             free: bool = False, max_tokens: int = 1000, bars: int | None = None,
             typical: float | None = None, precision: str = "auto", request=None):
    """Token lists of ``num`` tunes (each from ``<s>`` to ``</s>``) and how many dead ends the
    constraints had to open up (the count of steps drawn with no constraint).

    ``typical`` (the corpus's median tune length): past 1.25 times that, the end-of-tune token,
    where allowed, gets a bonus growing with the length, so that a tune that lost its way ends at
    the next section end instead of running on to ``max_tokens``. ``request``: a
    `gen.music.abc.request.TuneRequest` whose sections and bars per section the form keeps to."""
    from gen.sample import generate as run_loop

    vocab = loaded.vocab
    stats = loaded.meta["corpus"].get("stats", {})
    phrasing = None if free else Phrasing(stats, getattr(request, "sections", None),
                                          getattr(request, "bars", None))
    grammar = Grammar(vocab.tokens, stats.get("header_keys"), phrasing)
    grammar.key_changes = not getattr(request, "key", None)
    rule = TuneRule(vocab, grammar, plan, num, free, max_tokens, bars, typical, temperature)
    # Every stream ends by then: the plan, max_tokens, 400 more to reach an end, the end token.
    longest = len(plan.tokens) + max_tokens + 402
    for _ in run_loop(loaded.model, loaded.warmup_ids or [grammar.end], longest, num, temperature,
                      top_k, top_p, rng_seed, rule=rule, precision=precision):
        pass
    return rule.out, rule.repairs


def sample(loaded, req) -> None:
    """`gen sample` for a run trained on ABC: complete tunes to stdout or to a file."""
    from gen.music.abc.seed import write_output

    write_output(tunes(loaded, req), req)


def tunes(loaded, req) -> list[str]:
    """The ABC text of every tune `gen sample` writes (the Python API returns these)."""
    from gen.music.abc.char import char_tunes
    from gen.music.abc.seed import finish_tunes

    if loaded.vocab.level == "char":
        return char_tunes(loaded, req)
    if END not in loaded.vocab.stoi:
        raise GenError("this run's vocabulary has no end-of-tune token; retrain it with this gen")
    if req.stop:
        warn("--stop is ignored for ABC: every tune stops at its own end")
    request = read_request(loaded, req)
    plan = make_plan(loaded, req, request.meter)
    # A tune that never ends on its own is closed at a bar line after 4x the corpus median.
    stats = loaded.meta["corpus"].get("stats", {})
    median = stats.get("median_tune_tokens") or 150
    cap = int(max(300, 4 * median))
    if request.form:
        # Room for the bars asked for: about 3x the corpus's tokens per bar, for every bar.
        sections = request.sections or Phrasing(stats).min_sections
        per_section = request.bars or Phrasing(stats).longest
        cap = max(cap, int(3 * median / 16 * sections * per_section))
    tunes, repairs = generate(loaded, plan, req.num_samples, req.temperature, req.top_k, req.top_p,
                              req.rng_seed, bool(req.music.get("free")), req.length or cap,
                              None, None if request.sections else median, req.precision, request)
    if repairs and not req.quiet:
        log(f"{repairs} steps had no token that fits the bar and were drawn unconstrained")
    return finish_tunes(tunes, plan, req)
