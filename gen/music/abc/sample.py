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
from gen.music.abc.allowed import Grammar
from gen.music.abc.grammar import lone_pickup
from gen.music.abc.pitch import ends_on_tonic, tonic_pc
from gen.music.abc.phrasing import Phrasing, is_numbered
from gen.music.abc.request import read_request
from gen.music.abc.seed import Plan, make_plan
from gen.sample import Rule
from gen.music.abc.lexer import BARS, END


def meter_prior(vocab, meters: dict) -> torch.Tensor | None:
    """Log shares of the meters the corpus's tunes start in, by token id (-inf elsewhere)."""
    prior = torch.full((len(vocab.tokens),), float("-inf"))
    total = sum(meters.values())
    for token, count in meters.items():
        if token in vocab.stoi and count > 0:
            prior[vocab.stoi[token]] = math.log(count / total)
    return prior if torch.isfinite(prior).any() else None


class TuneRule(Rule):
    """The ABC plug-in for the one sampling loop (`gen.sample.generate`): per stream a `TuneState`;
    `forced` plays the seed plan and closes finished or over-long tunes, `scores` masks what the
    grammar forbids and adds the end-of-tune bonus, `advance` feeds the drawn tokens back."""

    def __init__(self, vocab, grammar: Grammar, plan: Plan, num: int, free: bool = False,
                 max_tokens: int = 1000, bars: int | None = None, typical: float | None = None,
                 temperature: float = 1.0, meters: dict | None = None):
        self.vocab, self.grammar, self.plan = vocab, grammar, plan
        self.temperature = temperature
        self.free, self.max_tokens, self.bars, self.typical = free, max_tokens, bars, typical
        self.states = [grammar.new_state() for _ in range(num)]
        self.out: list[list[str]] = [[] for _ in range(num)]
        self.ended = [False] * num
        self.repairs = self.form_repairs = self.step = 0
        self.everything = [i for i in range(grammar.V) if i != grammar.start]
        self.mask: torch.Tensor | None = None
        self.meter_prior = meter_prior(vocab, meters) if meters and not free else None

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
        if self.meter_prior is not None:
            if all(st.phase not in ("start", "M") for st in self.states):
                self.meter_prior = None  # every meter is drawn: no more work here per step
            for i, st in enumerate(self.states if self.meter_prior is not None else ()):
                if st.phase == "M":
                    # The meter comes from the corpus's own shares, not the model: after the
                    # warm-up (the end of one tune of a collection ordered by tune type) the
                    # model favoured that tune's meter: 70-78% M:C from irish.abc (49% of its
                    # tunes). Scaled by the temperature, which the loop divides by next.
                    scores[i] = torch.where(self.mask[i], self.meter_prior * self.temperature,
                                            scores[i])
        phrasing = self.grammar.phrasing
        if phrasing is not None and phrasing.hazard:
            end = self.grammar.end
            for i, st in enumerate(self.states):
                # (Where the end is the only token allowed, there is nothing to share with.)
                alone = self.mask[i, end] and int(self.mask[i].sum()) == 1
                share = phrasing.end_share(st) if self.mask[i, end] and not alone else None
                if share is not None and ends_on_tonic(self.out[i]) is False:
                    share *= phrasing.off_tonic
                if share is not None and share < 1.0:
                    # Give the end its corpus share of the (tempered) probability here.
                    rest = torch.cat([scores[i, :end], scores[i, end + 1:]]) / self.temperature
                    scores[i, end] = self.temperature * (math.log(share / (1 - share))
                                                         + torch.logsumexp(rest, 0).item())
        if phrasing is not None and not self.free:
            self._cadence(scores, phrasing)
        if phrasing is not None and phrasing.repeated is not None and not self.free:
            self._balance_repeats(scores, phrasing.repeated)
        if self.typical and not self.free:
            end = self.grammar.end
            for i, out in enumerate(self.out):
                over = len(out) / self.typical - 1.25
                if over > 0 and self.mask[i, end]:
                    scores[i, end] += 10.0 * over
        return scores

    def _cadence(self, scores: torch.Tensor, phrasing) -> None:
        """In the second half of a bar that may close the tune, the tonic's pitches get the odds
        of the corpus's tonic endings (`Phrasing.cadence`) over what the model gives them. The
        model alone ended 54-80% of 50 tunes on the tonic (irish.abc 76%, session-chords 81%);
        with it 66-84% and 72-84% (rng seeds 0-3, docs/figures-collections.md)."""
        for i, st in enumerate(self.states):
            if st.phase != "body" or st.tied:
                continue
            if not phrasing.closing_bar(st) or 2 * (st.limit() - st.pos) > st.meter:
                continue
            # (Masked tokens stay at -inf.)
            scores[i, self._tonics(st)] += self.temperature * math.log(phrasing.cadence)

    def _tonics(self, st) -> list[int]:
        pc = tonic_pc(st.key_tok)
        return [t for t in self.grammar.pitch if self.vocab.tokens[t] != "z"
                and st.sounding(self.vocab.tokens[t]) % 12 == pc]

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


