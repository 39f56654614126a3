"""Browser tests check what the screen does, not the SQL: they run on the DuckDB store only
(every page's numbers are checked on both databases by tests/test_page_*.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def dash_app(dashboard_on):
    """The dashboard reading its DuckDB demo store."""
    return dashboard_on("duckdb")
