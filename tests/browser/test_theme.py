"""Dark mode in headless Chromium: the system's preference, the navbar toggle and its memory (issue 8, item 17)."""
from __future__ import annotations

import re

from dash.testing.wait import until

from tests.browser.helpers import wait_for_chart
from tests.browser.test_leaderboard import FIRST_NAME

TOGGLE = "#theme-toggle"
CHART = "leaderboard-chart"
BACKGROUNDS = """
const colour = (selector) => {
    const element = document.querySelector(selector);
    return element ? getComputedStyle(element).backgroundColor : null;
};
return {
    body: colour("body"),
    chart: colour("#leaderboard-chart .svg-container > .main-svg"),
    grid: colour("#leaderboard-grid .ag-root-wrapper"),
    notice: colour(".alert"),
    rows: [...document.querySelectorAll("#leaderboard-grid .ag-center-cols-container .ag-row")]
        .map((row) => getComputedStyle(row).backgroundColor),
    theme: document.documentElement.getAttribute("data-bs-theme"),
};
"""
TICK_COLOUR = "return getComputedStyle(document.querySelector('#leaderboard-chart .xtick text')).fill;"


def luminance(css_colour: str) -> float:
    """0 (black) to 1 (white), from ``rgb(...)``/``rgba(...)``; a transparent colour counts as unknown (-1)."""
    parts = [float(p) for p in re.findall(r"[\d.]+", css_colour)]
    if len(parts) == 4 and parts[3] == 0:
        return -1.0
    red, green, blue = parts[:3]
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def emulate(dash_duo, scheme: str) -> None:
    dash_duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def open_leaderboard(dash_duo, dash_app, scheme: str) -> None:
    dash_duo.start_server(dash_app, navigate=False)
    emulate(dash_duo, scheme)
    dash_duo.driver.set_window_size(1280, 1800)
    dash_duo.driver.get(f"{dash_duo.server.url}/leaderboard")
    wait_until_drawn(dash_duo)


def wait_until_drawn(dash_duo) -> None:
    wait_for_chart(dash_duo, CHART)
    dash_duo.wait_for_element(FIRST_NAME, timeout=15)
    dash_duo.wait_for_element(f"#{CHART} .xtick text", timeout=15)


def backgrounds(dash_duo) -> dict:
    return dash_duo.driver.execute_script(BACKGROUNDS)


def assert_dark(dash_duo) -> None:
    seen = backgrounds(dash_duo)
    assert seen["theme"] == "dark"
    for part in ("body", "chart", "grid", "notice"):
        assert 0 <= luminance(seen[part]) < 0.25, (part, seen[part])
    assert seen["rows"] and all(0 <= luminance(row) < 0.25 for row in seen["rows"])  # tier bands too
    assert luminance(dash_duo.driver.execute_script(TICK_COLOUR)) > 0.6  # light text on the dark chart


def assert_light(dash_duo) -> None:
    seen = backgrounds(dash_duo)
    assert seen["theme"] == "light"
    for part in ("body", "chart", "grid"):
        assert luminance(seen[part]) > 0.9, (part, seen[part])


def test_hel170_a_dark_system_gets_a_dark_page_chart_grid_and_notice(dash_duo, dash_app):
    open_leaderboard(dash_duo, dash_app, "dark")
    dash_duo.wait_for_text_to_equal(TOGGLE, "Light mode", timeout=10)
    assert_dark(dash_duo)
    assert dash_duo.get_logs() == []


def test_hel171_a_light_system_stays_light(dash_duo, dash_app):
    open_leaderboard(dash_duo, dash_app, "light")
    dash_duo.wait_for_text_to_equal(TOGGLE, "Dark mode", timeout=10)
    assert_light(dash_duo)
    assert dash_duo.get_logs() == []


def test_hel172_the_toggle_switches_and_a_reload_keeps_the_choice(dash_duo, dash_app):
    open_leaderboard(dash_duo, dash_app, "light")
    dash_duo.wait_for_text_to_equal(TOGGLE, "Dark mode", timeout=10)
    dash_duo.find_element(TOGGLE).click()
    dash_duo.wait_for_text_to_equal(TOGGLE, "Light mode", timeout=5)
    assert_dark(dash_duo)

    dash_duo.driver.refresh()
    wait_until_drawn(dash_duo)
    dash_duo.wait_for_text_to_equal(TOGGLE, "Light mode", timeout=10)
    assert_dark(dash_duo)

    emulate(dash_duo, "dark")  # a choice made wins over the system, both ways
    dash_duo.find_element(TOGGLE).click()
    dash_duo.wait_for_text_to_equal(TOGGLE, "Dark mode", timeout=5)
    dash_duo.driver.refresh()
    wait_until_drawn(dash_duo)
    dash_duo.wait_for_text_to_equal(TOGGLE, "Dark mode", timeout=10)
    until(lambda: backgrounds(dash_duo)["theme"] == "light", timeout=5)
    assert_light(dash_duo)
    assert dash_duo.get_logs() == []
