"""Samples as strings: the one path from a sampling request to generated text, shared by
`gen sample` (which writes the strings) and the Python API (which returns or yields them).

Text runs go through `text_steps` (the tokens of every stream, step by step) and `TextSink`
(seed, stop string, per-sample text); ABC and note-level runs through their own samplers
(`gen.music.abc.sample.tunes`, `gen.music.notes.sample.pieces`), which return whole tunes.
"""

from __future__ import annotations

import time
from typing import Iterator

from gen.console import write_out


def text_steps(loaded, req) -> tuple[str, Iterator[list[str]]]:
    """The seed as shown, and an iterator over the generated tokens of every stream, per step.
    Seed errors are raised here, before the first step."""
    from gen.sample import generate, text_seed_ids

    seed_ids, shown = text_seed_ids(loaded, read_seed_text(req))
    length = req.length if req.length is not None else 500
    tokens = loaded.vocab.tokens

    def steps():
        loop = generate(loaded.model, seed_ids, length, req.num_samples, req.temperature,
                        req.top_k, req.top_p, req.rng_seed, precision=req.precision)
        try:
            for token in loop:
                yield [tokens[i] for i in token.tolist()]
        finally:
            loop.close()  # puts the torch thread count back at once, not when collected

    return shown, steps()


def text_samples(loaded, req) -> list[str]:
    """Every sample's whole text (seed + continuation, cut at the stop string)."""
    shown, steps = text_steps(loaded, req)
    sink = TextSink(None, req.num_samples, req.stop, stream=False)
    sink.begin(shown)
    with _closing(steps):
        for pieces in steps:
            if sink.add(pieces):
                break
    return sink.results()


def text_stream(loaded, req) -> Iterator[str]:
    """One sample's text in pieces as they are generated: the seed, then new text; held back
    where it might be the start of the stop string. The pieces join to `text_samples`'s text."""
    shown, steps = text_steps(loaded, req)
    return _stream(shown, steps, req.stop)


def _stream(shown: str, steps, stop: str | None) -> Iterator[str]:
    out: list[str] = []
    sink = TextSink(None, 1, stop, write=out.append, flush_s=0.0)
    sink.begin(shown)
    with _closing(steps):
        for pieces in steps:
            finished = sink.add(pieces)
            yield from _drain(out)
            if finished:
                break
    out.append(sink.rest())
    yield from _drain(out)


def _drain(out: list[str]) -> Iterator[str]:
    pieces = [p for p in out if p]
    out.clear()
    yield from pieces


class _closing:
    def __init__(self, gen):
        self.gen = gen

    def __enter__(self):
        return self.gen

    def __exit__(self, *exc):
        self.gen.close()


def music_samples(loaded, req) -> list[str]:
    """Whole ABC tunes (one string each) or note-level pieces (event text, one string each),
    exactly as `gen sample` prints them."""
    kind = loaded.meta["corpus"]["kind"]
    if kind == "abc":
        from gen.music.abc.sample import tunes

        return tunes(loaded, req)
    from gen.music.notes import tokens as nt
    from gen.music.notes.sample import pieces

    return [nt.join(p) + "\n" for p in pieces(loaded, req)]


class TextSink:
    """Collects generated text per stream. One sample streams straight to stdout; several are
    printed one after another, each under a separator line, once the batch is done.

    Streamed text is flushed at most every ``FLUSH_S`` seconds (the first piece at once): a
    write and flush per character costs a system call per character, a real share of the time
    at thousands of characters a second, while 20 updates a second look continuous.

    ``stream=False`` collects only (`results`); ``write`` replaces stdout (the API's stream)."""

    FLUSH_S = 0.05

    def __init__(self, output, n: int, stop: str | None, stream: bool | None = None,
                 write=None, flush_s: float | None = None):
        self.output, self.n, self.stop = output, n, stop
        self.pieces: list[list[str]] = [[] for _ in range(n)]  # without --stop: joined at the end
        self.texts = [""] * n  # with --stop
        self.done = [False] * n
        self.written = 0  # characters of sample 0 already streamed (with --stop)
        self.stream = output is None and n == 1 if stream is None else stream
        self.write = write or write_out
        self.flush_s = self.FLUSH_S if flush_s is None else flush_s
        self.hold = len(stop) - 1 if stop else 0
        self.pending: list[str] = []  # streamed text not yet flushed
        self.last_flush: float | None = None
        self.seed = ""

    def begin(self, seed: str) -> None:
        self.seed = seed
        if self.stream:
            self.write(seed)

    def add(self, pieces: list[str]) -> bool:
        """Append one token per stream; True when every stream has hit the stop string."""
        if not self.stop:
            for kept, piece in zip(self.pieces, pieces):
                kept.append(piece)
            if self.stream:
                self._emit(pieces[0])
            return False
        for i, piece in enumerate(pieces):
            if self.done[i]:
                continue
            self.texts[i] += piece
            # Only the new piece and the few characters before it can complete the stop string;
            # searching the whole text each step would make long samples quadratic.
            at = self.texts[i].find(self.stop, max(0, len(self.texts[i]) - len(piece) - self.hold))
            if at >= 0:
                self.texts[i] = self.texts[i][:at]
                self.done[i] = True
        if self.stream:
            # Hold back a possible prefix of the stop string until we know it is not one.
            upto = len(self.texts[0]) if self.done[0] else max(self.written, len(self.texts[0]) - self.hold)
            if upto > self.written:
                self._emit(self.texts[0][self.written: upto])
                self.written = upto
        return all(self.done)

    def _emit(self, text: str) -> None:
        self.pending.append(text)
        now = time.monotonic()
        if self.last_flush is None or now - self.last_flush >= self.flush_s:
            self.write("".join(self.pending))
            self.pending.clear()
            self.last_flush = now

    def results(self) -> list[str]:
        """Each sample's whole text: seed + continuation, without the separators."""
        texts = self.texts if self.stop else ["".join(p) for p in self.pieces]
        return [self.seed + t for t in texts]

    def rest(self) -> str:
        """What a streamed sample has not written yet (held-back or unflushed text)."""
        return "".join(self.pending) + (self.texts[0][self.written:] if self.stop else "")

    def finish(self) -> None:
        results = self.results()
        if self.stream:
            ends = results[0].endswith("\n")
            self.write(self.rest() + ("" if ends else "\n"))
            return
        parts = []
        for i, body in enumerate(results):
            if self.n > 1:
                parts.append(f"{'' if i == 0 else chr(10)}----- sample {i + 1} of {self.n} -----\n")
            parts.append(body if body.endswith("\n") else body + "\n")
        result = "".join(parts)
        if self.output is None:
            self.write(result)
        else:
            from gen.checkpoint import atomic_write

            atomic_write(self.output, lambda f: f.write(result.encode()))


def read_seed_text(req) -> str | None:
    """The seed a request gives: ``--seed`` text (the two characters \\n typed in a shell stand
    for a newline, as users type it) or the contents of ``--seed-file``."""
    if req.seed_file is None:
        return None if req.seed is None else req.seed.replace("\\n", "\n").replace("\\t", "\t")
    from gen.corpus import read_text

    return read_text(req.seed_file)
