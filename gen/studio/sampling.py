"""Sampling for the studio: validate a request, build the equivalent `gen sample` command line, and
produce the sample — text as a stream of token pieces, music as whole tunes through the functions
behind `gen sample` (so the command line the page shows gives the same output).

The stream is a sequence of JSON-able events: ``start`` (rng seed, command line, seed shown),
``tokens`` (one piece per sample), ``tunes`` (music: ABC or note tokens per tune), ``done``.
"""

from __future__ import annotations

import secrets
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gen.errors import GenError

MAX_LENGTH = 5000      # tokens per sample and request: one tab cannot keep the CPU for long
MAX_SAMPLES = 50       # samples per request (a batch of 50 tunes is one model pass per step)
MAX_SEED = 2000        # characters of seed


@dataclass
class Options:
    seed: str
    temperature: float
    top_k: int | None
    top_p: float | None
    length: int | None
    num_samples: int
    rng_seed: int
    meter: str | None = None     # ABC runs: tunes on request (as `gen sample --meter` ...)
    key: str | None = None
    sections: int | None = None
    bars: int | None = None      # bars per section

    @property
    def request(self) -> bool:
        return any(v is not None for v in (self.meter, self.key, self.sections, self.bars))


def _number(body: dict, key: str, kind, default):
    value = body.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise GenError(f"{key} must be a number")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise GenError(f"{key} must be {'a whole number' if kind is int else 'a number'}, "
                       f"not {value!r}") from None
    if kind is int and isinstance(value, float) and value != number:
        raise GenError(f"{key} must be a whole number, not {value!r}")
    return number


def parse_options(body: dict) -> Options:
    """Options from a request body, with the same limits as `gen sample` plus per-request caps."""
    seed = body.get("seed") or ""
    if not isinstance(seed, str):
        raise GenError("seed must be text")
    if len(seed) > MAX_SEED:
        raise GenError(f"seed is {len(seed)} characters; the studio takes at most {MAX_SEED}")
    temperature = _number(body, "temperature", float, 0.8)
    top_k = _number(body, "top_k", int, None)
    top_p = _number(body, "top_p", float, None)
    length = _number(body, "length", int, None)
    num = _number(body, "num_samples", int, 1)
    rng = _number(body, "rng_seed", int, None)
    if not 0 < temperature <= 10:
        raise GenError("temperature must be above 0 and at most 10")
    if top_k is not None and top_k < 1:
        raise GenError("top_k must be at least 1")
    if top_p is not None and not 0 < top_p <= 1:
        raise GenError("top_p must be in (0, 1]")
    if length is not None and not 1 <= length <= MAX_LENGTH:
        raise GenError(f"length must be between 1 and {MAX_LENGTH} tokens")
    if not 1 <= num <= MAX_SAMPLES:
        raise GenError(f"num_samples must be between 1 and {MAX_SAMPLES}")
    if rng is None:
        rng = secrets.randbelow(2**31)
    elif not 0 <= rng < 2**63:
        raise GenError("rng_seed must be a whole number from 0")
    music = {}
    for name in ("meter", "key"):
        value = body.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 20:
            raise GenError(f"{name} must be short text such as {'6/8' if name == 'meter' else 'Ador'}")
        music[name] = value.strip()
    for name in ("sections", "bars"):
        music[name] = _number(body, name, int, None)
    return Options(seed, temperature, top_k, top_p, length, num, rng, **music)


def command_line(run_arg: str, o: Options) -> str:
    """The `gen sample` line that repeats this sample (the CLI reads \\n in a seed as a newline)."""
    parts = ["gen", "sample", "-c", run_arg]
    if o.seed:
        parts += ["--seed", o.seed.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")]
    if o.length is not None:
        parts += ["--length", str(o.length)]
    parts += ["--temperature", f"{o.temperature:g}"]
    if o.top_k is not None:
        parts += ["--top-k", str(o.top_k)]
    if o.top_p is not None:
        parts += ["--top-p", f"{o.top_p:g}"]
    if o.num_samples != 1:
        parts += ["--num-samples", str(o.num_samples)]
    parts += ["--rng-seed", str(o.rng_seed)]
    for name in ("meter", "key", "sections", "bars"):
        if getattr(o, name) is not None:
            parts += [f"--{name}", str(getattr(o, name))]
    return " ".join(shlex.quote(p) for p in parts)


def text_steps(model, o: Options):
    """Checks the seed now (so a bad seed is a 400, not a broken stream), then returns an
    iterator of lists of pieces, one per sample, per generated token."""
    from gen.sample import generate, text_seed_ids

    loaded = model.loaded
    if o.request:
        raise GenError("meter, key, sections and bars are for runs trained on ABC tunes")
    ids, _ = text_seed_ids(loaded, o.seed)
    length = o.length if o.length is not None else 500
    tokens = loaded.vocab.tokens

    def steps():
        stream = generate(loaded.model, ids, length, o.num_samples, o.temperature, o.top_k,
                          o.top_p, o.rng_seed)
        while True:
            # One lock per model, held per step: two tabs on one model interleave, both finish.
            with model.lock:
                token = next(stream, None)
            if token is None:
                return
            yield [tokens[i] for i in token.tolist()]

    return steps()


def music_samples(model, o: Options, workdir: Path) -> list[str]:
    """Whole tunes (ABC text) or pieces (note tokens, one string each) from the `gen sample`
    machinery, written to a file in ``workdir`` and read back."""
    from importlib import import_module

    from gen.commands.sample import SampleRequest

    kind = model.loaded.meta["corpus"]["kind"]
    out = workdir / ("tunes.abc" if kind == "abc" else "piece.txt")
    if o.request and kind != "abc":
        raise GenError("meter, key, sections and bars are for runs trained on ABC tunes")
    req = SampleRequest(checkpoint=None, seed=o.seed or None, seed_file=None, length=o.length,
                        bars=o.bars, temperature=o.temperature, top_k=o.top_k, top_p=o.top_p,
                        num_samples=o.num_samples, stop=None, rng_seed=o.rng_seed, output=out,
                        device="cpu", quiet=True,
                        music=dict(key=o.key, bpm=None, instrument=None, free=False, meter=o.meter,
                                   sections=o.sections))
    # The sampler `gen sample` uses for this kind of run (a Rule on the one loop, a writer).
    sampler = import_module({"abc": "gen.music.abc.sample", "notes": "gen.music.notes.sample"}[kind])
    with model.lock:
        sampler.sample(model.loaded, req)
    if kind == "abc":
        from gen.music.abc.lexer import split_tunes

        return split_tunes(out.read_text())
    from gen.music.notes.write import numbered

    return [numbered(out, i, o.num_samples).read_text() for i in range(o.num_samples)]


def new_workdir(parent: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=parent, prefix="batch-"))
