"""What the browser tests share: signing in, waiting for charts, reading the URL, adding data."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pandas as pd

from helios_dash.schema import validations


def wait_for_chart(dash_duo, graph_id: str, timeout: float = 15) -> None:
    """Wait until the plotly graph ``graph_id`` has drawn its SVG."""
    dash_duo.wait_for_element(f"#{graph_id} .main-svg", timeout=timeout)


def current_query(dash_duo) -> dict[str, list[str]]:
    """The address bar's query string, parsed."""
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def add_validations(store, algorithm_id: str, domain_id: str, count: int, quality: float = 99.0) -> None:
    """Insert ``count`` validations dated now, through the store's write path."""
    now = pd.Timestamp(datetime.now(timezone.utc))
    with store.write() as conn:  # ids come from the validations sequence
        rows = pd.DataFrame({
            "algorithm_id": [algorithm_id] * count, "domain_id": domain_id,
            "quality": quality, "confidence": 0.9, "speedup": 2.0, "tests": 5, "validator": "browser-test",
            "created_at": now,
        })
        store.append_frame(conn, validations, rows)


DEMO_PASSWORD = "helios-demo"


def fill_sign_in_form(dash_duo, email: str, password: str = DEMO_PASSWORD, timeout: float = 10) -> None:
    """On the /login page: type the credentials, submit, and wait to be sent on."""
    from selenium.webdriver.support.ui import WebDriverWait

    dash_duo.wait_for_element("#email").send_keys(email)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#sign-in").click()
    WebDriverWait(dash_duo.driver, timeout).until(lambda driver: "/login" not in driver.current_url)


def open_shared_link(dash_duo, url: str, email: str = "viewer@demo.helios") -> None:
    """Open ``url`` as a colleague would: a browser with no cookies, sent to sign in, then back to
    exactly that address. Only the URL carries the view."""
    # Leave the page first: its callbacks still in flight would otherwise either reach the server
    # without the cookie (a 401 in the console) or bring the session cookie back in their answer.
    dash_duo.driver.get("about:blank")
    dash_duo.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    dash_duo.driver.get(url)
    assert "/login?next=" in dash_duo.driver.current_url, dash_duo.driver.current_url
    fill_sign_in_form(dash_duo, email)
    assert dash_duo.driver.current_url == url, (dash_duo.driver.current_url, url)
