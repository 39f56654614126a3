"""Health checks: /health (the guide's shape), /health/live, /health/ready, on DuckDB and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest

from helios_dash import create_server
from helios_dash.errors import StoreError
from helios_dash.ops import health
from helios_dash.runtime import create_runtime
from helios_dash.settings import Settings

from tests.auth import anonymous_client
from tests.redis_helpers import REDIS_URL, closed_port_url

ROUTES = ("/health", "/health/live", "/health/ready")


@pytest.fixture
def serve(store_url):
    """``serve(redis_url=None)``: an API server (no Dash) over a fresh store, closed at the end."""
    runtimes = []

    def make(redis_url: str | None = None):
        runtime = create_runtime(Settings(database_url=store_url, demo_data=False, redis_url=redis_url))
        runtimes.append(runtime)
        return create_server(runtime=runtime)

    yield make
    for runtime in runtimes:
        runtime.close()


def test_summary_has_the_guides_shape(serve, store_url):
    response = anonymous_client(serve()).get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "timestamp", "database", "cache", "api_latency_ms"}
    assert body["status"] == "healthy"
    assert datetime.fromisoformat(body["timestamp"]).utcoffset().total_seconds() == 0
    assert body["database"]["status"] == "ok" and body["database"]["latency_ms"] >= 0
    assert body["database"]["backend"] == store_url.split(":", 1)[0].split("+")[0]
    assert body["cache"] == {"status": "ok", "backend": "memory", "latency_ms": None}
    assert body["api_latency_ms"] is None  # no API request yet in this process


def test_api_latency_is_the_median_of_recent_api_requests(serve):
    server = serve()
    client = anonymous_client(server)
    state = server.extensions[health.CHECKS_KEY]
    for milliseconds in (5.0, 1.0, 30.0):  # what the after_request hook records
        state.add_api_latency(milliseconds)
    assert client.get("/health").get_json()["api_latency_ms"] == 5.0
    client.get("/api/v1/domains")  # anonymous: a 401, timed all the same
    assert len(state._latencies) == 4
    client.get("/health/live")  # not an API request
    assert len(state._latencies) == 4


def test_live_touches_nothing(serve, monkeypatch):
    server = serve()
    runtime = server.extensions["helios.runtime"]
    monkeypatch.setattr(runtime.store, "data_version", _fail)
    response = anonymous_client(server).get("/health/live")
    assert response.status_code == 200 and response.get_json() == {"status": "alive"}


def test_ready_when_the_store_answers(serve):
    response = anonymous_client(serve()).get("/health/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and set(body["checks"]) == {"database"}
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_names_a_redis_that_does_not_answer(serve):
    url = closed_port_url()
    server = serve(url)
    ready = anonymous_client(server).get("/health/ready")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "not ready" and body["failing"] == ["redis"]
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["redis"]["status"] == "down"
    assert url.rsplit(":", 1)[1].split("/")[0] not in ready.get_data(as_text=True)  # no port, no host
    summary = anonymous_client(server).get("/health")
    assert summary.status_code == 200  # pages still answer from the store
    assert summary.get_json()["status"] == "degraded"
    assert summary.get_json()["cache"]["status"] == "down" and summary.get_json()["cache"]["backend"] == "redis"


def test_ready_with_a_redis_that_answers(serve):
    response = anonymous_client(serve(REDIS_URL)).get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["status"] == "ok"


def test_ready_names_a_failing_database(serve, monkeypatch, store_url):
    server = serve()
    monkeypatch.setattr(server.extensions["helios.runtime"].store, "data_version", _fail)
    ready = anonymous_client(server).get("/health/ready")
    assert ready.status_code == 503
    assert ready.get_json()["failing"] == ["database"]
    assert ready.get_json()["checks"]["database"]["error"] == "StoreError"
    assert "secret detail" not in ready.get_data(as_text=True)  # the message stays in the server's log
    summary = anonymous_client(server).get("/health")
    assert summary.status_code == 503 and summary.get_json()["status"] == "unhealthy"
    assert store_url.rsplit("/", 1)[1] not in summary.get_data(as_text=True)


def test_a_hanging_database_gives_a_503_not_a_hung_probe(serve, monkeypatch):
    server = serve()
    release = threading.Event()
    monkeypatch.setattr(server.extensions["helios.runtime"].store, "data_version", lambda: release.wait(30))
    monkeypatch.setattr(health, "DEADLINE_SECONDS", 0.2)
    try:
        ready = anonymous_client(server).get("/health/ready")
    finally:
        release.set()
    assert ready.status_code == 503 and ready.get_json()["failing"] == ["database"]
    assert "no answer within" in ready.get_json()["checks"]["database"]["error"]


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_no_cookie_no_store(serve, path):
    response = anonymous_client(serve()).get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"


def _fail():
    raise StoreError("secret detail: postgresql://user:pw@db.internal/helios")
