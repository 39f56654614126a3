"""Overview page in headless Chromium: load, URL state, live updates, pause."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import sqlalchemy as sa

from helios_dash.schema import validations
from tests.browser.helpers import add_validations, current_query, open_shared_link, wait_for_chart
from tests.conftest import POLL_SECONDS

KPI = "[data-kpi='total_validations']"


def validations_this_month(store, domain: str | None = None) -> int:
    """Counted with plain SQL, independently of the page's services."""
    now = datetime.now(timezone.utc)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    stmt = sa.select(sa.func.count()).select_from(validations).where(validations.c.created_at >= first)
    if domain:
        stmt = stmt.where(validations.c.domain_id == domain)
    return store.scalar(stmt)


def kpi_value(dash_duo) -> int:
    return int(dash_duo.find_element(KPI).text.replace(",", ""))


def test_hel001_overview_draws_with_true_numbers(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    wait_for_chart(dash_duo, "overview-trend")
    dash_duo.wait_for_contains_text(KPI, f"{validations_this_month(app_store):,}", timeout=10)
    assert dash_duo.find_elements("#overview-top tbody tr")  # the leaders table has rows
    assert dash_duo.get_logs() == []


def test_hel002_filter_goes_to_url_and_url_restores_view(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_element(KPI)
    dash_duo.select_dcc_dropdown("#overview-domain", value="Quantum")
    expected = f"{validations_this_month(app_store, 'quantum'):,}"
    dash_duo.wait_for_contains_text(KPI, expected, timeout=10)
    deadline = time.time() + 5
    while current_query(dash_duo).get("domain") != ["quantum"] and time.time() < deadline:
        time.sleep(0.1)
    assert current_query(dash_duo) == {"domain": ["quantum"]}
    shared = dash_duo.driver.current_url
    open_shared_link(dash_duo, shared)  # a fresh browser: only the URL carries the view
    dash_duo.wait_for_contains_text(KPI, expected, timeout=10)
    assert "Quantum" in dash_duo.find_element("#overview-domain").text
    assert dash_duo.get_logs() == []


def test_hel003_back_button_returns_to_previous_view(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_element(KPI)
    everything = dash_duo.find_element(KPI).text
    dash_duo.select_dcc_dropdown("#overview-domain", value="Quantum")
    dash_duo.wait_for_contains_text(KPI, f"{validations_this_month(app_store, 'quantum'):,}", timeout=10)
    dash_duo.driver.back()
    dash_duo.wait_for_contains_text(KPI, everything, timeout=10)
    assert "domain" not in current_query(dash_duo)


def test_hel004_malformed_url_value_shows_a_notice(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/?type=magic&tz=Mars/Base")
    dash_duo.wait_for_contains_text(".alert-warning", "magic", timeout=10)
    notices = " ".join(e.text for e in dash_duo.find_elements(".alert-warning"))
    assert "Mars/Base" in notices
    dash_duo.wait_for_element(KPI)


def test_hel005_live_update_and_pause(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_element(KPI)
    before = kpi_value(dash_duo)
    add_validations(app_store, "warm-started-vqe", "quantum", 7)
    # the page must move within two poll intervals (plus a second of slack for the browser)
    dash_duo.wait_for_contains_text(KPI, f"{before + 7:,}", timeout=2 * POLL_SECONDS + 1)
    dash_duo.find_element("#live-pause").click()
    time.sleep(POLL_SECONDS)  # let a poll already in flight land
    paused_at = kpi_value(dash_duo)
    add_validations(app_store, "warm-started-vqe", "quantum", 3)
    time.sleep(3 * POLL_SECONDS)
    assert kpi_value(dash_duo) == paused_at
    dash_duo.find_element("#live-pause").click()
    dash_duo.wait_for_contains_text(KPI, f"{paused_at + 3:,}", timeout=2 * POLL_SECONDS + 1)
