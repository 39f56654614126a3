"""Timing and time limits for the store's statements: cheap per-process figures, slow-statement logs."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .errors import QueryTimeout
from .ops.metrics import QUERY_DURATION

log = logging.getLogger("helios_dash.store")

SLOW_SECONDS = 1.0  # statements slower than this are logged at WARNING, unless the store was given HELIOS_SLOW_QUERY_MS
KINDS = ("read", "write")
# helios_query_duration_seconds{query=kind}: the kind is the one name every statement has here; the SQL
# text would make a time series per statement. Children made once: labels() takes a lock per call.
_QUERY_SECONDS = {kind: QUERY_DURATION.labels(kind) for kind in KINDS}


class StatementStats:
    """Count, total and maximum seconds of the statements run, by kind ("read", "write"); Prometheus too."""

    def __init__(self, slow_seconds: float | None = None):
        self._lock = threading.Lock()
        self._figures = {kind: [0, 0.0, 0.0] for kind in KINDS}
        self.slow_seconds = slow_seconds  # None: SLOW_SECONDS

    def record(self, kind: str, seconds: float, what: str | Callable[[], str]) -> None:
        """Add one statement's duration; log it if it was slow (``what`` may be a function giving the SQL)."""
        with self._lock:
            figures = self._figures[kind]
            figures[0] += 1
            figures[1] += seconds
            figures[2] = max(figures[2], seconds)
        _QUERY_SECONDS[kind].observe(seconds)
        if seconds > (SLOW_SECONDS if self.slow_seconds is None else self.slow_seconds):
            log.warning("slow %s statement: %.2f s: %s", kind, seconds, _first_line(what() if callable(what) else what))

    def snapshot(self) -> dict[str, dict[str, float]]:
        """``{kind: {"count", "total_seconds", "max_seconds"}}`` since the process opened the store."""
        with self._lock:
            return {kind: {"count": count, "total_seconds": total, "max_seconds": longest}
                    for kind, (count, total, longest) in self._figures.items()}

    @contextmanager
    def timed(self, kind: str, what: str | Callable[[], str]) -> Iterator[None]:
        """Record the duration of the block (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.record(kind, time.perf_counter() - started, what)


def timeout_error(seconds: float) -> QueryTimeout:
    """The error a statement stopped by the time limit raises."""
    return QueryTimeout(f"This view was too large to compute in {seconds:g} s; narrow it (a shorter "
                        "period, fewer domains, types or algorithms) and try again.")


class Interrupter:
    """Calls ``interrupt`` if a block runs longer than ``seconds``: DuckDB has no server-side time limit."""

    def __init__(self, seconds: float | None, interrupt: Callable[[], None]):
        self.seconds, self.interrupt = seconds, interrupt
        self.fired = False
        self._running = False
        self._lock = threading.Lock()

    def _fire(self) -> None:
        with self._lock:  # never interrupt a connection whose statement already finished
            if self._running:
                self.fired = True
                self.interrupt()

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Run the block under the time limit; raise QueryTimeout if the limit stopped it."""
        if not self.seconds:
            yield
            return
        timer = threading.Timer(self.seconds, self._fire)
        timer.daemon = True
        self._running = True
        timer.start()
        try:
            yield
        except Exception:
            if self.fired:
                raise timeout_error(self.seconds) from None
            raise
        finally:
            with self._lock:
                self._running = False
            timer.cancel()


def _first_line(sql: str) -> str:
    text = " ".join(str(sql).split())
    return text if len(text) <= 200 else text[:197] + "..."
