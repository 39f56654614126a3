"""Trends page in headless Chromium: load, URL state with page-specific options, live updates."""
from __future__ import annotations

import sqlalchemy as sa
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from tests.browser.helpers import add_validations, current_query, open_shared_link, wait_for_chart
from tests.conftest import POLL_SECONDS

CHARTS = ("trends-quality", "trends-speedup", "trends-count")


def chart_traces(dash_duo, graph_id: str) -> list[dict]:
    """The drawn traces of a chart: name and y values, as plotly decoded them."""
    # ``data`` keeps numeric arrays in their base64 transport form; ``_fullData`` holds the decoded ones.
    return dash_duo.driver.execute_script(
        f"const plot = document.querySelector('#{graph_id} .js-plotly-plot');"
        "return (plot && plot._fullData || []).map(t => ({name: t.name, y: Array.from(t.y || [])}));")


def last_count(dash_duo) -> int | None:
    """The count of the last period drawn in the count chart (None before it is drawn)."""
    traces = chart_traces(dash_duo, "trends-count")
    return traces[0]["y"][-1] if traces and traces[0]["y"] else None


def total_validations(store) -> int:
    return store.scalar(sa.text("SELECT count(*) FROM validations"))


def latest_week_count(store) -> int:
    """Validations in the (UTC, Monday-based) week of the newest validation, with plain SQL."""
    return store.scalar(sa.text(
        "SELECT count(*) FROM validations WHERE date_trunc('week', created_at) = "
        "(SELECT date_trunc('week', max(created_at)) FROM validations)"))


def open_trends(dash_duo, dash_app, search: str = "") -> None:
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/trends" + search)
    for chart in CHARTS:
        wait_for_chart(dash_duo, chart)


def test_hel201_trends_draws_three_charts_with_true_counts(dash_duo, dash_app, app_store):
    open_trends(dash_duo, dash_app, "?tz=Europe/Paris")
    dash_duo.wait_for_text_to_equal("#trends-tz-note", "Times in Europe/Paris; weeks start on Monday at midnight.")
    until(lambda: sum(chart_traces(dash_duo, "trends-count")[0]["y"]) == total_validations(app_store),
          timeout=5, msg="the weekly counts do not add up to every validation")
    assert [t["name"] for t in chart_traces(dash_duo, "trends-quality")] == ["All validations"]
    assert dash_duo.get_logs() == []


def test_hel202_split_and_rolling_go_to_url_and_url_restores_view(dash_duo, dash_app):
    open_trends(dash_duo, dash_app)
    dash_duo.driver.find_element(By.XPATH, "//*[@id='trends-split']//label[text()='Algorithm type']").click()
    until(lambda: current_query(dash_duo) == {"split": ["type"]}, timeout=5, msg="split not in the URL")
    wait_for_chart(dash_duo, "trends-quality")
    dash_duo.select_dcc_dropdown("#trends-rolling", value="4 weeks")
    until(lambda: current_query(dash_duo) == {"split": ["type"], "rolling": ["4"]}, timeout=5,
          msg="rolling not in the URL")
    names = ["Baseline, each week", "Baseline", "Hybrid, each week", "Hybrid", "Improved, each week", "Improved",
             "Novel, each week", "Novel"]
    until(lambda: [t["name"] for t in chart_traces(dash_duo, "trends-quality")] == names, timeout=10,
          msg="the quality chart is not split and smoothed")
    drawn = chart_traces(dash_duo, "trends-quality")
    shared = dash_duo.driver.current_url
    open_shared_link(dash_duo, shared)  # a fresh browser: only the URL carries the view
    wait_for_chart(dash_duo, "trends-quality")
    until(lambda: chart_traces(dash_duo, "trends-quality") == drawn, timeout=10, msg="the view was not restored")
    assert "4 weeks" in dash_duo.find_element("#trends-rolling").text
    assert dash_duo.get_logs() == []


def test_hel203_new_validations_reach_the_count_chart(dash_duo, dash_app, app_store):
    open_trends(dash_duo, dash_app)
    before = latest_week_count(app_store)
    until(lambda: last_count(dash_duo) == before, timeout=5, msg="the page never showed the current count")
    add_validations(app_store, "warm-started-vqe", "quantum", 6)
    after = latest_week_count(app_store)
    assert after != before  # else the test could not tell an updated chart from a stale one
    # the chart must move within two poll intervals (plus a second of slack for the browser)
    until(lambda: last_count(dash_duo) == after, timeout=2 * POLL_SECONDS + 1,
          msg="the last week's count did not update")
    assert dash_duo.get_logs() == []


def test_hel204_malformed_options_show_notices(dash_duo, dash_app):
    open_trends(dash_duo, dash_app, "?rolling=often&split=sideways")
    notices = " ".join(e.text for e in dash_duo.find_elements(".alert-warning"))
    assert "rolling='often'" in notices and "split='sideways'" in notices
    assert dash_duo.find_element("#trends-rolling").text.strip().startswith("Off")


def test_hel205_rolling_choices_follow_the_granularity_without_reload(dash_duo, dash_app):
    open_trends(dash_duo, dash_app, "?rolling=7")
    assert "7 weeks" in dash_duo.find_element("#trends-rolling").text
    dash_duo.driver.find_element(By.XPATH, "//*[@id='trends-granularity']//label[text()='Day']").click()
    until(lambda: current_query(dash_duo) == {"rolling": ["7"], "granularity": ["day"]}, timeout=5,
          msg="granularity not in the URL")
    dash_duo.wait_for_contains_text("#trends-rolling", "7 days", timeout=5)
    dash_duo.find_element("#trends-rolling").click()  # open the list: every choice in days
    until(lambda: [e.text for e in dash_duo.find_elements(".dash-dropdown-option")]
          == ["Off", "3 days", "4 days", "7 days", "12 days"], timeout=5,
          msg=f"rolling choices: {[e.text for e in dash_duo.find_elements('.dash-dropdown-option')]}")
    assert dash_duo.get_logs() == []
