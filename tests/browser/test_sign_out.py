"""Signing out in headless Chromium: sign-in -> pages with data -> sign-out -> the back button
shows no data (pages are served no-store, and a page from before sign-out asks the server again)."""
from __future__ import annotations

import http.client
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from selenium.webdriver.support.ui import WebDriverWait

from helios_dash.schema import validations

KPI = "[data-kpi='total_validations']"
GRID_ROWS = "#leaderboard-grid .ag-center-cols-container .ag-row"
FIRST_NAME = GRID_ROWS + "[row-index='0'] .ag-cell[col-id='name']"


def validations_this_month(store) -> int:
    """The overview's first KPI, counted with plain SQL."""
    first = datetime.now(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return store.scalar(sa.select(sa.func.count()).select_from(validations).where(validations.c.created_at >= first))


def leader_name(store) -> str:
    """The leaderboard's first row by plain SQL: highest mean quality (ties: speedup, tests, id)."""
    return store.rows(sa.text(
        "SELECT a.name FROM validations v JOIN algorithms a ON a.id = v.algorithm_id "
        "GROUP BY v.algorithm_id, a.name "
        "ORDER BY avg(v.quality) DESC, avg(v.speedup) DESC, sum(v.tests) DESC, v.algorithm_id LIMIT 1"))[0]["name"]


def expected_after_sign_out(message: str) -> bool:
    """A callback's 401 once the session is over, as Chromium logs it; and the renderer's own
    complaint when it reads that 401's body after assets/helios.js has already handed it on
    (it races the move to /login, so it appears in some runs only)."""
    if "status of 401" in message and "/_dash-" in message:
        return True
    return "dash_renderer" in message and "body stream already read" in message


def unexpected_logs(dash_duo) -> list[dict]:
    """Console entries other than those a page open across sign-out may log."""
    return [entry for entry in dash_duo.get_logs() if not expected_after_sign_out(entry["message"])]


def test_hel901_back_after_sign_out_shows_no_data(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)  # signed in as the demo viewer through /login (tests/browser/conftest.py)
    dash_duo.wait_for_text_to_equal(KPI, f"{validations_this_month(app_store):,}", timeout=15)
    dash_duo.driver.set_window_size(1280, 1800)
    dash_duo.driver.get(f"{dash_duo.server_url}/leaderboard")
    dash_duo.wait_for_text_to_equal(FIRST_NAME, leader_name(app_store), timeout=15)

    dash_duo.find_element("#sign-out").click()
    WebDriverWait(dash_duo.driver, 10).until(lambda driver: "/login" in driver.current_url)
    dash_duo.wait_for_element("#email")

    dash_duo.driver.back()
    # The browser asks for /leaderboard again (no-store) and the guard sends it to sign in.
    WebDriverWait(dash_duo.driver, 10).until(lambda driver: "/login" in driver.current_url)
    dash_duo.wait_for_element("#email")
    time.sleep(1.0)  # a page restored from the back-forward cache would have drawn by now
    assert "/login?next=/leaderboard" in dash_duo.driver.current_url
    assert dash_duo.find_elements(GRID_ROWS) == [] and dash_duo.find_elements(KPI) == []
    assert leader_name(app_store) not in dash_duo.driver.page_source
    assert unexpected_logs(dash_duo) == []


def test_hel902_a_signed_out_session_sends_an_open_page_to_sign_in(dash_duo, dash_app, app_store):
    """Signing out in another tab: the open page's next callback gets a 401 and the page goes to /login."""
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_text_to_equal(KPI, f"{validations_this_month(app_store):,}", timeout=15)
    cookie = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}["helios_session"]
    # The same session, signed out from elsewhere (another tab posting the navbar's form).
    server = urlsplit(dash_duo.server_url)
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=10)
    connection.request("POST", "/logout", headers={"Cookie": f"helios_session={cookie}",
                                                   "Origin": f"{server.scheme}://{server.netloc}"})
    assert connection.getresponse().status == 303
    connection.close()
    # The live-update tick (every second here) meets the 401 and the page leaves for /login.
    WebDriverWait(dash_duo.driver, 15).until(lambda driver: "/login" in driver.current_url)
    dash_duo.wait_for_element("#email")
    assert dash_duo.find_elements(KPI) == []
    assert unexpected_logs(dash_duo) == []

