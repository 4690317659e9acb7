"""The training display: a rich progress bar on stderr fed by the trainer's callbacks."""

from __future__ import annotations

import math
import time

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from gen.console import err
from gen.evaluate import bits


class TrainDisplay:
    """Context manager whose ``on_step``/``on_eval`` methods are the trainer's callbacks."""

    def __init__(self, quiet: bool = False, unit: str = "char"):
        self.quiet, self.unit = quiet, unit
        self.val = "—"
        self._last = 0.0
        self.progress = Progress(
            TextColumn("[bold]train"), BarColumn(), TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=err, redirect_stdout=False, redirect_stderr=False, disable=quiet,
            transient=False)
        self.task = self.progress.add_task("train", total=1000, info="")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def on_step(self, info: dict) -> None:
        now = time.monotonic()
        if now - self._last < 0.2:  # redrawing every step would cost more than the step
            return
        self._last = now
        total = info["total_steps"]
        step = f"{info['step']}/{total}" if total else f"{info['step']}"
        rate = info["tokens"] / max(info["elapsed"], 1e-9)
        text = (f"step {step}  loss {info['loss']:.3f}  val {self.val}  "
                f"{rate / 1000:.1f}k tok/s")
        self.progress.update(self.task, completed=min(info["progress"], 1.0) * 1000, info=text)

    def on_eval(self, row: dict) -> None:
        v = row["val_loss"]
        if v is not None and not math.isnan(v):
            self.val = f"{v:.3f}"
            if not self.quiet:
                mark = " (best)" if row["best"] else ""
                self.progress.console.print(
                    f"step {row['step']:>6}  train {row['train_loss']:.4f}  val {v:.4f} nats "
                    f"= {bits(v):.4f} bits/{self.unit}  {row['tokens_per_sec'] / 1000:.1f}k tok/s"
                    f"  {row['elapsed']:.0f}s{mark}")
