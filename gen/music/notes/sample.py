"""`gen sample` for note-level runs: prime with a seed (tokens, typed notes or a score file),
generate events under light grammar constraints, write MIDI/MusicXML or print the tokens.

Constraints (why): training data lists each frame's pitches strictly high to low and only holds
(``~p``) pitches that sounded in the previous frame; masking tokens that break these rules costs
nothing and keeps a briefly trained model from writing frames that decode to nonsense.
"""

from __future__ import annotations

from pathlib import Path

from gen.console import log, warn, write_out
from gen.errors import GenError
from gen.sample import Rule
from gen.music.notes import tokens as nt

DEFAULT_LENGTH = 400
MAX_FRAME = 10  # pitches per frame: more than any chorale or piano texture in the corpora


def seed_tokens(text: str) -> list[str]:
    """Seed text as event tokens. With no shift token in it, each note is shorthand for a
    quarter note (``C4 E4 G4 C5``); otherwise the text is taken as events, spellings normalised."""
    raw = nt.split(text)
    shorthand = not any(nt.parse_shift(t) is not None for t in raw)
    out = []
    for t in raw:
        note = nt.parse_note(t)
        if note is not None:
            out.append(nt.note_token(*note))
            if shorthand:
                out.append(nt.shift_token(nt.GRID))
        elif (nt.parse_shift(t) is not None or t in (nt.BAR, nt.START, nt.END) or nt.is_meter(t)
              or nt.parse_key(t) is not None):
            out.append(t)
        else:
            raise GenError(f"--seed: {t!r} is not a note (e.g. C4, F#3, Bb2) or event token "
                           "(+1/2, |, K:G, M:3/4)")
    return [t for t in out if t != nt.END]


def file_tokens(path: Path) -> list[str]:
    """The first piece of a score file as events, without its end token."""
    if not path.exists():
        raise GenError(f"no such seed file: {path}")
    from gen.music.notes.corpus import SCORE_SUFFIXES, Unit, parse_unit

    if path.suffix.lower() not in SCORE_SUFFIXES:
        return seed_tokens(path.read_text(errors="replace"))
    text = None
    if path.suffix.lower() == ".abc":
        from gen.music.notes.corpus import split_abc

        text = split_abc(path.read_text(errors="replace"))[0]
    tokens, why = parse_unit(Unit("seed", path.suffix.lower().lstrip("."), str(path), text))
    if tokens is None:
        raise GenError(f"cannot read seed file {path}: {why}")
    piece = nt.pieces(tokens)[0]
    return piece[:-1]


def fit_to_vocab(tokens: list[str], stoi: dict) -> list[str]:
    """Map tokens the model never saw onto ones it did: pitches by octave, shifts split into
    known shifts; other unknown tokens (rare keys, meters) are dropped with a warning."""
    known_shifts = sorted((nt.parse_shift(t) for t in stoi if nt.parse_shift(t)), reverse=True)
    out, dropped = [], []
    for t in tokens:
        if t in stoi:
            out.append(t)
            continue
        note = nt.parse_note(t)
        units = nt.parse_shift(t)
        if note is not None:
            midi, held = note
            cands = [m for m in range(midi % 12, 128, 12) if nt.note_token(m, held) in stoi]
            if cands:
                out.append(nt.note_token(min(cands, key=lambda m: abs(m - midi)), held))
                continue
        elif units is not None and known_shifts:
            while units > 0:
                step = next((s for s in known_shifts if s <= units), known_shifts[-1])
                out.append(nt.shift_token(step))
                units -= step
            continue
        dropped.append(t)
    if dropped:
        warn(f"the seed has {len(dropped)} events the model never saw, left out: "
             f"{' '.join(dict.fromkeys(dropped))}"[:300])
    return out


