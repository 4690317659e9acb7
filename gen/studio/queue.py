"""Sampling slots for the studio: at most ``running`` samples at once, then a short queue.

A request that finds every slot taken waits its turn (first come, first served) for up to
``timeout`` seconds instead of failing at once; only when ``waiting`` requests are already queued,
or the wait times out, is it refused (the app answers 429). Sixteen clients sending at once are
then all served, four at a time, while a flood cannot pile up unbounded work.

Everything here runs on the event loop's thread (acquire in the request handler, release in
the streaming response's ``finally``); the lock only guards against a release from elsewhere.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque

from gen.errors import GenError


class Busy(GenError):
    """Too many samples running and waiting: 429, try again."""


class Slots:
    def __init__(self, running: int = 4, waiting: int = 32, timeout: float = 60.0):
        self.running, self.max_waiting, self.timeout = running, waiting, timeout
        self.held = 0
        self._queue: deque[asyncio.Future] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        with self._lock:
            return sum(not f.done() for f in self._queue)

    def try_acquire(self) -> bool:
        """Take a slot if one is free and nobody is queued before us."""
        with self._lock:
            if self.held < self.running and not any(not f.done() for f in self._queue):
                self.held += 1
                return True
            return False

    async def acquire(self) -> None:
        """A slot, waiting in line for one; Busy when the line is full or the wait too long."""
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        with self._lock:
            queued = sum(not f.done() for f in self._queue)
            if queued >= self.max_waiting:
                raise Busy(f"{self.running} samples are running and {queued} waiting; "
                           "try again in a moment")
            turn = loop.create_future()
            self._queue.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.timeout)
        except BaseException as e:
            with self._lock:
                handed = turn.done() and not turn.cancelled()
                if not turn.done():
                    turn.cancel()
            if handed:
                self.release()  # the slot reached us as we gave up: pass it on
            if isinstance(e, asyncio.TimeoutError):
                raise Busy(f"waited {self.timeout:g} s for one of {self.running} sampling slots; "
                           "try again in a moment") from None
            raise

    def release(self) -> None:
        """Free a slot: hand it to the first request still waiting, else put it back."""
        with self._lock:
            while self._queue:
                turn = self._queue.popleft()
                if turn.done():
                    continue  # gave up waiting
                break
            else:
                self.held -= 1
                return
        # The slot passes on (held stays the same), on the waiter's own loop.
        try:
            on_loop = asyncio.get_running_loop() is turn.get_loop()
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._hand(turn)
        else:
            turn.get_loop().call_soon_threadsafe(self._hand, turn)

    def _hand(self, turn: asyncio.Future) -> None:
        if turn.done():
            self.release()  # it gave up in the meantime: the next one gets the slot
        else:
            turn.set_result(None)
