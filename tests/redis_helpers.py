"""What the Redis tests share: the local server, a port nobody listens on, unique names."""
from __future__ import annotations

import socket
import time
import uuid

import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def closed_port_url() -> str:
    """A Redis URL on 127.0.0.1 whose port was just free: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def unique_prefix(kind: str) -> str:
    """A key prefix or channel prefix no other test (or run) uses."""
    return f"helios-test:{kind}:{uuid.uuid4().hex[:12]}"


def delete_keys(prefix: str) -> None:
    """Remove every key under ``prefix`` from the local Redis."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def wait_until(condition, seconds: float = 10.0, step: float = 0.02) -> bool:
    """Poll ``condition()`` until true or ``seconds`` passed; returns its last value.

    A deadline for things that happen on another thread, not a timing assertion.
    """
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
