"""/api/docs in headless Chromium under the dashboard's Content-Security-Policy: Swagger UI draws every
operation of /api/v1/openapi.json, from files of this server only, and nothing is refused."""
from __future__ import annotations

from tests.browser.test_csp import RECORD_VIOLATIONS

RESOURCES = "return performance.getEntriesByType('resource').map((entry) => entry.name);"


def test_hel950_api_docs_render_offline_under_the_csp(dash_duo, dash_app):
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.get(f"{dash_duo.server.url}/api/docs")
    dash_duo.wait_for_element(".opblock-summary-path[data-path='/api/v1/leaderboard']", timeout=20)
    drawn = {element.get_attribute("data-path") for element in dash_duo.find_elements(".opblock-summary-path")}
    document = dash_duo.driver.execute_script("return fetch('/api/v1/openapi.json').then((r) => r.json());")
    assert drawn == set(document["paths"])  # every documented path has its block
    assert dash_duo.driver.execute_script("return window.cspViolations") == []
    loaded = dash_duo.driver.execute_script(RESOURCES)
    assert loaded and all(url.startswith(dash_duo.server.url) for url in loaded), loaded
    assert dash_duo.get_logs() == []
