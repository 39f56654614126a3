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
