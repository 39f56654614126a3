"""Shared short-lived state: what the cache, the bus and the job queue cost, and what Redis down costs.

    .venv/bin/python bench/redis_state.py

Everything runs against 127.0.0.1: the local Redis (keys under a throwaway
prefix, deleted at the end) and, for "Redis hanging", a socket of our own that
accepts connections and never answers (a host that went away behind a load
balancer looks like this: every read waits for the socket timeout).
Prints medians, and ratios against the baseline measured in the same run.
"""
from __future__ import annotations

import socket
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from flask_caching import Cache  # noqa: E402

from helios_dash.cache_backend import cache_config  # noqa: E402
from helios_dash.jobs.runner import RedisJobs, register, run_worker  # noqa: E402
from helios_dash.realtime import InProcessBus, RedisBus  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402
from tests.redis_helpers import REDIS_URL, delete_keys  # noqa: E402

PREFIX = f"helios-bench:{uuid.uuid4().hex[:8]}"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def hanging_redis() -> tuple[socket.socket, str]:
    """A listening socket that never accepts: connects succeed, reads time out."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    return server, f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def cache_get(config: dict, repeat: int) -> float:
    app, cache = Flask(__name__), Cache()
    cache.init_app(app, config=config)
    with app.app_context():
        cache.get("warm-up")  # connect (or trip the breaker) before timing
        return median_ms(timed(lambda: cache.get("k"), repeat))


def bench_cache() -> None:
    print("cache.get, median ms")
    simple = cache_get(cache_config(Settings(redis_url=None)), 500)
    redis_up = cache_get({**cache_config(Settings(redis_url=REDIS_URL)), "CACHE_KEY_PREFIX": f"{PREFIX}:"}, 500)
    server, url = hanging_redis()
    try:
        hanging = {**cache_config(Settings(redis_url=url))}
        with_breaker = cache_get(hanging, 500)
        without_breaker = cache_get({**hanging, "CACHE_BREAKER_SECONDS": 0}, 8)  # every call probes
    finally:
        server.close()
    print(f"  SimpleCache (baseline)          {simple:9.4f}")
    print(f"  Redis up                        {redis_up:9.4f}  x{redis_up / simple:,.0f}")
    print(f"  Redis hanging, breaker open     {with_breaker:9.4f}  x{with_breaker / simple:,.1f}")
    print(f"  Redis hanging, no breaker       {without_breaker:9.4f}  x{without_breaker / simple:,.0f}")


def publish_to_delivery(publisher, listener, repeat: int) -> float:
    arrived = threading.Event()
    listener.subscribe(lambda event, payload: arrived.set())
    time.sleep(0.3)  # let a Redis listener subscribe
    samples = []
    for number in range(repeat):
        arrived.clear()
        started = time.perf_counter()
        publisher.publish("validation.completed", {"n": number})
        arrived.wait(5)
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def bench_bus() -> None:
    print("event bus, publish -> subscriber called, median ms")
    local = InProcessBus()
    in_process = publish_to_delivery(local, local, 500)
    first, second = RedisBus(REDIS_URL, PREFIX), RedisBus(REDIS_URL, PREFIX)
    try:
        across = publish_to_delivery(first, second, 500)
    finally:
        first.close()
        second.close()
    print(f"  in-process (baseline)           {in_process:9.4f}")
    print(f"  RedisBus to another RedisBus    {across:9.4f}  x{across / in_process:,.0f}")


@register("bench.noop")
def noop() -> None:
    """Nothing: measures the queue itself."""


def bench_jobs(repeat: int = 200) -> None:
    print("job queue, submit -> status done, median ms")
    queue = f"{PREFIX}:jobs"
    submitter, runner = RedisJobs(REDIS_URL, queue=queue), RedisJobs(REDIS_URL, queue=queue)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(runner, stop), daemon=True)
    worker.start()
    samples = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            job = submitter.submit("bench.noop")
            while submitter.status(job)["status"] != "done":
                time.sleep(0.0005)
            samples.append(time.perf_counter() - started)
    finally:
        stop.set()
        worker.join(10)
        submitter.close()
        runner.close()
    print(f"  RedisJobs + run_worker          {median_ms(samples):9.4f}  ({repeat} no-op jobs)")


if __name__ == "__main__":
    try:
        bench_cache()
        bench_bus()
        bench_jobs()
    finally:
        delete_keys(PREFIX)
