"""The flask-caching configuration: SimpleCache in-process, or a Redis cache that never fails a request.

``cache_config(settings)`` gives ``SimpleCache`` when ``settings.redis_url`` is
unset, else ``ResilientRedisCache`` (named by import path in ``CACHE_TYPE``).

A cache is an optimisation, so Redis being down must only make pages slower.
flask-caching's ``memoize`` already falls back to calling the function when the
backend raises, but every call would then pay a connect timeout and log a
traceback. Hence:

- short socket timeouts (0.25 s): a healthy local Redis answers in well under a
  millisecond, so 0.25 s only ever bounds a failure;
- a circuit breaker: after a connection error or timeout the cache skips Redis
  for ``CACHE_BREAKER_SECONDS`` (get -> miss, set -> no-op, one warning per
  outage). When the window ends, one call probes Redis (the others keep skipping);
  success closes the breaker, failure opens it for another window.

Entries are pickled by cachelib: whoever can write to this Redis can run code in
the web processes, so the Redis must be as private as the database.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

import redis
from flask_caching.backends.rediscache import RedisCache

from .redis_support import OutageLog, fail_fast_client

log = logging.getLogger(__name__)

KEY_PREFIX = "helios:cache:"
DEFAULT_TIMEOUT_SECONDS = 300
SOCKET_TIMEOUT_SECONDS = 0.25
BREAKER_SECONDS = 5.0


def cache_config(settings) -> dict:
    """The flask-caching config for ``settings``: in-process without Redis, shared with it."""
    if not settings.redis_url:
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_SECONDS}
    return {
        "CACHE_TYPE": f"{__name__}.ResilientRedisCache",
        "CACHE_REDIS_URL": settings.redis_url,
        "CACHE_KEY_PREFIX": KEY_PREFIX,
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_SECONDS,
        "CACHE_SOCKET_TIMEOUT": SOCKET_TIMEOUT_SECONDS,
        "CACHE_BREAKER_SECONDS": BREAKER_SECONDS,
    }


class CircuitBreaker:
    """Closed: calls go through. Open: calls are skipped until ``seconds`` passed, then one probes."""

    def __init__(self, seconds: float, what: str, clock: Callable[[], float] = time.monotonic):
        self._seconds, self._clock = seconds, clock
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed
        self._outage = OutageLog(log, what)
        self.skipped = 0  # calls answered without Redis while open

    def allows(self) -> bool:
        """May this call use Redis? While open, only the first call after the window (the probe)."""
        with self._lock:
            if self._open_until is None:
                return True
            if self._clock() >= self._open_until:
                self._open_until = self._clock() + self._seconds  # this caller probes; others skip
                return True
            self.skipped += 1
            return False

    def failed(self, error: BaseException) -> None:
        """Open (or keep open) for another window."""
        with self._lock:
            self._open_until = self._clock() + self._seconds
        self._outage.failed(error)

    def succeeded(self) -> None:
        """Close."""
        with self._lock:
            if self._open_until is None:
                return
            self._open_until = None
        self._outage.recovered()


def _guarded(name: str, fallback: Callable[..., Any]):
    """``RedisCache.<name>`` behind the breaker; ``fallback(*args)`` when Redis is skipped or fails."""
    method = getattr(RedisCache, name)

    def guarded(self, *args, **kwargs):
        if not self.breaker.allows():
            return fallback(*args)
        try:
            result = method(self, *args, **kwargs)
        except (redis.RedisError, OSError) as error:  # down, timed out, or refusing writes (OOM)
            self.breaker.failed(error)
            return fallback(*args)
        self.breaker.succeeded()
        return result

    guarded.__name__ = guarded.__qualname__ = name
    guarded.__doc__ = f"{name} through the circuit breaker (Redis down: a miss or a no-op)."
    return guarded


def _nothing(*_args):
    return None


class ResilientRedisCache(RedisCache):
    """flask-caching's RedisCache with short timeouts and a circuit breaker (see the module)."""

    def __init__(self, *args, breaker_seconds: float = BREAKER_SECONDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.breaker = CircuitBreaker(breaker_seconds, "Cache")

    @classmethod
    def factory(cls, app, config, args, kwargs):
        """Build from ``CACHE_REDIS_URL``, ``CACHE_SOCKET_TIMEOUT`` and ``CACHE_BREAKER_SECONDS``."""
        url = config.get("CACHE_REDIS_URL")
        if not url:
            raise ValueError(f"{cls.__name__} needs CACHE_REDIS_URL.")
        client = fail_fast_client(url, float(config.get("CACHE_SOCKET_TIMEOUT", SOCKET_TIMEOUT_SECONDS)))
        kwargs.pop("host", None)
        kwargs["key_prefix"] = config.get("CACHE_KEY_PREFIX") or KEY_PREFIX
        kwargs["breaker_seconds"] = float(config.get("CACHE_BREAKER_SECONDS", BREAKER_SECONDS))
        return cls(client, *args, **kwargs)

    get = _guarded("get", _nothing)
    get_many = _guarded("get_many", lambda *keys: [None] * len(keys))
    set = _guarded("set", lambda *_: False)
    add = _guarded("add", lambda *_: False)
    set_many = _guarded("set_many", lambda *_: [])
    delete = _guarded("delete", lambda *_: False)
    delete_many = _guarded("delete_many", lambda *_: [])
    unlink = _guarded("unlink", _nothing)
    has = _guarded("has", lambda *_: False)
    clear = _guarded("clear", lambda *_: False)
    inc = _guarded("inc", _nothing)
    dec = _guarded("dec", _nothing)
