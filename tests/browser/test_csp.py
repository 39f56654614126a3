"""Every page under the Content-Security-Policy in headless Chromium: it works, and nothing is refused."""
from __future__ import annotations

import pytest
from dash.testing.wait import until

from tests.browser.helpers import wait_for_chart
from tests.browser.test_leaderboard import FIRST_NAME

PAGES = {  # path: the charts it draws
    "/": ["overview-trend"],
    "/domains": ["domains-chart"],
    "/trends": ["trends-quality", "trends-speedup", "trends-count"],
    "/compare?algorithms=warm-started-vqe,code-based-kem": ["compare-metrics-chart", "compare-trends"],
    "/leaderboard": ["leaderboard-chart"],
}
# Installed before any page script runs, so a refusal the console might not show is still seen.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI || "inline"}`));
"""
TRACES = "const gd = document.querySelector('#{} .js-plotly-plot'); return gd && gd.data ? gd.data.length : 0;"
TO_PNG = """
const done = arguments[arguments.length - 1];
Plotly.toImage(document.querySelector('#{} .js-plotly-plot'), {{format: 'png', width: 400, height: 300}})
    .then((url) => done(url.slice(0, 22)), (error) => done(String(error)));
"""
# WebDriver's own scripts bypass the policy; a script element added to the page does not.
INLINE_PROBE = """
const script = document.createElement("script");
script.textContent = "window.inlineScriptRan = true;";
document.head.appendChild(script);
return Boolean(window.inlineScriptRan);
"""


def open_under_watch(dash_duo, dash_app, path: str) -> None:
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.set_window_size(1280, 1800)
    dash_duo.driver.get(f"{dash_duo.server.url}{path}")


def wait_until_drawn(dash_duo, chart: str) -> None:
    """Wait for the chart's SVG and for its data (the empty first draw does not count)."""
    wait_for_chart(dash_duo, chart)
    until(lambda: dash_duo.driver.execute_script(TRACES.format(chart)) > 0, timeout=15)


@pytest.mark.parametrize("path", PAGES)
def test_hel901_every_page_works_under_the_csp_and_nothing_is_refused(dash_duo, dash_app, path):
    open_under_watch(dash_duo, dash_app, path)
    for chart in PAGES[path]:
        wait_until_drawn(dash_duo, chart)
        titles = [button.get_attribute("data-title") for button in dash_duo.find_elements(f"#{chart} .modebar-btn")]
        assert titles and "Share chart..." not in titles  # plotly.js 4's upload to Plotly's cloud
    if path == "/leaderboard":
        dash_duo.wait_for_element(FIRST_NAME, timeout=15)  # the grid drew its rows, formatters and all
    first = PAGES[path][0]  # "download plot as png" draws through data: and blob: images
    assert dash_duo.driver.execute_async_script(TO_PNG.format(first)) == "data:image/png;base64,"
    assert dash_duo.driver.execute_script("return window.cspViolations") == []
    assert dash_duo.get_logs() == []
    # The policy is in force, and a refusal would have been seen above.
    assert dash_duo.driver.execute_script(INLINE_PROBE) is False
    assert dash_duo.driver.execute_script("return window.cspViolations") == ["script-src-elem refused inline"]
