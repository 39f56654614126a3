"""How many bytes of JavaScript the Overview page costs a browser, compressed and not.

    .venv/bin/python bench/first_page.py

Serves the dashboard on a temporary demo store, signs headless Chromium in as the demo
viewer through the /login form (it and /account load stylesheets, no script), opens /,
waits for the charts, then sums the Resource Timing entries of every script (transferSize
is what crossed the wire, decodedBodySize what it unpacked to).
A second load shows the compressed bytes again (no browser cache: a new profile).
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.signin import sign_in_browser  # noqa: E402
from helios_dash import create_app  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402

PORT = 8192
MEASURE = """
return performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'script' || e.name.endsWith('.js') || e.name.includes('.js?'))
  .map(e => [e.name, e.transferSize, e.decodedBodySize]);
"""


def measure(url: str) -> list:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    try:
        sign_in_browser(driver, url)
        driver.get(url)
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#overview-trend .main-svg")))
        time.sleep(1)
        return driver.execute_script(MEASURE)
    finally:
        driver.quit()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"duckdb:///{Path(tmp) / 'b.duckdb'}", demo_validations=20_000))
        server = make_server("127.0.0.1", PORT, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for attempt in ("first visit", "second visit (new profile)"):
            entries = measure(f"http://127.0.0.1:{PORT}/")
            wire = sum(e[1] for e in entries) / 1024
            raw = sum(e[2] for e in entries) / 1024
            print(f"{attempt}: {len(entries)} scripts, {wire:,.0f} KiB over the wire, {raw:,.0f} KiB unpacked "
                  f"({raw / wire:.1f}x)")
        server.shutdown()


if __name__ == "__main__":
    main()
