"""The runtime: one object per process holding store, token, bus, jobs and renderer; no Dash needed."""
from __future__ import annotations

import pytest

from helios_dash.errors import StoreError
from helios_dash.runtime import DATA_CHANGED, create_runtime, current_runtime, get_store
from helios_dash.settings import Settings
from tests.databases import postgres_database
from tests.redis_helpers import REDIS_URL, closed_port_url, wait_until

HOUR = 3600.0  # a poll tick far longer than any test: only an announced write can refresh the token


def test_a_write_is_announced_with_its_data_version(runtime):
    heard = []
    runtime.bus.subscribe(lambda event, payload: heard.append((event, payload)))
    before = runtime.store.data_version()
    with runtime.store.write():
        pass
    assert heard == [(DATA_CHANGED, {"version": before + 1})]


def test_a_write_through_one_runtime_refreshes_the_token_of_another_through_redis():
    # Two runtimes on one PostgreSQL database and one Redis stand for two hosts
    # (DuckDB admits one process per file, so it has no second host).
    with postgres_database() as url:
        settings = Settings(database_url=url, redis_url=REDIS_URL, poll_seconds=HOUR, demo_data=False)
        writer, reader = create_runtime(settings), create_runtime(settings)
        try:
            first = reader.token.get()
            assert wait_until(lambda: reader.bus.connections > 0)  # the reader listens
            with writer.store.write():
                pass
            # Without the event, the reader's token would keep ``first`` for an hour.
            assert wait_until(lambda: reader.token.get() == first + 1, seconds=5)
        finally:
            writer.close()
            reader.close()


def test_services_find_the_runtime_of_the_app_in_context(app, runtime):
    with app.app_context():
        assert current_runtime() is runtime and get_store() is runtime.store


def test_outside_an_app_there_is_no_runtime_and_the_error_says_how_to_get_one():
    from concurrent.futures import ThreadPoolExecutor

    # A new thread has no app context, whatever other tests of this session pushed.
    with ThreadPoolExecutor(1) as pool, pytest.raises(StoreError, match="create_app"):
        pool.submit(current_runtime).result()


def test_the_server_serves_the_api_without_dash(client, runtime):
    from helios_dash.demo import seed_demo

    seed_demo(runtime.store, validations=500)
    answer = client.post("/api/v1/export/leaderboard", json={"format": "json"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "success"
    assert client.get("/").status_code == 404  # no pages: Dash is not built


def test_requests_are_answered_while_redis_is_down(store_url):
    from helios_dash import create_server

    from tests.auth import ViewerClient

    settings = Settings(database_url=store_url, redis_url=closed_port_url(), demo_data=False)
    server = create_server(settings)
    try:
        from helios_dash.demo import seed_demo

        seed_demo(server.extensions["helios.runtime"].store, validations=500)  # announcing it fails quietly
        server.test_client_class = ViewerClient
        client = server.test_client()
        for _ in range(2):  # the second one goes past the cache's open breaker
            answer = client.post("/api/v1/export/leaderboard", json={"format": "json"})
            assert answer.status_code == 200 and len(answer.get_json()["data"]["leaderboard"]) > 0
    finally:
        server.extensions["helios.runtime"].close()


def test_charts_are_drawn_by_the_runtime_renderer(app, runtime):
    from helios_dash.exports import charts

    with app.app_context():
        assert charts.current_renderer() is runtime.renderer
