"""The dashboard on a phone (390x844) in headless Chromium: data on the first screen, charts laid out (issue 8, 12-14)."""
from __future__ import annotations

import pytest
from dash.testing.wait import until

from tests.browser.helpers import wait_for_chart

PHONE = (390, 844)
FIRST_CHART = {  # path: the first chart it draws
    "/": "overview-trend",
    "/domains": "domains-chart",
    "/trends": "trends-quality",
    "/compare?algorithms=warm-started-vqe,code-based-kem": "compare-metrics-chart",
    "/leaderboard": "leaderboard-chart",
}
TOGGLE = "[id*='filters-toggle']"
BOX = "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};"
VIEWPORT_HEIGHT = "return window.innerHeight;"


def open_on_phone(dash_duo, dash_app, path: str) -> None:
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    dash_duo.driver.get(f"{dash_duo.server.url}{path}")


def box(dash_duo, selector: str) -> dict:
    return dash_duo.driver.execute_script(BOX, selector)


@pytest.mark.parametrize("path", FIRST_CHART)
def test_hel120_on_a_phone_the_first_chart_starts_on_the_first_screen(dash_duo, dash_app, path):
    open_on_phone(dash_duo, dash_app, path)
    chart = FIRST_CHART[path]
    wait_for_chart(dash_duo, chart)
    dash_duo.wait_for_contains_text(TOGGLE, "active", timeout=10)
    height = dash_duo.driver.execute_script(VIEWPORT_HEIGHT)
    assert box(dash_duo, ".filter-bar")["bottom"] < height * 0.4  # the folded filters leave the screen to the data
    assert box(dash_duo, f"#{chart}")["top"] < height
    assert dash_duo.get_logs() == []


def test_hel121_the_filters_button_counts_and_opens_the_filters(dash_duo, dash_app):
    open_on_phone(dash_duo, dash_app, "/trends?domain=cryptography&granularity=day&start=2026-01-01&end=2026-02-01")
    wait_for_chart(dash_duo, "trends-quality")
    dash_duo.wait_for_text_to_equal(TOGGLE, "Filters (3 active)", timeout=10)
    assert not dash_duo.find_element("#trends-domain").is_displayed()
    dash_duo.find_element(TOGGLE).click()
    dash_duo.wait_for_element("#trends-domain", timeout=5)
    until(lambda: dash_duo.find_element("#trends-domain").is_displayed(), timeout=5)
    dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    dash_duo.driver.set_window_size(1280, 900)  # from md up the bar is always open, without the button
    until(lambda: not dash_duo.find_element(TOGGLE).is_displayed(), timeout=5)
    assert dash_duo.find_element("#trends-domain").is_displayed()
    assert dash_duo.get_logs() == []


def test_hel122_on_a_wide_screen_the_filters_show_without_a_button(dash_duo, dash_app):
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.set_window_size(1280, 900)
    dash_duo.driver.get(f"{dash_duo.server.url}/trends")
    wait_for_chart(dash_duo, "trends-quality")
    assert dash_duo.find_element("#trends-domain").is_displayed()
    assert not dash_duo.find_element(TOGGLE).is_displayed()
    assert dash_duo.get_logs() == []
