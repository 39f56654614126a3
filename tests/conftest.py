"""Shared fixtures: every test gets its own temporary store."""
from __future__ import annotations

import pytest

from helios_dash.store import open_store

pytest.register_assert_rewrite("tests.databases")
from tests.databases import DATABASES  # noqa: E402
from tests.auth import ViewerClient  # noqa: E402

pytest_plugins = ["tests.databases"]  # store_url: each store-touching test runs on DuckDB and PostgreSQL


@pytest.fixture
def store(store_url):
    """An empty, freshly created analytics store."""
    opened = open_store(store_url)
    yield opened
    opened.close()


# -- the dashboard -------------------------------------------------------------
# Dash's page registry is global to the process, so the app is built once per
# test session, over its own demo store. Page modules must be imported only
# after this fixture ran (Dash imports them itself while building the app).
# The app reads through whichever runtime is on it: tests of numbers run once on
# its DuckDB runtime and once on a PostgreSQL one holding the same demo data set.
DEMO_VALIDATIONS = 30_000
# The whole suite reads with one token per store: rate limits are tested on apps of their own.
UNLIMITED = {"rate_limit_api": "1000000 per minute", "rate_limit_exports": "1000000 per minute"}
POLL_SECONDS = 1.0


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory):
    """The whole dashboard over a 30,000-validation DuckDB demo store, polling every second."""
    from helios_dash import create_app
    from helios_dash.settings import Settings

    path = tmp_path_factory.mktemp("dashboard") / "helios.duckdb"
    settings = Settings(database_url=f"duckdb:///{path}", demo_validations=DEMO_VALIDATIONS,
                        poll_seconds=POLL_SECONDS, **UNLIMITED)
    app = create_app(settings)
    app.server.test_client_class = ViewerClient  # test_client() reads as a viewer (tests/auth.py)
    # Page callbacks and services called directly by tests find the runtime as Dash's requests would.
    with app.server.app_context():
        yield app


@pytest.fixture(scope="session")
def dashboard_on(dashboard):
    """``dashboard_on(kind)``: the dashboard reading from its DuckDB store, or from a PostgreSQL
    database seeded with the same demo data set (created at first use, dropped at the end)."""
    from contextlib import ExitStack
    from dataclasses import replace

    from helios_dash.runtime import RUNTIME_KEY, cache, create_runtime, seed_demo_if_empty

    from tests.databases import postgres_database

    server = dashboard.server
    runtimes = {"duckdb": server.extensions[RUNTIME_KEY]}

    def on(kind: str):
        if kind not in runtimes:
            url = stack.enter_context(postgres_database())
            runtime = create_runtime(replace(runtimes["duckdb"].settings, database_url=url))
            stack.callback(runtime.close)  # before the database is dropped (the stack unwinds in reverse)
            seed_demo_if_empty(runtime)
            runtimes[kind] = runtime
        if server.extensions[RUNTIME_KEY] is not runtimes[kind]:
            server.extensions[RUNTIME_KEY] = runtimes[kind]
            cache.clear()  # entries are keyed by data version, which both databases share: never mix them
        return dashboard

    with ExitStack() as stack:
        yield on
        on("duckdb")


@pytest.fixture(params=DATABASES)
def dash_app(request, dashboard_on):
    """The dashboard; the test runs once with it reading DuckDB and once PostgreSQL."""
    return dashboard_on(request.param)


@pytest.fixture
def app_store(dash_app):
    """The store the dashboard reads."""
    from helios_dash.runtime import RUNTIME_KEY

    return dash_app.server.extensions[RUNTIME_KEY].store


@pytest.fixture
def settled(dash_app, app_store):
    """Wait until the polled data version caught up with the store, so cached services are fresh."""
    import time

    from helios_dash.services.live import current_data_version

    deadline = time.time() + 3 * POLL_SECONDS
    while current_data_version() != app_store.data_version() and time.time() < deadline:
        time.sleep(0.05)
    return app_store


# -- the runtime without Dash (flaskr style) ---------------------------------------------
@pytest.fixture
def runtime(store_url):
    """A runtime over a fresh, empty store (DuckDB and PostgreSQL); closed after the test."""
    from helios_dash.runtime import create_runtime
    from helios_dash.settings import Settings

    built = create_runtime(Settings(database_url=store_url, demo_data=False, poll_seconds=POLL_SECONDS, **UNLIMITED))
    yield built
    built.close()


@pytest.fixture
def app(runtime):
    """The Flask server (runtime and API, no Dash) over ``runtime``, in testing mode."""
    from helios_dash import create_server

    server = create_server(runtime=runtime)
    server.config.update(TESTING=True)
    server.test_client_class = ViewerClient  # test_client() reads as a viewer (tests/auth.py)
    return server


@pytest.fixture
def client(app):
    """A test client of ``app``, carrying a viewer's read+export token."""
    return app.test_client()


def pytest_configure(config):
    """HELIOS_TEST_PORT moves the browser tests' first port (dash_duo counts up from 58050),
    so that two test runs on one machine do not serve on the same ports."""
    import os

    port = os.environ.get("HELIOS_TEST_PORT")
    if port:
        from dash.testing.application_runners import BaseDashRunner

        BaseDashRunner._next_port = int(port)
