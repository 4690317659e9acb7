"""`gen train`: corpus → vocabulary → model → trainer → run folder, with progress on stderr."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from gen import budget as budgets
from gen import checkpoint as ckpt
from gen.console import err, log, warn
from gen.errors import GenError


@dataclass
class TrainRequest:
    corpus: str | None
    out: Path | None
    kind: str
    level: str | None
    encoding: str
    device: str
    resume: Path | None
    init_from: Path | None
    quiet: bool
    vocab_size: int
    model: dict          # ModelConfig fields given on the command line
    train: dict          # TrainConfig fields given on the command line
    music: dict          # options only music corpora use
    # time.perf_counter() when the command started (a --minutes budget counts from it,
    # gen.budget.command_start); None: when run() is called.
    started: float | None = None


def _claim(resume: Path | None, base: Path | None) -> Path:
    """Rank 0 locks the run folder (`gen.runfolder`) and tells the other ranks which it is; an
    error there reaches every rank, so none is left waiting."""
    from gen import distributed as dist
    from gen import runfolder

    folder, problem = None, None
    if dist.is_main():
        try:
            if resume is not None:
                runfolder.claim_existing(resume)
                folder = resume
            else:
                folder = runfolder.claim_new(base)
        except GenError as e:
            problem = str(e)
    folder, problem = dist.broadcast_object((str(folder) if folder else None, problem))
    if problem:
        raise GenError(problem)
    return Path(folder)


def _prepare(spec: str, kind: str, level: str | None, encoding: str, vocab_size: int,
             options: dict):
    """The corpus as cached ids (`gen.prepare`). Under torchrun rank 0 builds the cache entry
    and the others then map it, instead of all reading the corpus at once; an error on rank 0
    reaches every rank."""
    from gen import distributed as dist
    from gen.prepare import prepare

    def build():
        return prepare(spec, kind, level, encoding, vocab_size, **options)

    if dist.world_size() == 1:
        return build()
    corpus, problem = None, None
    if dist.is_main():
        try:
            corpus = build()
        except GenError as e:
            problem = str(e)
    problem = dist.broadcast_object(problem)
    if problem:
        raise GenError(problem)
    return corpus if corpus is not None else build()


def run(req: TrainRequest) -> Path:
    """Train as the request says; the run folder."""
    from gen import distributed as dist

    if req.started is None:
        req.started = time.perf_counter()
    try:
        run_dir = _run(req)
        dist.barrier()  # no rank leaves (closing its sockets) while another still reads from it
    except GenError:
        raise
    except Exception as e:
        if dist.is_peer_failure(e):
            raise GenError("another training process stopped or stopped answering "
                           f"({str(e).splitlines()[0][:160]}); the last checkpoint written is "
                           "intact, continue with `gen train --resume RUN`") from None
        raise
    finally:
        from gen import runfolder

        runfolder.release_all()
        dist.teardown()
    return run_dir


def _run(req: TrainRequest) -> Path:
    import torch

    from gen import distributed as dist

    from gen import tokens_cache as tc
    from gen.data import split_ids
    from gen.device import pick_device, pick_precision
    from gen.model import RNNLM, ModelConfig
    from gen.progress import TrainDisplay
    from gen.tokenize import vocab_from_json
    from gen.trainer import Trainer, TrainConfig

    device = dist.setup(pick_device(req.device))
    if not dist.is_main():
        req.quiet = True  # rank 0 alone reports
    resume_payload = None
    if req.resume is not None:
        run_dir = _claim(ckpt.resolve_run(req.resume), None)
        # A write cut off on a read-only folder could not remove its temp file; the run is ours now.
        for stale in run_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        meta = ckpt.read_meta(run_dir)
        resume_payload = ckpt.load_tensors(run_dir / ckpt.LAST)
        if dist.is_main():
            ckpt.upgrade(run_dir, meta)  # a format-1 run goes on in format 2
        cfg = TrainConfig.from_json({**meta["train"], **_budget(req.train)})
        source = req.corpus or meta["corpus"]["source"]
        vocab = vocab_from_json(meta["vocab"])
        corpus = _prepare(source, meta["corpus"]["kind"], meta["corpus"]["level"], req.encoding,
                          len(vocab), meta["corpus"].get("options", {}))
        _check_known(vocab, corpus.vocab)
        model_cfg = ModelConfig.from_json(meta["model"])
    else:
        if req.corpus is None:
            raise GenError("name a corpus to train on (a text file, .abc, a folder or music21:NAME)")
        corpus = _prepare(req.corpus, req.kind, req.level, req.encoding, req.vocab_size, req.music)
        music = corpus.kind != "text"
        # Text: weight decay 0.3 and a weight average beat 0.01 without by 0.018-0.019 nats on
        # two seeds (README "Figures"); music keeps 0.01 and no average, where its figures were
        # made.
        if req.train.get("weight_decay") is None:
            req.train["weight_decay"] = 0.01 if music else 0.3
        # With --minutes, the budget chooses the shape and schedule the user left unset
        # (gen/budget.py); otherwise, and for what it leaves, gen's fixed defaults.
        choice = budgets.fill(corpus.kind, corpus.level, req.train.get("minutes"), req.model,
                             req.train, given_budget=req.train.get("minutes") is not None)
        # Music collections are small (irish.abc: ~150k tokens), so a few minutes are dozens of
        # epochs: regularise. Text trains without dropout: with weight decay and the weight
        # average regularising, dropout 0.1 costs more in steps (it slows a step by about a
        # tenth on this CPU) than it gains in 5 minutes; a 15-minute budget's row sets it (15
        # minutes are ~20 passes over tinyshakespeare, which overfit without it).
        if req.model.get("dropout") is None:
            req.model["dropout"] = 0.3 if music else 0.0
        cfg = TrainConfig(**req.train)
        if cfg.steps is None and cfg.epochs is None and cfg.minutes is None:
            cfg.minutes = 5.0
        if choice is not None:
            cfg.budget_choice = choice.to_json()
            if not req.quiet and dist.is_main():
                log(budgets.describe(choice, req.model, req.train))
        vocab = corpus.vocab
        init = None
        if req.init_from is not None:
            init = ckpt.load_model(ckpt.resolve_run(req.init_from))
            vocab = _grow_vocab(init.vocab, vocab)
        model_cfg = ModelConfig.from_json({**(init.meta["model"] if init else req.model),
                                           "vocab_size": len(vocab)})
        run_dir = _claim(None, req.out or ckpt.DEFAULT_ROOT / corpus.name)
        meta = ckpt.new_meta(model_cfg.to_json(), vocab.to_json(),
                             {"name": corpus.name, "kind": corpus.kind, "level": corpus.level,
                              "source": corpus.source, "stats": corpus.stats,
                              "options": corpus.stats.get("options", {})}, {})
    cfg.precision = pick_precision(cfg.precision, device)
    meta["train"] = cfg.to_json()
    meta["device"] = str(device)
    meta["world_size"] = dist.world_size()

    # The corpus's ids in this run's vocabulary: the cached entry itself, or (a resumed or grown
    # vocabulary) a cached re-mapping of it. A read-only memory map: windows read slices.
    ids = tc.remap(corpus.entry, vocab.tokens, vocab.unk).ids
    train_ids, val_ids = split_ids(ids, cfg.val_frac)
    if "warmup" not in meta:
        from gen.corpus import warmup_tokens

        n = len(train_ids)
        meta["warmup"] = warmup_tokens(corpus.tokens(n - 4096, n))
    torch.manual_seed(cfg.rng_seed)
    model = RNNLM(model_cfg)
    if resume_payload is None and req.init_from is not None:
        _load_grown(model, init.model, len(init.vocab))
    model.to(device)

    trainer = Trainer(model, train_ids, val_ids, cfg, run_dir, meta, device)
    w = trainer.windows
    if (w.batch_size != cfg.batch_size or w.seq_len != cfg.seq_len) and dist.is_main():
        warn(f"the training text is short ({len(train_ids)} tokens): using {w.batch_size} streams "
             f"of windows of {w.seq_len} instead of --batch-size {cfg.batch_size} --seq-len "
             f"{cfg.seq_len}")
    if resume_payload is not None:
        trainer.restore(resume_payload)
        if dist.is_main():
            log(f"resuming {run_dir} at step {trainer.state.step}")
    budget = (f"{cfg.steps} steps" if cfg.steps is not None else
              f"{cfg.epochs} epochs" if cfg.epochs is not None else f"{cfg.minutes:g} minutes")
    if not req.quiet:
        evals = min(len(val_ids), cfg.eval_tokens or len(val_ids))
        log(f"corpus {corpus.source}: {corpus.kind}, {len(ids):,} {corpus.level} tokens, "
            f"vocabulary {len(vocab)}; train {len(train_ids):,} / validation {len(val_ids):,}"
            + (f" (evaluations score the first {evals:,})" if evals < len(val_ids) else "")
            + (f"; tokens from the cache" if corpus.entry.hit else
               f"; prepared in {corpus.seconds:.1f}s"))
        log(f"model {model_cfg.cell} {model_cfg.layers}x{model_cfg.hidden}"
            f"{' one-hot' if model_cfg.one_hot else f' embed {model_cfg.embed_dim}'}, "
            f"{model.num_params():,} parameters, {device} {cfg.precision}; budget {budget}; "
            f"run folder {run_dir}" + (f"; {dist.world_size()} processes"
                                        if dist.world_size() > 1 else ""))
    if dist.is_main():
        ckpt.write_json(run_dir / ckpt.META, meta)
    if cfg.steps is None and cfg.epochs is None:
        # The user's minutes are wall time from the command's start: what start-up took counts.
        trainer.startup_s = time.perf_counter() - req.started
        trainer.state.elapsed += trainer.startup_s
    t0 = time.perf_counter()
    with TrainDisplay(req.quiet, unit=corpus.level) as display:
        trainer.on_step, trainer.on_eval = display.on_step, display.on_eval
        state = _fit(trainer, run_dir)
    if dist.is_main():
        meta["timings"] = {**trainer.timings(), "total_s": round(time.perf_counter() - req.started, 2)}
        ckpt.write_json(run_dir / ckpt.META, meta)
    if state.stopped.startswith("the loss became"):
        raise GenError(f"{state.stopped}. Stopped; best checkpoint kept in {run_dir}")
    if state.stopped and dist.is_main():
        warn(state.stopped)
    best = state.best_val
    if not req.quiet:
        from gen.evaluate import bits

        shown = f"{best:.4f} nats = {bits(best):.4f} bits per {corpus.level}" if math.isfinite(best) \
            else "n/a (no validation split)"
        log(f"done: {state.step} steps, {state.tokens:,} tokens in {time.perf_counter() - t0:.0f}s; "
            f"best validation {shown}; saved {run_dir}")
    return run_dir


def _fit(trainer, run_dir: Path):
    """trainer.fit(), with a stop on a signal or a failed write as one line (gen/stopping.py)."""
    import signal

    from gen import distributed as dist
    from gen.errors import Stopped, WriteError
    from gen.stopping import describe

    step = lambda: trainer.state.step  # noqa: E731
    resume = f"continue with `gen train --resume {run_dir}`"
    try:
        state = trainer.fit()
    except KeyboardInterrupt:  # a second signal, or no handler (not the main thread)
        signum = trainer.stop.signum or signal.SIGINT
        saved = "the last state written is kept" if trainer.stop.signum or \
            dist.world_size() > 1 else "state saved"
        raise Stopped(f"{describe(signum)} at step {step()}; {saved}, {resume}"
                      if dist.is_main() else "", signum) from None
    except WriteError as e:
        if not run_dir.is_dir():  # removed under the run: say that, not the file it hit
            e = WriteError(e.path, "its run folder was deleted")
        hint = f"; {resume} once it can be written" if (run_dir / ckpt.LAST).exists() else ""
        raise GenError(f"{e}; training stopped at step {step()}{hint}") from None
    if trainer.stopped_by:
        raise Stopped(f"{state.stopped} at step {state.step}; state saved in "
                      f"{run_dir / ckpt.LAST}, {resume}" if dist.is_main() else "",
                      trainer.stopped_by)
    return state


def _budget(train: dict) -> dict:
    """On --resume, a newly given budget replaces the stored one; other options stay as trained."""
    given = {k: train[k] for k in ("steps", "epochs", "minutes") if train.get(k) is not None}
    if given:
        given = {"steps": None, "epochs": None, "minutes": None} | given
    return given


def _check_known(vocab, corpus_vocab) -> None:
    """Resuming on a corpus with tokens the run's vocabulary lacks (and no <unk>) cannot work."""
    missing = vocab.unknown(corpus_vocab.tokens) if vocab.unk is None else []
    if missing:
        from gen.tokenize.vocab import describe_unknown

        raise GenError(f"the corpus has {describe_unknown(missing)} that the model never saw; "
                       "train a new run (or fine-tune with --init-from)")


