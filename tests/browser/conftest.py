"""Browser tests check what the screen does, not the SQL: they run on the DuckDB store only
(every page's numbers are checked on both databases by tests/test_page_*.py)."""
from __future__ import annotations

import pytest

from tests.browser.helpers import fill_sign_in_form


@pytest.fixture
def dash_app(dashboard_on):
    """The dashboard reading its DuckDB demo store."""
    return dashboard_on("duckdb")


def sign_in(duo, email: str) -> None:
    """Sign in through the /login form, as a person would; land on /account, a page without the
    Dash renderer, so that nothing is left loading when the test opens its own page."""
    duo.driver.get(duo.server.url.rstrip("/") + "/login?next=/account")
    fill_sign_in_form(duo, email)


@pytest.fixture
def dash_duo(dash_duo):
    """dash[testing]'s dash_duo, signed in as the demo viewer once its server is up."""
    start = dash_duo.start_server

    def start_signed_in(app, navigate=True, **kwargs):
        start(app, navigate=False, **kwargs)
        sign_in(dash_duo, "viewer@demo.helios")
        if navigate:
            dash_duo.server_url = dash_duo.server.url  # navigates to the root and waits for the renderer
        else:
            dash_duo._url = dash_duo.server.url

    dash_duo.start_server = start_signed_in
    return dash_duo
