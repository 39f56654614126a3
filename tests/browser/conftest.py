"""Browser tests check what the screen does, not the SQL: they run on the DuckDB store only
(every page's numbers are checked on both databases by tests/test_page_*.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def dash_app(dashboard_on):
    """The dashboard reading its DuckDB demo store."""
    return dashboard_on("duckdb")


DEMO_PASSWORD = "helios-demo"


def sign_in(duo, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the /login form, as a person would, and wait to be sent on."""
    from selenium.webdriver.support.ui import WebDriverWait

    duo.driver.get(duo.server.url.rstrip("/") + "/login")
    duo.wait_for_element("#email").send_keys(email)
    duo.find_element("#password").send_keys(password)
    duo.find_element("#sign-in").click()
    WebDriverWait(duo.driver, 10).until(lambda driver: "/login" not in driver.current_url)


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
