"""What every Redis user in HELIOS shares: a client that fails fast, and outage logging.

Redis holds only short-lived state (cache, events, job queue), so the code around
it must keep working when it is gone. Two habits make that cheap:

- Clients fail fast (short socket timeouts) and do *not* retry inside redis-py:
  each caller has its own policy (the cache's circuit breaker, the bus's reconnect
  loop, the worker's backoff), and hidden retries would multiply the waiting.
- An outage is logged once when it starts and once when it ends, never per
  attempt: a listener retrying every few seconds for an hour must not fill the log.
"""
from __future__ import annotations

import logging
import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# What "Redis is not there" looks like: refused, reset, timed out, DNS, read-only replica...
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)


def fail_fast_client(url: str, timeout: float = 1.0, **options) -> redis.Redis:
    """A client for ``url`` whose connect and reads give up after ``timeout`` seconds, without retries."""
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0), **options,
    )


class OutageLog:
    """Logs the start of an outage once, and its end with how long/what it cost."""

    def __init__(self, logger: logging.Logger, what: str):
        self._logger, self._what = logger, what
        self._lock = threading.Lock()
        self._down = False
        self.outages = 0  # how many outages began (tests and metrics read it)

    @property
    def down(self) -> bool:
        """True between a failure and the next success."""
        return self._down

    def failed(self, error: BaseException) -> None:
        """Record a failure; only the first of an outage is logged."""
        with self._lock:
            first, self._down = not self._down, True
            if first:
                self.outages += 1
        if first:
            self._logger.warning("%s: Redis unavailable (%s: %s); carrying on without it",
                                 self._what, type(error).__name__, error)

    def recovered(self, note: str = "") -> None:
        """Record a success; logged only if it ends an outage."""
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            self._logger.warning("%s: Redis is back%s", self._what, f" ({note})" if note else "")
