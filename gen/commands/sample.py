"""`gen sample`: load a run, prime it with the seed, stream samples to stdout or write a file."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from gen.console import log, write_out
from gen.errors import GenError


@dataclass
class SampleRequest:
    checkpoint: Path | None
    seed: str | None
    seed_file: Path | None
    length: int | None
    bars: int | None
    temperature: float
    top_k: int | None
    top_p: float | None
    num_samples: int
    stop: str | None
    rng_seed: int | None
    output: Path | None
    device: str
    quiet: bool
    music: dict  # options for music runs (key, meter, sections, bpm, instrument, free...)
    precision: str = "auto"  # the stepper's dtype (gen.sample.step_dtype)


def validate(req: SampleRequest) -> None:
    if req.length is not None and req.length <= 0:
        raise GenError("--length must be a positive number of tokens")
    if req.temperature <= 0:
        raise GenError("--temperature must be above 0 (for the most likely token each time, use --top-k 1)")
    if req.top_k is not None and req.top_k < 1:
        raise GenError("--top-k must be at least 1")
    if req.top_p is not None and not 0 < req.top_p <= 1:
        raise GenError("--top-p must be in (0, 1]")
    if req.num_samples < 1:
        raise GenError("--num-samples must be at least 1")
    if req.seed is not None and req.seed_file is not None:
        raise GenError("give --seed or --seed-file, not both")
    if req.precision not in ("auto", "fp32", "bf16"):
        raise GenError(f"unknown --precision {req.precision!r}; choose auto, fp32 or bf16")
    if req.stop == "":
        raise GenError("--stop must not be empty")


def run(req: SampleRequest) -> None:
    validate(req)
    from gen import checkpoint as ckpt

    loaded = ckpt.load_model(ckpt.resolve_run(req.checkpoint), device="cpu")
    if req.rng_seed is None:
        req.rng_seed = secrets.randbelow(2**31)
        if not req.quiet:
            log(f"rng seed {req.rng_seed} (pass --rng-seed {req.rng_seed} to repeat this sample)")
    kind = loaded.meta["corpus"]["kind"]
    music = req.music or {}
    asked = [f"--{k}" for k in ("meter", "sections") if music.get(k) is not None]
    if asked and (kind != "abc" or loaded.vocab.level != "abc"):
        raise GenError(f"{' and '.join(asked)} need a run trained on ABC tunes at --level abc")
    if kind != "text":
        from importlib import import_module

        # Each music path brings its own sampler (a Rule on the one loop, a writer).
        import_module({"abc": "gen.music.abc.sample", "notes": "gen.music.notes.sample"}[kind]).sample(
            loaded, req)
        return
    sample_text(loaded, req)


def read_seed_text(req: SampleRequest) -> str | None:
    if req.seed_file is None:
        # A shell cannot easily pass a newline: accept the two characters \n as one, as users type it.
        return None if req.seed is None else req.seed.replace("\\n", "\n").replace("\\t", "\t")
    from gen.corpus import read_text

    return read_text(req.seed_file)


def sample_text(loaded, req: SampleRequest) -> None:
    from gen.sample import generate, text_seed_ids

    vocab = loaded.vocab
    seed_ids, shown = text_seed_ids(loaded, read_seed_text(req))
    length = req.length if req.length is not None else 500
    out = TextSink(req.output, req.num_samples, req.stop)
    out.begin(shown)
    tokens = vocab.tokens
    for token in generate(loaded.model, seed_ids, length, req.num_samples, req.temperature,
                          req.top_k, req.top_p, req.rng_seed, precision=req.precision):
        if out.add([tokens[i] for i in token.tolist()]):
            break
    out.finish()
    if req.output is not None and not req.quiet:
        log(f"wrote {req.num_samples} sample{'s' if req.num_samples > 1 else ''} to {req.output}")


class TextSink:
    """Collects generated text per stream. One sample streams straight to stdout; several are
    printed one after another, each under a separator line, once the batch is done.

    Streamed text is flushed at most every ``FLUSH_S`` seconds (the first piece at once): a
    write and flush per character costs a system call per character, a real share of the time
    at thousands of characters a second, while 20 updates a second look continuous."""

    FLUSH_S = 0.05

    def __init__(self, output: Path | None, n: int, stop: str | None):
        self.output, self.n, self.stop = output, n, stop
        self.pieces: list[list[str]] = [[] for _ in range(n)]  # without --stop: joined at the end
        self.texts = [""] * n  # with --stop
        self.done = [False] * n
        self.written = 0  # characters of sample 0 already streamed (with --stop)
        self.stream = output is None and n == 1
        self.hold = len(stop) - 1 if stop else 0
        self.pending: list[str] = []  # streamed text not yet flushed
        self.last_flush: float | None = None

    def begin(self, seed: str) -> None:
        self.seed = seed
        if self.stream:
            write_out(seed)

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
        if self.last_flush is None or now - self.last_flush >= self.FLUSH_S:
            write_out("".join(self.pending))
            self.pending.clear()
            self.last_flush = now

    def finish(self) -> None:
        texts = self.texts if self.stop else ["".join(p) for p in self.pieces]
        if self.stream:
            rest = "".join(self.pending) + (texts[0][self.written:] if self.stop else "")
            ends = (self.seed + texts[0]).endswith("\n")
            write_out(rest + ("" if ends else "\n"))
            return
        parts = []
        for i, text in enumerate(texts):
            if self.n > 1:
                parts.append(f"{'' if i == 0 else chr(10)}----- sample {i + 1} of {self.n} -----\n")
            body = self.seed + text
            parts.append(body if body.endswith("\n") else body + "\n")
        result = "".join(parts)
        if self.output is None:
            write_out(result)
        else:
            from gen.checkpoint import atomic_write

            atomic_write(self.output, lambda f: f.write(result.encode()))
