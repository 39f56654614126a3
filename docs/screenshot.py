"""Take the README's screenshots with the project's own headless Chromium.

    .venv/bin/python docs/screenshot.py

Serves the dashboard over a temporary demo store (200,000 validations) and
saves one PNG per page into docs/.
"""
from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from helios_dash import create_app  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402

SHOTS = {  # file name: (path and query, an element that shows the page is drawn)
    "overview.png": ("/", "#overview-trend .main-svg"),
    "leaderboard.png": ("/leaderboard", "#leaderboard-chart .main-svg"),
    "trends.png": ("/trends?granularity=week&split=domain", "#trends-quality .main-svg"),
}


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"duckdb:///{Path(tmp) / 'shots.duckdb'}"))
        server = make_server("127.0.0.1", 8062, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = browser()
        try:
            for name, (path, ready) in SHOTS.items():
                driver.get(f"http://127.0.0.1:8062{path}")
                WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ready)))
                WebDriverWait(driver, 30).until_not(ec.presence_of_element_located(
                    (By.CSS_SELECTOR, "[data-dash-is-loading='true']")))
                driver.save_screenshot(str(DOCS / name))
                print(f"saved docs/{name}")
        finally:
            driver.quit()
            server.shutdown()


if __name__ == "__main__":
    main()
