"""What the browser tests share: waiting for charts, reading the URL, adding data."""
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
