"""Memoizing service results per data version: a write makes every entry stale."""
from __future__ import annotations

import functools
import threading

from ..ops.metrics import CACHE_REQUESTS
from ..runtime import cache
from .live import current_data_version

# The guide's caching TTLs (seconds): how long an unchanged answer is kept, never past a write.
TTL_LEADERBOARD, TTL_ALGORITHM = 300, 3600
_HITS, _MISSES = CACHE_REQUESTS.labels("hit"), CACHE_REQUESTS.labels("miss")
_computed = threading.local()  # .count: cached functions this thread has computed (cache misses)


def per_data_version(function=None, *, ttl: int | None = None):
    """Cache ``function(*args)`` (hashable, repr-stable args) until the data version changes.

    The key holds the data version, so an answer is never older than the last write; ``ttl``
    (seconds; default: the cache's) only bounds how long an unchanged answer is kept, as the
    guide's TTLs ask (``@per_data_version(ttl=3600)``).
    Never pass a Principal: cache the whole value and redact after the cache (services.redaction),
    so one entry serves every role and no role's view reaches another.
    """
    if function is None:
        return functools.partial(per_data_version, ttl=ttl)

    def run(_version, *args, **kwargs):  # flask-caching calls it only when no value is cached
        _computed.count = getattr(_computed, "count", 0) + 1
        _MISSES.inc()
        return function(*args, **kwargs)

    # flask-caching keys memoized functions by module and qualified name.
    run.__module__, run.__qualname__ = function.__module__, f"{function.__qualname__}.versioned"
    memoized = cache.memoize(timeout=ttl)(run)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        # A hit when nothing was computed on this thread meanwhile (a miss computes itself, and maybe
        # the cached functions it calls; a hit computes nothing).
        before = getattr(_computed, "count", 0)
        value = memoized(current_data_version(), *args, **kwargs)
        if getattr(_computed, "count", 0) == before:
            _HITS.inc()
        return value

    return wrapper
