"""`gen sample`: load a run, prime it with the seed, stream samples to stdout or write a file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from gen.console import log
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

    run_dir = ckpt.resolve_run(req.checkpoint)
    if req.checkpoint is None and ckpt.is_bundled(run_dir) and not req.quiet:
        log(f"no run of your own under {ckpt.DEFAULT_ROOT}/ yet: sampling the bundled model "
            f"{run_dir.name!r} (train one with `gen train CORPUS`)")
    loaded = ckpt.load_model(run_dir, device="cpu")
    drawn = req.rng_seed is None and not req.quiet
    if req.rng_seed is None:
        req.rng_seed = new_rng_seed()
    # The drawn seed is told once the sample is out (or cut short by a closed pipe or Ctrl-C),
    # so a bad seed text or option gets its one error line and nothing else.
    try:
        _sample(loaded, req)
    except GenError:
        drawn = False  # its one line says it all
        raise
    finally:
        if drawn:
            log(f"rng seed {req.rng_seed} (pass --rng-seed {req.rng_seed} to repeat this sample)")


def _sample(loaded, req: SampleRequest) -> None:
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


def new_rng_seed() -> int:
    """A seed for a sample the user did not seed: printed (CLI) so the sample can be repeated."""
    return secrets.randbelow(2**31)


def sample_text(loaded, req: SampleRequest) -> None:
    """Text runs: the one sample streams to stdout as it is generated; several, or ``-o``,
    are written once the batch is done."""
    from gen.samplers import TextSink, text_steps

    shown, steps = text_steps(loaded, req)
    out = TextSink(req.output, req.num_samples, req.stop)
    out.begin(shown)
    try:
        for pieces in steps:
            if out.add(pieces):
                break
    finally:
        steps.close()
    out.finish()
    if req.output is not None and not req.quiet:
        log(f"wrote {req.num_samples} sample{'s' if req.num_samples > 1 else ''} to {req.output}")
