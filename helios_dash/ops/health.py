"""Health checks: ``/health`` (the guide's summary), ``/health/live`` and ``/health/ready``.

Public by name (access/rules.py): load balancers and orchestrators probe them without
credentials, so they say only whether things answer, never a URL, a host or a library's
version; the full error goes to the server's log. Every check runs on a small thread pool
with a deadline, so a database or Redis that hangs makes the answer a 503, never a hung probe.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone

from flask import Blueprint, Flask, current_app, jsonify, request

from ..realtime.health import redis_status
from ..runtime import current_runtime
from .logs import request_duration_ms

log = logging.getLogger(__name__)
health = Blueprint("health", __name__)

DEADLINE_SECONDS = 2.0  # a probe's answer within this, whatever the dependencies do
REDIS_TIMEOUT_SECONDS = 0.25  # one PING; a healthy Redis answers in well under a millisecond
CHECKS_KEY = "helios.health"  # server.extensions: this app's check pool and API latency window
API_PREFIX = "/api/"
LATENCY_WINDOW = 100  # api_latency_ms: the median of this process's last 100 API requests


class HealthState:
    """Per app: the threads checks run on (bounded: hung checks cannot pile up) and recent API latencies."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="helios-health")
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._lock = threading.Lock()

    def add_api_latency(self, milliseconds: float) -> None:
        with self._lock:
            self._latencies.append(milliseconds)

    def api_latency_ms(self) -> float | None:
        """The median duration of the recent API requests of this process, None before the first."""
        with self._lock:
            recent = list(self._latencies)
        return round(statistics.median(recent), 2) if recent else None


def init_health(server: Flask) -> None:
    """The health routes, and the timing of API requests that ``api_latency_ms`` reports."""
    server.extensions[CHECKS_KEY] = HealthState()
    server.register_blueprint(health)
    server.after_request(_record_api_latency)


def _record_api_latency(response):
    if request.path.startswith(API_PREFIX):
        duration = request_duration_ms()
        if duration is not None:
            current_app.extensions[CHECKS_KEY].add_api_latency(duration)
    return response


@health.get("/health")
def summary():
    """The guide's shape: status, timestamp, database, cache, api_latency_ms (503 when unhealthy)."""
    database, redis = _run_checks()
    cache = ({"status": redis["status"], "backend": "redis", "latency_ms": redis["latency_ms"]}
             if redis is not None else {"status": "ok", "backend": "memory", "latency_ms": None})
    # No database, no answers: unhealthy. Without Redis the cache misses and events stay local,
    # but pages and the API still answer from the store: degraded.
    status = "unhealthy" if database["status"] != "ok" else "degraded" if cache["status"] != "ok" else "healthy"
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {"status": status, "timestamp": stamp, "database": database, "cache": cache,
            "api_latency_ms": current_app.extensions[CHECKS_KEY].api_latency_ms()}
    return _answer(body, 503 if status == "unhealthy" else 200)


@health.get("/health/live")
def live():
    """Liveness: the process serves requests. Touches no dependency (a database outage must not get it restarted)."""
    return _answer({"status": "alive"}, 200)


@health.get("/health/ready")
def ready():
    """Readiness: 200 when the store (and a configured Redis) answer; else 503 naming what fails."""
    database, redis = _run_checks()
    checks = {"database": database} | ({"redis": redis} if redis is not None else {})
    failing = [name for name, check in checks.items() if check["status"] != "ok"]
    if failing:
        return _answer({"status": "not ready", "failing": failing, "checks": checks}, 503)
    return _answer({"status": "ready", "checks": checks}, 200)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # a cached "healthy" would hide an outage
    return response


def _run_checks() -> tuple[dict, dict | None]:
    """The database check and (when HELIOS_REDIS_URL is set) the Redis check, run at once, each bounded."""
    runtime = current_runtime()
    pool = current_app.extensions[CHECKS_KEY].pool
    deadline = time.monotonic() + DEADLINE_SECONDS
    database = pool.submit(_check_database, runtime.store)
    redis_url = runtime.settings.redis_url
    redis = pool.submit(_check_redis, redis_url) if redis_url else None
    return (_within(database, deadline, "database"),
            _within(redis, deadline, "redis") if redis is not None else None)


def _within(future, deadline: float, name: str) -> dict:
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0))
    except FutureTimeout:
        log.warning("Health check: %s did not answer within %.1f s", name, DEADLINE_SECONDS)
        return {"status": "down", "latency_ms": None, "error": f"no answer within {DEADLINE_SECONDS:g} s"}


def _check_database(store) -> dict:
    """Read the data version (one row of store_state): the store answers, and its schema is there."""
    started = time.perf_counter()
    try:
        store.data_version()
    except Exception as error:  # any failure is an answer here, never a 500
        log.warning("Health check: the database failed: %s: %s", type(error).__name__, error)
        return {"status": "down", "backend": "duckdb" if store.is_duckdb else "postgresql", "latency_ms": None,
                "error": type(error).__name__}  # the type only: messages name hosts and users
    return {"status": "ok", "backend": "duckdb" if store.is_duckdb else "postgresql",
            "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_redis(url: str) -> dict:
    """One PING with a short timeout (realtime.health.redis_status)."""
    found = redis_status(url, timeout=REDIS_TIMEOUT_SECONDS)
    if found["ok"]:
        return {"status": "ok", "latency_ms": found["latency_ms"]}
    log.warning("Health check: Redis failed: %s", found["error"])
    # Only the error's type: its message names the host and port.
    return {"status": "down", "latency_ms": None, "error": found["error"].split(":", 1)[0]}
