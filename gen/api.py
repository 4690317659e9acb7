"""The Python API: load a trained run, sample from it, score text, train a new one.

    >>> import gen
    >>> m = gen.load("shakespeare")                       # a bundled model, or a run folder
    >>> print(m.sample(seed="ROMEO:", length=200, rng_seed=1)[0])
    >>> for piece in m.stream(seed="JULIET:", length=200):
    ...     print(piece, end="", flush=True)
    >>> m.score("To be, or not to be, that is the question.")   # nats per character
    >>> run = gen.train("my.txt", minutes=1)             # a Path to the new run folder

Everything goes through the code `gen sample`, `gen eval`, `gen info` and `gen train` use, so a
sample equals what `gen sample --rng-seed N` prints for the same options, and a mistake raises
`gen.GenError` with the one-line message the command line prints. torch is imported on the
first `load` or `train`, never by ``import gen``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Iterator

from gen.errors import GenError

# Music options `sample` and `stream` accept as keywords, as `gen sample` has them.
MUSIC_OPTIONS = ("key", "meter", "sections", "bars", "bpm", "instrument", "free")


class Model:
    """A trained run, loaded and ready to sample. Made by `gen.load`.

    Attributes: ``run`` (the run folder, a Path), ``kind`` ("text", "abc" or "notes"),
    ``info`` (a dict: what `gen info --json` prints)."""

    def __init__(self, loaded):
        self._loaded = loaded
        self.run: Path = loaded.run
        self.kind: str = loaded.meta["corpus"]["kind"]

    def __repr__(self) -> str:
        return f"<gen.Model {self.kind} run {str(self.run)!r}>"

    @property
    def info(self) -> dict:
        """What `gen info --json` prints for this run: model, vocabulary, training, best loss."""
        from gen.commands.inspect import describe

        return describe(self.run)

    def sample(self, seed: str | None = None, length: int | None = None,
               temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
               num_samples: int = 1, rng_seed: int | None = None, stop: str | None = None,
               precision: str = "auto", **music) -> list[str]:
        """Generate ``num_samples`` samples and return them as a list of strings.

        Text runs: each string is the seed followed by ``length`` generated tokens (default
        500), cut where ``stop`` first appears; exactly the text `gen sample --rng-seed N`
        prints with the same options. ABC runs: one whole tune (ABC text) per string. Note-level
        runs: each piece's event text, as `gen sample` prints it.

        ``temperature`` below 1 is safer, above 1 wilder; ``top_k``/``top_p`` sample only among
        the most likely tokens; the same ``rng_seed`` gives the same samples. Music runs take
        `gen sample`'s music options as keywords: ``key="D"``, ``bars=16``, ``free=True``...

            >>> m = gen.load("shakespeare")
            >>> m.sample(seed="ROMEO:", length=100, temperature=0.8, rng_seed=1)
            ['ROMEO:\\n...']
            >>> tunes = gen.load("irish-abc").sample(num_samples=2, key="D", rng_seed=3)
        """
        loaded, req = self._request(seed, length, temperature, top_k, top_p, num_samples,
                                    rng_seed, stop, precision, music)
        from gen import samplers

        if self.kind == "text":
            return samplers.text_samples(loaded, req)
        return samplers.music_samples(loaded, req)

    def stream(self, seed: str | None = None, length: int | None = None,
               temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
               rng_seed: int | None = None, stop: str | None = None, precision: str = "auto",
               **music) -> Iterator[str]:
        """Yield one sample in pieces as it is generated (the seed first, then new text); the
        pieces join to what `sample` returns for the same options. Music runs yield each tune
        whole once it is finished. Options as for `sample`.

            >>> for piece in gen.load("shakespeare").stream(seed="KING:", length=300):
            ...     print(piece, end="", flush=True)
        """
        loaded, req = self._request(seed, length, temperature, top_k, top_p, 1, rng_seed, stop,
                                    precision, music)
        from gen import samplers

        if self.kind == "text":
            # Seed errors surface here, at the call, not at the first next().
            return samplers.text_stream(loaded, req)
        return iter(samplers.music_samples(loaded, req))

    def score(self, text: str, context: int | None = None) -> float:
        """How well the model predicts ``text``: mean loss in nats per token, as `gen eval`
        reports it for a file holding ``text``. ``context``: score each token from at most that
        many tokens before it (`gen eval --context`).

            >>> gen.load("shakespeare").score("To be, or not to be: that is the question.")
            1.9...
        """
        from gen.commands.inspect import score_tokens

        if not isinstance(text, str):
            raise GenError("score() takes the text to score as a string")
        nats, _, _ = score_tokens(self._loaded, _tokens_of(self._loaded, text), context)
        return nats

    def _request(self, seed, length, temperature, top_k, top_p, num_samples, rng_seed, stop,
                 precision, music):
        from gen.commands.sample import SampleRequest, new_rng_seed, validate

        unknown = sorted(set(music) - set(MUSIC_OPTIONS))
        if unknown:
            raise GenError(f"unknown option{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(unknown)}; sample() takes seed, length, temperature, "
                           f"top_k, top_p, num_samples, rng_seed, stop, precision and, for music "
                           f"runs, {', '.join(MUSIC_OPTIONS)}")
        if self.kind == "text" and any(v not in (None, False) for v in music.values()):
            raise GenError(f"{', '.join(k for k, v in music.items() if v not in (None, False))} "
                           "applies to music runs only; this run is text")
        if seed is not None and not isinstance(seed, str):
            raise GenError("seed must be a string")
        bars = music.get("bars")
        if bars is not None and bars < 1:
            raise GenError("--bars must be at least 1")
        req = SampleRequest(checkpoint=self.run, seed=seed, seed_file=None, length=length,
                            bars=bars, temperature=temperature, top_k=top_k, top_p=top_p,
                            num_samples=num_samples, stop=stop, rng_seed=rng_seed, output=None,
                            device="cpu", quiet=True,
                            music={k: music.get(k) for k in MUSIC_OPTIONS if k != "bars"}
                            | {"free": bool(music.get("free"))},
                            precision=precision)
        validate(req)
        if req.rng_seed is None:
            req.rng_seed = new_rng_seed()
        return self._loaded, req


def _tokens_of(loaded, text: str) -> list[str]:
    """``text`` as the run's tokens, read as `gen eval` reads a file of that kind."""
    corpus = loaded.meta["corpus"]
    if corpus["kind"] == "text":
        from gen.tokenize import split_text

        return split_text(text, loaded.vocab.level)
    import tempfile

    from gen.corpus import load_corpus

    suffix = ".abc" if corpus["kind"] == "abc" else ".txt"
    with tempfile.TemporaryDirectory(prefix="gen-score-") as tmp:
        path = Path(tmp) / f"text{suffix}"
        path.write_text(text)
        return load_corpus(str(path), corpus["kind"], corpus["level"],
                           **corpus.get("options", {})).tokens


