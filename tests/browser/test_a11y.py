"""Accessibility in headless Chromium: axe-core on every page, keyboard reach, charts with text alternatives.

axe-core is vendored (tests/browser/vendor, version in its README) and injected with
WebDriver's ``execute_script``, which Chromium runs outside the page's Content-Security-Policy:
the product's policy stays as strict as it is (no inline script, no 'unsafe-eval').
"""
from __future__ import annotations

from pathlib import Path

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import wait_for_chart

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PAGES = {  # path: the charts it draws
    "/": ["overview-trend"],
    "/domains": ["domains-chart"],
    "/trends": ["trends-quality", "trends-speedup", "trends-count"],
    "/compare?algorithms=warm-started-vqe,code-based-kem": ["compare-metrics-chart", "compare-trends"],
    "/leaderboard": ["leaderboard-chart"],
    "/algorithms/warm-started-vqe": ["algorithm-trend", "algorithm-ranks"],
}
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
    (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                          targets: v.nodes.slice(0, 3).map((n) => String(n.target))}))),
    (error) => done([{id: "axe-error", impact: "critical", nodes: 0, targets: [String(error)]}]));
"""
TRACES = "const gd = document.querySelector('#{} .js-plotly-plot'); return gd && gd.data ? gd.data.length : 0;"


def open_page(dash_duo, dash_app, path: str) -> None:
    """Serve the app, open ``path`` at desktop size and wait until every chart holds its data."""
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.driver.get(f"{dash_duo.server.url}{path}")
    for chart in PAGES[path]:
        wait_for_chart(dash_duo, chart)
        until(lambda: dash_duo.driver.execute_script(TRACES.format(chart)) > 0, timeout=15)


def axe_violations(dash_duo) -> list[dict]:
    """axe-core's violations on the page as it stands: id, impact, how many nodes, the first targets."""
    dash_duo.driver.set_script_timeout(60)
    dash_duo.driver.execute_script(AXE_SOURCE)
    return dash_duo.driver.execute_async_script(RUN_AXE)


@pytest.mark.parametrize("path", PAGES)
def test_hel951_axe_finds_no_serious_or_critical_violation(dash_duo, dash_app, path):
    open_page(dash_duo, dash_app, path)
    if path == "/leaderboard":
        dash_duo.wait_for_element("#leaderboard-grid .ag-row .ag-cell[col-id='name']", timeout=15)
    violations = axe_violations(dash_duo)
    print(path, violations)  # the full list, minor and moderate too, for the record
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    assert dash_duo.get_logs() == []


FOCUSED = """
const e = document.activeElement;
return e === document.body ? "body" : (e.id || e.className || e.tagName) + " | " + (e.textContent || "").trim().slice(0, 40);
"""
TABBABLE_MODEBAR = "return Array.from(document.querySelectorAll('.modebar-btn')).filter((b) => b.tabIndex >= 0).length"
READ_CLIPBOARD = "navigator.clipboard.readText().then(arguments[0], () => arguments[0](''));"
MAX_STOPS_TO_COPY_LINK = 15  # brand, the page links, the theme and live controls, Download, then Copy link


def test_hel952_tab_reaches_copy_link_and_skips_the_chart_toolbars(dash_duo, dash_app):
    open_page(dash_duo, dash_app, "/trends")  # three charts: thirty toolbar stops before
    dash_duo.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": dash_duo.server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    until(lambda: dash_duo.driver.execute_script("return document.querySelectorAll('.modebar-btn').length") > 0,
          timeout=3)
    until(lambda: dash_duo.driver.execute_script(TABBABLE_MODEBAR) == 0, timeout=3,
          msg="chart toolbar buttons are still in the Tab order")
    dash_duo.driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    stops = []
    for _ in range(MAX_STOPS_TO_COPY_LINK):
        ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()
        stops.append(dash_duo.driver.execute_script(FOCUSED))
        if "helios-copy-link" in stops[-1]:
            break
    assert "helios-copy-link" in stops[-1], f"Copy link not reached in {len(stops)} Tab stops: {stops}"
    assert dash_duo.driver.execute_script("return document.activeElement.tagName") == "BUTTON"
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()  # Enter presses it: the page's URL is copied
    until(lambda: dash_duo.driver.execute_async_script(READ_CLIPBOARD).endswith("/trends"), timeout=5,
          msg="Enter on Copy link did not copy the page's URL")
    assert dash_duo.get_logs() == []


CHART_DATA = """
const gd = document.querySelector('#{} .js-plotly-plot');
const points = new Set();
gd._fullData.filter((t) => t.visible === true).forEach(
    (t) => Array.from(t.orientation === 'h' ? t.y : t.x).forEach((x) => points.add(String(x))));
return {{title: gd._fullLayout.title.text || '', points: points.size}};
"""


@pytest.mark.parametrize("path", PAGES)
def test_hel953_each_chart_is_named_and_shows_its_data_as_a_table(dash_duo, dash_app, path):
    open_page(dash_duo, dash_app, path)
    for chart in PAGES[path]:
        drawn = dash_duo.driver.execute_script(CHART_DATA.format(chart))
        graph = dash_duo.find_element(f"#{chart}")
        until(lambda: graph.get_attribute("aria-label"), timeout=3, msg=f"#{chart} has no accessible name")
        label = graph.get_attribute("aria-label")
        assert graph.get_attribute("role") == "figure"
        title = drawn["title"].split("<")[0].strip()
        assert title and label.startswith(title), (label, title)
        block = graph.find_element(By.XPATH, "./ancestor::div[contains(@class, 'helios-chart')][1]")
        toggle = block.find_element(By.CSS_SELECTOR, "details.helios-chart-data > summary")
        assert toggle.text == "Show data as table"
        rows = "details.helios-chart-data table tbody tr"
        assert block.find_elements(By.CSS_SELECTOR, rows) == []
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", toggle)
        toggle.click()
        until(lambda: len(block.find_elements(By.CSS_SELECTOR, rows)) == min(drawn["points"], 1000), timeout=3,
              msg=f"#{chart}'s table does not list its {drawn['points']} points")
        assert block.find_element(By.CSS_SELECTOR, "details.helios-chart-data table thead th").text
        toggle.click()
        until(lambda: not block.find_element(By.CSS_SELECTOR, "details.helios-chart-data table").is_displayed(),
              timeout=3)
    assert dash_duo.get_logs() == []
