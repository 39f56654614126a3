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


LAYOUT_BOXES = """
const chart = document.querySelector(arguments[0]);
const rect = (selector) => {
    const element = chart.querySelector(selector);
    if (!element) { return null; }
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
};
return {paper: rect(".main-svg"), plot: rect(".nsewdrag"), title: rect(".gtitle"), modebar: rect(".modebar"),
        legend: rect(".legend"), xtitle: rect(".xtitle"), ytitle: rect(".ytitle"), note: rect(".annotation")};
"""


def overlap(one: dict | None, other: dict | None) -> bool:
    if not one or not other:
        return False
    return one["left"] < other["right"] and other["left"] < one["right"] and \
        one["top"] < other["bottom"] and other["top"] < one["bottom"]


def inside(part: dict | None, whole: dict) -> bool:
    return part is None or (part["left"] >= whole["left"] - 1 and part["right"] <= whole["right"] + 1
                            and part["top"] >= whole["top"] - 1 and part["bottom"] <= whole["bottom"] + 1)


@pytest.mark.parametrize("path", FIRST_CHART)
def test_hel140_on_a_phone_title_toolbar_and_legend_do_not_overlap_and_axis_titles_show(dash_duo, dash_app, path):
    open_on_phone(dash_duo, dash_app, path)
    chart = FIRST_CHART[path]
    wait_for_chart(dash_duo, chart)
    dash_duo.wait_for_element(f"#{chart} .gtitle", timeout=15)
    dash_duo.wait_for_element(f"#{chart} .xtick", timeout=15)  # drawn with its data
    boxes = dash_duo.driver.execute_script(LAYOUT_BOXES, f"#{chart}")
    assert not overlap(boxes["title"], boxes["modebar"]), boxes
    assert not overlap(boxes["title"], boxes["legend"]), boxes
    assert not overlap(boxes["legend"], boxes["xtitle"]), boxes
    assert not overlap(boxes["title"], boxes["note"]), boxes  # e.g. the Overview's "today so far"
    for part in ("title", "xtitle", "ytitle", "legend"):
        assert inside(boxes[part], boxes["paper"]), (part, boxes)
    assert dash_duo.get_logs() == []


def test_hel130_on_a_phone_the_leaderboard_gives_its_width_to_the_data(dash_duo, dash_app):
    open_on_phone(dash_duo, dash_app, "/leaderboard")
    wait_for_chart(dash_duo, "leaderboard-chart")
    dash_duo.wait_for_element("#leaderboard-chart .xtick", timeout=15)
    boxes = dash_duo.driver.execute_script(LAYOUT_BOXES, "#leaderboard-chart")
    share = (boxes["plot"]["right"] - boxes["plot"]["left"]) / (boxes["paper"]["right"] - boxes["paper"]["left"])
    assert share > 0.8, boxes  # the names sat beside the rows and took three quarters of the width
    dash_duo.wait_for_contains_text("#leaderboard-chart .annotation", "#1 ", timeout=5)  # names above the rows
    assert dash_duo.get_logs() == []