def make_rule(loaded, plan: Plan, num: int, temperature: float, free: bool = False,
              max_tokens: int = 1000, bars: int | None = None, typical: float | None = None,
              request=None) -> TuneRule:
    """The tune rule for ``num`` streams of a run, as `generate` runs it (also what an exported
    model is checked against, step for step).

    ``typical`` (the corpus's median tune length): past 1.25 times that, the end-of-tune token,
    where allowed, gets a bonus growing with the length, so that a tune that lost its way ends at
    the next section end instead of running on to ``max_tokens``. ``request``: a
    `gen.music.abc.request.TuneRequest` whose sections and bars per section the form keeps to."""
    vocab = loaded.vocab
    stats = loaded.meta["corpus"].get("stats", {})
    phrasing = None if free else Phrasing(stats, getattr(request, "sections", None),
                                          getattr(request, "bars", None))
    grammar = Grammar(vocab.tokens, stats.get("header_keys"), phrasing)
    grammar.key_changes = not getattr(request, "key", None)
    return TuneRule(vocab, grammar, plan, num, free, max_tokens, bars, typical, temperature,
                    stats.get("meters"))


def generate(loaded, plan: Plan, num: int, temperature: float, top_k, top_p, rng_seed: int,
             free: bool = False, max_tokens: int = 1000, bars: int | None = None,
             typical: float | None = None, precision: str = "auto", request=None):
    """Token lists of ``num`` tunes (each from ``<s>`` to ``</s>``) and how many dead ends the
    constraints had to open up (the count of steps drawn with no constraint); see `make_rule`."""
    from gen.sample import generate as run_loop

    rule = make_rule(loaded, plan, num, temperature, free, max_tokens, bars, typical, request)
    # Every stream ends by then: the plan, max_tokens, 400 more to reach an end, the end token.
    longest = len(plan.tokens) + max_tokens + 402
    for _ in run_loop(loaded.model, loaded.warmup_ids or [rule.grammar.end], longest, num,
                      temperature, top_k, top_p, rng_seed, rule=rule, precision=precision):
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
    plan, request, cap, typical = plan_tunes(loaded, req)
    tunes, repairs = generate(loaded, plan, req.num_samples, req.temperature, req.top_k, req.top_p,
                              req.rng_seed, bool(req.music.get("free")), cap, None, typical,
                              req.precision, request)
    if repairs and not req.quiet:
        log(f"{repairs} steps had no token that fits the bar and were drawn unconstrained")
    return finish_tunes(tunes, plan, req)


def plan_tunes(loaded, req):
    """What `gen sample` asks of the tunes: the seed plan, the request (meter, key, sections,
    bars), the most tokens a tune may take and the typical length that ends a stray one."""
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
    return plan, request, req.length or cap, None if request.sections else median
