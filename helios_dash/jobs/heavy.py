"""A per-process bound on heavy work (PDF, XLSX, full-record CSV), with a short queue.

gunicorn serves a process with a few threads; eight PDF reports at once used to
take every thread and most of the CPU, so a trivial page waited 26 s. Here at most
``slots`` heavy jobs run, at most ``queue`` more wait (briefly), and anything past
that is refused at once with an estimate of when to retry, so light requests
always find a free thread.
"""
from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque

from ..errors import Busy

DEFAULT_ESTIMATE_SECONDS = 10.0  # before any heavy job finished in this process


class HeavyWorkGate:
    """At most ``slots`` heavy jobs at once; ``queue`` more may wait up to ``max_wait`` seconds."""

    def __init__(self, slots: int = 1, queue: int = 2, max_wait: float = 30.0):
        if slots < 1 or queue < 0:
            raise ValueError("a gate needs at least one slot and a queue of zero or more")
        self.slots, self.queue, self.max_wait = slots, queue, max_wait
        self._condition = threading.Condition()
        self._running = 0
        self._waiting = 0
        self._durations: deque[float] = deque(maxlen=20)  # recent job lengths, for Retry-After

    def enter(self) -> "HeavyWorkPass":
        """A pass to run one heavy job; ``Busy`` when the slots and the queue are full."""
        with self._condition:
            if self._running >= self.slots and self._waiting >= self.queue:
                raise self._busy()
            self._waiting += 1
            try:
                admitted = self._condition.wait_for(lambda: self._running < self.slots, timeout=self.max_wait)
            finally:
                self._waiting -= 1
            if not admitted:
                raise self._busy()
            self._running += 1
        return HeavyWorkPass(self)

    def retry_after(self) -> int:
        """Seconds until a new job would likely get a slot: the work ahead of it, spread over the slots."""
        typical = statistics.median(self._durations) if self._durations else DEFAULT_ESTIMATE_SECONDS
        ahead = self._running + self._waiting
        return max(1, min(300, math.ceil(typical * max(1, ahead) / self.slots)))

    def _leave(self, seconds: float) -> None:
        with self._condition:
            self._running -= 1
            self._durations.append(seconds)
            self._condition.notify()

    def _busy(self) -> Busy:
        seconds = self.retry_after()
        return Busy(f"The server is busy with other reports; retry in {seconds} s.", retry_after=seconds)

    @property
    def running(self) -> int:
        return self._running


class HeavyWorkPass:
    """A held slot; ``release`` (idempotent) gives it back. Also a context manager."""

    def __init__(self, gate: HeavyWorkGate):
        self._gate = gate
        self._started = time.monotonic()
        self._released = False
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._gate._leave(time.monotonic() - self._started)

    def __enter__(self) -> "HeavyWorkPass":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
