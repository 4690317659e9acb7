"""The training loop: stateful truncated BPTT with AdamW, a warm-up/decay schedule, clipping,
periodic evaluation and checkpointing. It never prints; it reports through callbacks.

Each step takes the next window of every stream (`gen.data.Windows`), starts from the hidden
state the previous window ended in (detached, so gradients stop at the window edge), and keeps
the state for the next step. A run is a pure function of its options and ``rng_seed`` when it is
bounded by ``steps`` or ``epochs``; ``--resume`` restores model, optimizer, hidden state, RNG and
step, and lands on the same loss curve as an uninterrupted run.

Under torchrun (`gen.distributed`) each rank trains its contiguous share of the B streams through
DistributedDataParallel; the checkpoint holds the hidden state of all B streams in global order,
so a run resumes on any number of processes that divides B. Rank 0 alone evaluates and writes;
it also owns the clock, so a --minutes budget stops every rank at the same step.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from gen import checkpoint as ckpt
from gen import distributed as dist
from gen.data import Windows, as_long
from gen.evaluate import autocast, mean_loss
from gen.model import RNNLM, detach_hidden
from gen.schedule import learning_rate
from gen.stopping import StepControl, describe

# A --minutes budget's estimate of the final evaluation before one was timed: scoring a token
# (forward only, long windows) costs about this share of a training step's time per token, plus
# the checkpoint writes. Measured on a 2-core CPU in bf16 (docs/figures-budget.md): 0.53 s
# for 2x256 and 1.2 s for 2x384 on tinyshakespeare's 111k validation characters, saves
# included: 0.2 of a step's time per token. The estimate errs long, so the command ends inside
# its budget.
EVAL_COST = 0.2
SAVE_S = 0.2
# ... and what is left after the final evaluation: the last writes, logs and the interpreter's
# exit with torch loaded (0.4-0.7 s measured on that CPU).
EXIT_S = 0.5


@dataclass
class TrainConfig:
    steps: int | None = None
    epochs: float | None = None
    minutes: float | None = None
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 3e-3
    schedule: str = "cosine"
    warmup: float = 0.02
    min_lr_frac: float = 0.1
    weight_decay: float = 0.01
    # Adam's second-moment decay. 0.999 is torch's default, which every run made before this
    # option existed used: a resumed old run (whose meta has no beta2) keeps it.
    beta2: float = 0.999
    clip: float = 1.0
    eval_every: int | None = 500
    patience: int | None = None
    rng_seed: int = 1337
    precision: str = "fp32"
    val_frac: float = 0.1
    # Evaluation during training scores this many tokens from the start of the validation split
    # (always the same ones, so curves compare), not all of it: its cost must not grow with the
    # corpus. None: the whole split.
    eval_tokens: int | None = 1_000_000
    # Decay of the weight average that evaluation and model.safetensors use (gen/averaging.py); 0: off.
    average: float = 0.0
    # Minutes between saves of last.pt besides the evaluations' (gen/stopping.py has the
    # signals): what a kill -9 or a power cut can lose. None or 0: only at evaluations.
    save_every: float | None = 1.0
    # What a --minutes budget chose for the options left unset, and why (gen/budget.py); kept
    # in meta.json so a resumed run shows the same.
    budget_choice: dict | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class TrainState:
    """Everything about progress that is not a tensor; stored in last.pt and meta.json."""

    step: int = 0
    tokens: int = 0
    elapsed: float = 0.0
    best_val: float = math.inf
    best_step: int = 0
    bad_evals: int = 0
    last_val: float = math.inf
    train_loss: float = math.nan
    stopped: str = ""


class Trainer:
    def __init__(self, model: RNNLM, train_ids: torch.Tensor, val_ids: torch.Tensor,
                 cfg: TrainConfig, run: Path, meta: dict, device: torch.device,
                 on_step: Callable[[dict], None] | None = None,
                 on_eval: Callable[[dict], None] | None = None):
        self.model, self.cfg, self.run, self.meta, self.device = model, cfg, run, meta, device
        self.windows = Windows(train_ids, cfg.batch_size, cfg.seq_len)
        self.val_ids = as_long(val_ids[: cfg.eval_tokens] if cfg.eval_tokens else val_ids)
        self.on_step = on_step or (lambda info: None)
        self.on_eval = on_eval or (lambda info: None)
        # Weight decay on matrices only: decaying biases and the embedding hurts small models.
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith("embed")]
        rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.startswith("embed"))]
        self.opt = _adamw([{"params": decay, "weight_decay": cfg.weight_decay},
                           {"params": rest, "weight_decay": 0.0}], cfg.lr, cfg.beta2,
                          light=cfg.precision != "fp16" and device.type in ("cpu", "cuda"))
        self.state = TrainState()
        self.hidden = None
        # Signals and the --save-every clock; their requests ride on the step's all-reduce.
        self.control = StepControl(cfg.save_every)
        self.stop = self.control.signals  # installed while fit() runs
        self.stopped_by = 0               # the signal fit() stopped on, if any
        self._flags: list[float] = []
        self._agreed_reserve: float | None = None  # rank 0's reserve under torchrun (_clock)
        self._agreed: list[float] = []
        self.streams = dist.my_streams(self.windows.batch_size)
        self.net = model  # what the step runs: the model, or its DDP wrapper across ranks
        if dist.world_size() > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
            torch.manual_seed(cfg.rng_seed + dist.rank())  # own dropout masks per rank
        # fp16 needs loss scaling against underflow; bf16 has fp32's range and does not.
        self.scaler = _grad_scaler() if cfg.precision == "fp16" else None
        self.average = None
        if cfg.average:
            from gen.averaging import WeightAverage

            self.average = WeightAverage(model.parameters(), cfg.average)
        # Where the time goes (meta.json "timings", benchmarks/first_minute.py). startup_s: the
        # seconds before fit() that a --minutes budget counts (set by the caller).
        self.startup_s = 0.0
        self.eval_s, self.evals, self.last_eval_s = 0.0, 0, 0.0

    # -- schedule -------------------------------------------------------------------------------
    def total_steps(self) -> int | None:
        if self.cfg.steps is not None:
            return self.cfg.steps
        if self.cfg.epochs is not None:
            return max(1, round(self.cfg.epochs * self.windows.per_epoch))
        return None

    def progress(self) -> float:
        total = self.total_steps()
        if total is not None:
            return self.state.step / total
        # The share of the budget's time for steps used so far: the time before the first step
        # (start-up) and a reserve for the final evaluation count against the budget, not the
        # schedule, which then runs its warm-up and decay over the steps alone.
        budget = self.cfg.minutes * 60 - self.startup_s
        return (self.state.elapsed - self.startup_s) / max(1e-9, budget - self._reserve())

    def _reserve(self) -> float:
        """Seconds a --minutes budget keeps for the final evaluation and its writes (as long as
        the last evaluation took, or before any an estimate from the speed of the steps) and
        for the process's exit. Under torchrun, rank 0's figure (set by `_clock`)."""
        if self._agreed_reserve is not None:
            return self._agreed_reserve
        return self._own_reserve()

    def _own_reserve(self) -> float:
        if self.last_eval_s:
            return self.last_eval_s + EXIT_S
        steps_s = self.state.elapsed - self.startup_s - self.eval_s
        if not self.state.tokens or steps_s <= 0:
            return EXIT_S
        return EVAL_COST * len(self.val_ids) * steps_s / self.state.tokens + SAVE_S + EXIT_S

    def done(self) -> bool:
        return self.progress() >= 1.0

    # -- resume ---------------------------------------------------------------------------------
    def restore(self, payload: dict) -> None:
        self.model.load_state_dict(payload["model"])
        self.opt.load_state_dict(payload["optimizer"])
        known = {f.name for f in fields(TrainState)}
        self.state = TrainState(**{k: v for k, v in payload["state"].items() if k in known})
        hidden = payload.get("hidden")
        # Stored for all B streams in global order; this rank keeps its own block of them.
        cut = self.streams
        if isinstance(hidden, (list, tuple)):
            hidden = tuple(h[:, cut].contiguous().to(self.device) for h in hidden)
        elif hidden is not None:
            hidden = hidden[:, cut].contiguous().to(self.device)
        self.hidden = hidden
        if hidden is not None:
            got = (hidden[0] if isinstance(hidden, tuple) else hidden).size(1)
            want = cut.stop - cut.start
            if got != want:
                from gen.errors import GenError

                raise GenError(f"the checkpoint holds the state of {got * dist.world_size()} "
                               f"streams, this run trains {self.windows.batch_size}")
        if self.average is not None and "average" in payload:
            self.average.load(payload["average"])
        if "rng" in payload and dist.world_size() == 1:
            torch.set_rng_state(payload["rng"])
        elif dist.world_size() > 1:
            torch.manual_seed(self.cfg.rng_seed + 7919 * self.state.step + dist.rank())

    def _payload(self) -> dict:
        # Kept in its own dtype (bf16 under autocast) so a resumed run continues bit for bit.
        # A collective: every rank must call it. Gathered in fp32 (every backend has it), then
        # back to the state's own dtype, which loses nothing.
        h = self.hidden
        if isinstance(h, tuple):
            h = [dist.gather_streams(t.float()).to(t.dtype).cpu() for t in h]
        elif h is not None:
            h = dist.gather_streams(h.float()).to(h.dtype).cpu()
        payload = {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                   "state": asdict(self.state), "hidden": h, "rng": torch.get_rng_state()}
        if self.average is not None:
            payload["average"] = self.average.state()
        return payload

    def save_last(self) -> None:
        payload = self._payload()  # every rank takes part (the streams' hidden states)
        if dist.is_main():
            ckpt.save_tensors(self.run / ckpt.LAST, payload)
            self.meta["summary"] = self.summary()
            ckpt.write_json(self.run / ckpt.META, self.meta)
        self.control.saved()  # the --save-every clock restarts once the file is written

    def summary(self) -> dict:
        s = asdict(self.state)
        s["best_val"] = None if math.isinf(s["best_val"]) else s["best_val"]
        s["last_val"] = None if math.isinf(s["last_val"]) else s["last_val"]
        return s

    # -- the loop -------------------------------------------------------------------------------
    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        with autocast(self.cfg.precision, self.device):
            logits, hidden = self.net(x, self.hidden)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))
        # The mean over all ranks: every rank then takes the same decision below (one skipping
        # backward alone would leave the others waiting in DDP's gradient all-reduce).
        # The stop and save requests ride along (gen/stopping.py): no collective of their own.
        value, *self._agreed = dist.sum_floats([loss.item(), *self._flags], self.device)
        value /= dist.world_size()
        if not math.isfinite(value):
            return value  # leave the weights as they were: last.pt must stay usable
        self.opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.opt)
        else:
            loss.backward()
        if self.cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
        if self.scaler is not None:
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            self.opt.step()
        if self.average is not None:
            self.average.update()
        self.hidden = detach_hidden(hidden)
        return value

    def evaluate(self) -> dict:
        t0 = time.perf_counter()
        try:
            return self._evaluate()
        finally:
            self.last_eval_s = time.perf_counter() - t0
            self.eval_s += self.last_eval_s
            self.evals += 1

    def timings(self) -> dict:
        """Seconds before the first step, in steps (with any periodic saves), in evaluations
        (with their saves; the final one apart)."""
        evals_during = self.eval_s - self.last_eval_s
        return {"startup_s": round(self.startup_s, 2),
                "steps_s": round(self.state.elapsed - self.startup_s - evals_during, 2),
                "evals": self.evals, "eval_s": round(self.eval_s, 2),
                "final_eval_s": round(self.last_eval_s, 2)}

    def _evaluate(self) -> dict:
        if not dist.is_main():
            # Rank 0 scores and writes; the others hand over their streams' state and wait for
            # its verdict (best loss, patience), which every rank needs to stop at the same step.
            self._payload()
            for k, v in dist.broadcast_object(None).items():
                setattr(self.state, k, v)  # in place: fit() holds this object
            return {}
        st = self.state
        # Scored and saved as model.safetensors: the weight average where there is one, else the weights.
        with self.average.applied() if self.average is not None else nullcontext():
            val, _ = mean_loss(self.model, self.val_ids, self.cfg.precision) \
                if len(self.val_ids) > 1 else (math.nan, 0)
            st.last_val = val
            improved = not math.isnan(val) and val < st.best_val
            if improved:
                st.best_val, st.best_step, st.bad_evals = val, st.step, 0
                ckpt.save_weights(self.run / ckpt.MODEL, self.model.state_dict(), st.step, val)
            elif not math.isnan(val):
                st.bad_evals += 1
            if math.isnan(val) and st.step > 0:
                # No validation split: the latest weights are the best we know of.
                ckpt.save_weights(self.run / ckpt.MODEL, self.model.state_dict(), st.step, None)
        self.save_last()
        row = {"step": st.step, "tokens": st.tokens, "train_loss": st.train_loss,
               "val_loss": None if math.isnan(val) else val,
               "tokens_per_sec": st.tokens / max(st.elapsed, 1e-9), "elapsed": st.elapsed,
               "lr": self.opt.param_groups[0]["lr"], "best": improved}
        ckpt.append_metrics(self.run, row)
        self.on_eval(row)
        dist.broadcast_object(asdict(st))
        return row

    def _clock(self, start: float) -> None:
        self.state.elapsed = time.perf_counter() - start
        if self.total_steps() is None and dist.world_size() > 1:
            # A time budget: rank 0's clock decides, so every rank stops at the same step. Its
            # start-up time and evaluation reserve too: each rank measures its own, and ranks that
            # disagreed on done() would leave one waiting in a collective (a gloo timeout).
            mine = [self.state.elapsed, self.startup_s, self._own_reserve()]
            self.state.elapsed, self.startup_s, self._agreed_reserve = dist.sum_floats(
                mine if dist.is_main() else [0.0] * 3, self.device)

    def fit(self) -> TrainState:
        """Train until the budget is spent, patience runs out, or a signal (Ctrl-C, SIGTERM,
        SIGHUP: gen/stopping.py) asks to stop; always saves last.pt."""
        with self.stop:
            return self._fit()

    def _fit(self) -> TrainState:
        cfg, st, model = self.cfg, self.state, self.model
        model.train()
        per_step = self.windows.batch_size * self.windows.seq_len
        smooth = None
        start = time.perf_counter() - st.elapsed
        self.control.saved()
        self._clock(start)  # agreed before the first step's learning rate and done()
        try:
            while not self.done():
                x, y, new_epoch = self.windows.window(st.step)
                x, y = x[:, self.streams], y[:, self.streams]  # this rank's share of the streams
                if new_epoch:
                    self.hidden = None  # each epoch starts the streams afresh, as in word_language_model
                lr = learning_rate(cfg.schedule, cfg.lr, self.progress(),
                                   st.step / self.windows.per_epoch, cfg.warmup, cfg.min_lr_frac)
                for g in self.opt.param_groups:
                    g["lr"] = lr
                self._flags = self.control.requests(dist.is_main())
                loss = self.train_step(x.to(self.device), y.to(self.device))
                if not math.isfinite(loss):
                    st.stopped = (f"the loss became {loss} at step {st.step + 1}; "
                                  "try a lower --lr or --clip")
                    self.hidden = None
                    break
                st.step += 1
                st.tokens += per_step
                self._clock(start)
                smooth = loss if smooth is None else 0.98 * smooth + 0.02 * loss
                st.train_loss = smooth
                self.on_step({"step": st.step, "loss": smooth, "lr": lr, "elapsed": st.elapsed,
                              "tokens": st.tokens, "progress": self.progress(),
                              "total_steps": self.total_steps()})
                signum, save_due = self.control.decide(
                    None if dist.world_size() == 1 else self._agreed, dist.is_main())
                if signum:
                    self.stopped_by, st.stopped = signum, describe(signum)
                    break
                if st.step % cfg.eval_every == 0 and not self.done():
                    self.evaluate()
                    self._clock(start)
                    if cfg.patience is not None and st.bad_evals >= cfg.patience:
                        st.stopped = (f"early stop: no better validation loss in {cfg.patience} "
                                      "evaluations")
                        break
                elif save_due:
                    self.save_last()
        except KeyboardInterrupt:
            # Raised by a second signal (stop now: the last written state stands), or by code
            # that raises it directly (no handler: not the main thread).
            st.stopped = "interrupted"
            st.elapsed = time.perf_counter() - start
            if dist.world_size() == 1 and not self.stop.signum:
                self.save_last()
            raise
        if self.stopped_by:
            st.elapsed = time.perf_counter() - start
            self.save_last()  # every rank agreed on this step; rank 0 writes
            return st
        if st.stopped.startswith("the loss became"):
            self.save_last()  # weights from before the blow-up; model.safetensors is untouched
            return st
        self.evaluate()
        return st


def _adamw(groups: list[dict], lr: float, beta2: float = 0.999, light: bool = False):
    """AdamW with the fused kernel: on a CPU torch's default is a Python loop over the
    parameters, 3.6 ms a step for the 2x256 model against 0.27 ms fused (about a tenth of a
    training step). torch before 2.4 has no fused CPU kernel: the default then. ``light``: the
    same kernel without torch.optim (gen/optim.py), which saves a second of start-up; not where
    a gradient scaler needs torch's optimizer."""
    from gen import optim

    if light and optim.available():
        return optim.FusedAdamW(groups, lr, (0.9, beta2))
    try:
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2), fused=True)
    except (RuntimeError, ValueError, TypeError):
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2))


def _grad_scaler():
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        return amp.GradScaler("cuda")
    return torch.cuda.amp.GradScaler()  # torch < 2.3
