"""The data-version token that pages poll, read at most once per tick per process.

1,000 open tabs polling every 5 s make 200 requests a second; they all share one
read of the token per tick instead of 200 reads of the store.
"""
from __future__ import annotations

import threading
import time
from typing import Callable


class TickCache:
    """Caches ``read()`` until the wall clock enters the next ``seconds``-long tick."""

    def __init__(self, read: Callable[[], int], seconds: float, clock: Callable[[], float] = time.monotonic):
        self._read, self._seconds, self._clock = read, seconds, clock
        self._lock = threading.Lock()
        self._tick: int | None = None
        self._value: int | None = None

    def get(self) -> int:
        """The cached value, re-read once when a new tick starts."""
        tick = int(self._clock() // self._seconds)
        with self._lock:  # concurrent requests at a tick boundary wait for one read
            if tick != self._tick:
                self._value = self._read()
                self._tick = tick
            return self._value


    def invalidate(self) -> None:
        """Forget the cached value: the next ``get`` reads (a write was announced on the event bus)."""
        with self._lock:
            self._tick = None


def current_data_version() -> int:
    """The current runtime's data version as of this tick."""
    from ..runtime import current_runtime  # the runtime builds this module's TickCache

    return current_runtime().token.get()