def load(run: str | Path | None = None, device: str = "cpu") -> Model:
    """Load a trained model to sample from or score with.

    ``run``: a run folder (what `gen train` wrote, e.g. ``"checkpoints/tinyshakespeare"``), or
    the name of a model that comes with gen: ``"shakespeare"`` (characters) or ``"irish-abc"``
    (Irish tunes in ABC). None: the newest run under ./checkpoints/ that you trained, else the
    bundled ``"shakespeare"`` (what `gen sample` picks without -c). ``device``: "cpu" (fine for
    sampling; a run trained on a GPU loads here too), "cuda" or "mps".

        >>> import gen
        >>> m = gen.load("shakespeare")
        >>> m.kind, m.info["parameters"]
        ('text', ...)
        >>> print(m.sample(seed="ROMEO:", length=200, rng_seed=1)[0])

    Raises `gen.GenError` for a folder that is not a run, or a corrupt or unsafe file.
    """
    from gen import checkpoint as ckpt

    if device not in ("cpu", "cuda", "mps") and not str(device).startswith("cuda:"):
        raise GenError(f"unknown device {device!r}; choose cpu, cuda or mps")
    return Model(ckpt.load_model(ckpt.resolve_run(run), device=device))


def _train_options() -> dict:
    """`gen train`'s options and their defaults, read from the command itself (one source)."""
    from gen.cli import train as command

    out = {}
    for name, p in inspect.signature(command).parameters.items():
        default = p.default
        out[name] = getattr(default, "default", default)  # typer's OptionInfo holds the default
    return out


def train(corpus: str | Path, out: str | Path | None = None, *, minutes: float | None = None,
          steps: int | None = None, epochs: float | None = None, quiet: bool = True,
          **options) -> Path:
    """Train a model on ``corpus`` and return its run folder (a Path), as `gen train` does.

    ``corpus``: a text file, an .abc file, a folder of files, or ``"music21:NAME"``. ``out``:
    the run folder (default checkpoints/<corpus name>; an existing run is never overwritten,
    a -2, -3... folder is taken instead). Give one budget: ``minutes``, ``steps`` or
    ``epochs`` (default 5 minutes). ``quiet=False`` shows progress on stderr. Every other
    `gen train` option is a keyword with ``_`` for ``-``: ``hidden=256``, ``cell="gru"``,
    ``seq_len=128``, ``resume=...``; an unknown name raises `gen.GenError` listing them.

        >>> run = gen.train("corpora/tinyshakespeare.txt", minutes=1, hidden=256)
        >>> gen.load(run).sample(length=100)
    """
    defaults = _train_options()
    fixed = ("corpus", "out", "minutes", "steps", "epochs", "quiet")
    unknown = sorted(set(options) - set(defaults))
    if unknown or set(options) & set(fixed):
        names = ", ".join(n for n in defaults if n not in fixed)
        bad = ", ".join(unknown or sorted(set(options) & set(fixed)))
        raise GenError(f"unknown train option {bad}; train() takes corpus, out, minutes, steps, "
                       f"epochs, quiet and {names}")
    args = {**defaults, **options, "corpus": str(corpus) if corpus is not None else None,
            "out": None if out is None else Path(out), "minutes": minutes, "steps": steps,
            "epochs": epochs, "quiet": quiet}
    for name in ("resume", "init_from"):
        if args.get(name) is not None:
            args[name] = Path(args[name])
    from gen.cli import train as command

    return Path(command(**args))
