"""Stopping training on a signal at a step boundary, with the state saved.

Ctrl-C (SIGINT), SIGTERM (what Slurm, Kubernetes, systemd and `timeout` send) and SIGHUP (a closed
terminal or ssh session) all go through one mechanism: the handler only records which signal came,
and the training loop looks at that record after each step, saves last.pt and stops. Nothing is cut
off mid-write, and under torchrun (which forwards the signal to every worker, not all at the same
moment) the ranks agree on the step through the all-reduce they already do each step
(`gen.trainer.Trainer.train_step`), so they stop together and rank 0 writes.

A second signal while the first is being handled stops at once (KeyboardInterrupt): every write
is atomic, so the checkpoint written before is still whole.

The CLI exits with 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), as
a shell reports a process ended by that signal, so a scheduler or script can tell "stopped" from
"failed" (1) and "finished" (0).
"""

from __future__ import annotations

import signal
import threading
import time

SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP"))
                if s is not None)


def describe(signum: int) -> str:
    """'interrupted' for Ctrl-C, 'stopped by SIGTERM' for the others."""
    if signum == signal.SIGINT:
        return "interrupted"
    try:
        return f"stopped by {signal.Signals(signum).name}"
    except ValueError:
        return f"stopped by signal {signum}"


class StopRequests:
    """While installed (a context manager), SIGINT/SIGTERM/SIGHUP set ``signum`` instead of
    ending the process. Only the main thread may install signal handlers; elsewhere (the API called
    from a worker thread) this does nothing and signals keep their usual effect."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        if self.signum:
            raise KeyboardInterrupt  # a second signal: stop now, the last written state stands
        self.signum = signum

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                if signal.getsignal(s) is signal.SIG_IGN:
                    continue  # nohup, or a background job: the user asked for this one to pass
                try:
                    self._old[s] = signal.signal(s, self._handle)
                except (OSError, ValueError):
                    pass
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()


class StepControl:
    """What the training loop asks at each step boundary: stop on a signal? save last.pt now
    (``save_every`` minutes since the last save)? Each rank's ``requests()`` are summed over the
    ranks with the step's loss; ``decide()`` turns the sums into one answer every rank shares."""

    def __init__(self, save_every: float | None):
        self.signals = StopRequests()
        self.save_every = save_every
        self.last_save = time.perf_counter()

    def saved(self) -> None:
        self.last_save = time.perf_counter()

    def requests(self, main: bool) -> list[float]:
        """[a signal came here, rank 0's signal, a save is due by rank 0's clock]."""
        due = bool(self.save_every) and \
            time.perf_counter() - self.last_save >= self.save_every * 60
        signum = self.signals.signum
        return [float(bool(signum)), float(signum if main else 0), float(due and main)]

    def decide(self, agreed: list[float] | None, main: bool) -> tuple[int, bool]:
        """(signal to stop on or 0, save now?). One process (``agreed`` None) reads its flags
        afresh, so a signal during the step stops at this boundary; ranks use the sums."""
        if agreed is None:
            _, signum, due = self.requests(main)
            return int(signum), bool(due)
        asked, signum, due = agreed
        return (int(signum) or self.signals.signum or signal.SIGTERM) if asked else 0, due > 0
