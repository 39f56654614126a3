"""Is Redis answering? One PING with a short timeout, for ``/health/ready``."""
from __future__ import annotations

import time

import redis

from ..redis_support import REDIS_DOWN, fail_fast_client


def redis_status(url: str | None, timeout: float = 0.25) -> dict:
    """``{"ok", "latency_ms", "error"}`` for the Redis at ``url``; never raises.

    No URL means the deployment does not use Redis: ``ok`` is True and ``configured`` False.
    """
    if not url:
        return {"ok": True, "latency_ms": None, "error": None, "configured": False}
    client = None
    started = time.perf_counter()
    try:
        client = fail_fast_client(url, timeout)
        client.ping()
    except (*REDIS_DOWN, redis.RedisError, ValueError) as error:  # ValueError: a malformed URL
        return {"ok": False, "latency_ms": None, "error": f"{type(error).__name__}: {error}",
                "configured": True}
    finally:
        if client is not None:
            client.close()
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return {"ok": True, "latency_ms": latency_ms, "error": None, "configured": True}
