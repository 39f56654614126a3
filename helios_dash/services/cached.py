"""Memoizing service results per data version: a write makes every entry stale."""
from __future__ import annotations

import functools

from ..runtime import cache
from .live import current_data_version


def per_data_version(function):
    """Cache ``function(*args)`` (hashable, repr-stable args) until the data version changes.

    Never pass a Principal: cache the whole value and redact after the cache (services.redaction),
    so one entry serves every role and no role's view reaches another.
    """
    def run(_version, *args, **kwargs):
        return function(*args, **kwargs)

    # flask-caching keys memoized functions by module and qualified name.
    run.__module__, run.__qualname__ = function.__module__, f"{function.__qualname__}.versioned"
    memoized = cache.memoize()(run)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return memoized(current_data_version(), *args, **kwargs)

    return wrapper