def _grow_vocab(old, new):
    """Fine-tuning vocabulary: the old one, plus the new corpus's unseen tokens at the end."""
    from gen.tokenize import Vocab

    missing = old.unknown(new.tokens)
    if missing and old.unk is not None:
        return old  # word level: unseen words map to <unk> as they always did
    if missing:
        from gen.tokenize.vocab import describe_unknown

        warn(f"adding {describe_unknown(missing)} to the vocabulary (new rows start untrained)")
    return Vocab(old.tokens + missing, old.level, old.specials)


def _load_grown(model, old_model, old_size: int) -> None:
    """Copy trained weights; rows for added tokens keep their fresh initialisation."""
    import torch

    new_state = model.state_dict()
    with torch.no_grad():
        for name, tensor in old_model.state_dict().items():
            target = new_state[name]
            if target.shape == tensor.shape:
                target.copy_(tensor)
            elif name in ("embed.weight", "head.weight", "head.bias"):
                target[:old_size].copy_(tensor)
            elif name.startswith("rnn.weight_ih") and model.cfg.one_hot:
                target[:, :old_size].copy_(tensor)
            else:
                raise GenError(f"--init-from: weights {name} do not fit ({tuple(tensor.shape)} vs "
                               f"{tuple(target.shape)})")
    model.load_state_dict(new_state)
