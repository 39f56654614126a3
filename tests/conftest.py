"""Shared fixtures: every test gets its own temporary store."""
from __future__ import annotations

import pytest

from helios_dash.store import open_store


@pytest.fixture
def store_url(tmp_path):
    return f"duckdb:///{tmp_path / 'helios.duckdb'}"


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
DEMO_VALIDATIONS = 30_000
POLL_SECONDS = 1.0


@pytest.fixture(scope="session")
def dash_app(tmp_path_factory):
    """The whole dashboard over a 30,000-validation demo store, polling every second."""
    from helios_dash import create_app
    from helios_dash.settings import Settings

    path = tmp_path_factory.mktemp("dashboard") / "helios.duckdb"
    settings = Settings(database_url=f"duckdb:///{path}", demo_validations=DEMO_VALIDATIONS,
                        poll_seconds=POLL_SECONDS)
    return create_app(settings)


@pytest.fixture(scope="session")
def app_store(dash_app):
    """The store the dashboard reads."""
    from helios_dash.extensions import get_store

    return get_store()
