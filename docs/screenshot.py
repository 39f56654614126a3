"""Take the README's screenshots with the project's own headless Chromium.

    .venv/bin/python docs/screenshot.py

Serves the dashboard over a temporary demo store (200,000 validations) and
saves PNGs into docs/: pages on a desktop (1400x1000) and a phone (390x844),
light and dark (the theme the navbar toggle remembers, set in localStorage).
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

DESKTOP, PHONE = (1400, 1000), (390, 844)
SHOTS = {  # file name: (path and query, an element that shows the page is drawn, theme, window size)
    "overview.png": ("/", "#overview-trend .main-svg", "light", DESKTOP),
    "overview-dark.png": ("/", "#overview-trend .main-svg", "dark", DESKTOP),
    "leaderboard.png": ("/leaderboard", "#leaderboard-chart .main-svg", "light", DESKTOP),
    "trends-dark.png": ("/trends?granularity=week&split=domain", "#trends-quality .main-svg", "dark", DESKTOP),
    "leaderboard-phone.png": ("/leaderboard", "#leaderboard-chart .main-svg", "light", PHONE),
    "overview-phone-dark.png": ("/", "#overview-trend .main-svg", "dark", PHONE),
}


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--hide-scrollbars"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"duckdb:///{Path(tmp) / 'shots.duckdb'}"))
        server = make_server("127.0.0.1", 8062, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = browser()
        try:
            driver.get("http://127.0.0.1:8062/_favicon.ico")  # an origin for localStorage
            for name, (path, ready, theme, (width, height)) in SHOTS.items():
                driver.set_window_size(width, height)
                driver.execute_script("window.localStorage.setItem('helios-theme', arguments[0])", theme)
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
