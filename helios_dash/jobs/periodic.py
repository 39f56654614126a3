"""A daemon thread that calls ``beat()`` every ``seconds`` while a with-block runs (leases, claims)."""
from __future__ import annotations

import threading
from typing import Callable


class Periodic:
    """``with Periodic(renew, 10.0, "helios-lease-1234"):`` renews every 10 s until the block ends.

    ``beat`` handles its own errors: a renewal that fails must not stop the work it protects.
    """

    def __init__(self, beat: Callable[[], None], seconds: float, name: str):
        self._beat, self._seconds = beat, seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(self._seconds):
            self._beat()