class Grammar(Rule):
    """The note-level plug-in for the one sampling loop: per-stream frame state; ``scores(logits)``
    forbids tokens that break the event grammar; a stream ends at ``</s>`` or after ``bars`` bars
    and is then held at ``</s>`` while the others go on; ``outs`` holds what each stream wrote."""

    def __init__(self, vocab, n: int, primer: list[str], allow_end: bool, bars: int | None = None):
        import torch

        self.torch = torch
        self.vocab, self.bars_limit = vocab, bars
        self.outs: list[list[str]] = [[] for _ in range(n)]
        self.ended, self.bars = [False] * n, [0] * n
        self.end_id = vocab.stoi.get(nt.END)
        self.pitch = torch.full((len(vocab),), -1, dtype=torch.long)
        self.held = torch.zeros(len(vocab), dtype=torch.bool)
        for i, t in enumerate(vocab.tokens):
            note = nt.parse_note(t)
            if note is not None:
                self.pitch[i], self.held[i] = note[0], note[1]
        self.banned = torch.zeros(len(vocab), dtype=torch.bool)
        for t in (nt.START,) if allow_end else (nt.START, nt.END):
            if t in vocab.stoi:
                self.banned[vocab.stoi[t]] = True
        # Bar, key and meter tokens only ever follow a shift in the corpus: never inside a frame.
        self.marks = torch.tensor([t == nt.BAR or nt.is_meter(t) or nt.parse_key(t) is not None
                                   for t in vocab.tokens], dtype=torch.bool)
        self.safe = [i for i, t in enumerate(vocab.tokens) if nt.parse_shift(t) is not None]
        prev, cur = set(), []
        for t in primer:
            prev, cur = self._advance(prev, cur, t)
        self.prev, self.cur = [set(prev) for _ in range(n)], [list(cur) for _ in range(n)]

    @staticmethod
    def _advance(prev: set, cur: list, token: str):
        note = nt.parse_note(token)
        if note is not None:
            return prev, cur + [note[0]]
        if nt.parse_shift(token) is not None:
            return set(cur), []
        return prev, cur

    def forced(self) -> list[int | None] | None:
        if self.end_id is None or not any(self.ended):
            return None
        return [self.end_id if e else None for e in self.ended]

    def advance(self, ids: list[int]) -> None:
        for i, t in enumerate(self.vocab.decode(ids)):
            if self.ended[i]:
                continue
            self.prev[i], self.cur[i] = self._advance(self.prev[i], self.cur[i], t)
            if t == nt.END:
                self.ended[i] = True
                continue
            self.outs[i].append(t)
            if t == nt.BAR:
                self.bars[i] += 1
                self.ended[i] = self.bars_limit is not None and self.bars[i] >= self.bars_limit

    def done(self) -> bool:
        return all(self.ended)

    def scores(self, scores):
        torch = self.torch
        is_pitch = self.pitch >= 0
        scores = scores.clone()  # the loop may hand over a view shared by all streams
        for i in range(scores.size(0)):
            bad = self.banned.clone()
            cur = self.cur[i]
            if cur:
                bad |= is_pitch & (self.pitch >= min(cur))  # high to low, each pitch once
                bad |= self.marks
                if len(cur) >= MAX_FRAME:
                    bad |= is_pitch
            prev = torch.zeros_like(bad)
            for p in self.prev[i]:
                prev |= self.pitch == p
            bad |= self.held & ~prev  # only a pitch that sounds can be held
            row = scores[i].masked_fill(bad, float("-inf"))
            if torch.isinf(row).all():  # top-k kept only forbidden tokens: fall back to a shift
                row = torch.full_like(row, float("-inf"))
                row[self.safe] = 0.0
            scores[i] = row
        return scores


def sample(loaded, req) -> None:
    """`gen sample` for a note-level run: event text to stdout, or MIDI/MusicXML files."""
    emit(pieces(loaded, req), req)


def pieces(loaded, req) -> list[list[str]]:
    """The event tokens of every piece `gen sample` writes (the Python API returns these)."""
    from gen.sample import generate

    vocab, music = loaded.vocab, req.music or {}
    if req.seed_file is not None:
        primer = file_tokens(Path(req.seed_file))
    elif req.seed:
        primer = seed_tokens(req.seed)
    else:
        primer = []
    if not primer or primer[0] != nt.START:
        primer = [nt.START] + primer
    want_key = _parse_key_option(music.get("key"))
    if want_key is not None and nt.first_key(primer) is None and nt.key_token(*want_key) in vocab.stoi:
        primer.insert(1, nt.key_token(*want_key))
    if len(primer) > 1 and not any(nt.parse_key(t) or nt.is_meter(t) for t in primer):
        # Typed notes: the model always saw key and meter right after <s>; give it the usual ones.
        head = [t for t in ("K:C", "M:4/4") if t in vocab.stoi]
        primer[1:1] = head
    primer = fit_to_vocab(primer, vocab.stoi)
    length = req.length or (DEFAULT_LENGTH if req.bars is None else 100_000)
    n = req.num_samples
    grammar = Grammar(vocab, n, primer, allow_end=req.length is None and req.bars is None,
                      bars=req.bars)
    context = loaded.warmup_ids + vocab.encode(primer)
    for _ in generate(loaded.model, context, length, n, req.temperature,
                      req.top_k, req.top_p, req.rng_seed, rule=grammar, precision=req.precision):
        pass
    results = [primer + o + [nt.END] for o in grammar.outs]
    if want_key is not None:
        results = [_to_key(r, want_key) for r in results]
    return results


def emit(results: list[list[str]], req) -> None:
    music = req.music or {}
    if req.output is None:
        for i, r in enumerate(results):
            if len(results) > 1:
                write_out(f"{'' if i == 0 else chr(10)}----- sample {i + 1} of {len(results)} -----\n")
            write_out(nt.join(r) + "\n")
        return
    from gen.music.notes.write import numbered, write

    for i, r in enumerate(results):
        path = numbered(Path(req.output), i, len(results))
        count = write(r, path, music.get("bpm"), music.get("instrument"))
        if not req.quiet:
            log(f"wrote {path}: {count} notes, {len(r)} events")


def _parse_key_option(text: str | None):
    if not text:
        return None
    k = nt.parse_key("K:" + text[0].upper() + text[1:].replace("min", "m").replace("maj", ""))
    if k is None:
        raise GenError(f"--key {text!r}: give a tonic and optional m for minor, e.g. D, F#m, Bb")
    return k


def _to_key(tokens: list[str], key) -> list[str]:
    have = nt.first_key(tokens)
    if have is None or have == key:
        return tokens
    shift = ((key[0] - have[0] + 5) % 12) - 5
    return nt.transpose(tokens, shift) or tokens
