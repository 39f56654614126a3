"""The Overview's period control in headless Chromium: a click writes ``period`` and the KPIs follow."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from helios_dash.schema import validations
from tests.browser.helpers import current_query

KPI = "[data-kpi='total_validations']"
SIDES = "[data-kpi-sides]"


def validations_since(store, days: int) -> int:
    """Validations of the last ``days`` UTC days, today included, by plain SQL."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    stmt = sa.select(sa.func.count()).select_from(validations).where(
        validations.c.created_at >= today - timedelta(days=days - 1))
    return store.scalar(stmt)


def test_hel030_last_7_days_goes_to_the_url_and_the_kpis(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_element(KPI)
    dash_duo.wait_for_contains_text(SIDES, "This month so far", timeout=10)
    label = next(e for e in dash_duo.find_elements("#overview-period label") if e.text == "Last 7 days")
    label.click()
    dash_duo.wait_for_contains_text(SIDES, "Last 7 days", timeout=10)
    deadline = time.time() + 5
    while current_query(dash_duo).get("period") != ["7d"] and time.time() < deadline:
        time.sleep(0.1)
    assert current_query(dash_duo) == {"period": ["7d"]}
    dash_duo.wait_for_contains_text(KPI, f"{validations_since(app_store, 7):,}", timeout=10)
    assert dash_duo.get_logs() == []


def test_hel031_a_bad_period_is_a_notice(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/?period=fortnight")
    dash_duo.wait_for_contains_text(".alert-warning", "fortnight", timeout=10)
    dash_duo.wait_for_contains_text(SIDES, "This month so far", timeout=10)
