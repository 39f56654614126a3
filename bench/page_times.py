"""Time from navigation to every chart drawn, per page, in the project's headless Chromium.

    .venv/bin/python bench/page_times.py [--runs 5] [--validations 200000]

Serves the dashboard (threaded werkzeug, one process) over a temporary demo store, signs the
browser in as the demo viewer through the /login form (not timed), then for each page loads
it ``--runs`` times in a fresh tab state and waits until every plotly graph
on it has drawn its SVG and no Dash component is loading. The first load of a page (cold
caches) is reported apart from the median of the warm ones.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.signin import sign_in_browser  # noqa: E402
from helios_dash import create_app  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402

PORT = 8191
DRAWN = """
const pending = document.querySelector("[data-dash-is-loading='true']");
const drawn = Array.from(document.querySelectorAll('.dash-graph')).every(g => g.querySelector('.main-svg'));
return document.querySelectorAll('.dash-graph').length > 0 && drawn && !pending;
"""


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def time_to_charts(driver, url: str, timeout: float = 60) -> float:
    started = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - started < timeout:
        if driver.execute_script(DRAWN):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"{url}: charts not drawn within {timeout} s")


def pages(store) -> dict[str, str]:
    import sqlalchemy as sa

    ids = store.read(sa.text("SELECT algorithm_id, count(*) AS n FROM validations GROUP BY 1 ORDER BY n DESC LIMIT 3"))
    first, *others = ids["algorithm_id"].tolist()
    return {"Overview": "/", "Domains": "/domains", "Trends": "/trends", "Compare": f"/compare?algorithms={first},"
            + ",".join(others), "Leaderboard": "/leaderboard", "Algorithm": f"/algorithms/{first}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--validations", type=int, default=200_000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"duckdb:///{Path(tmp) / 'pages.duckdb'}",
                                  demo_validations=args.validations))
        from helios_dash.runtime import RUNTIME_KEY

        server = make_server("127.0.0.1", PORT, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = browser()
        try:
            sign_in_browser(driver, f"http://127.0.0.1:{PORT}")
            print(f"{args.validations:,} validations; {args.runs} loads per page after the first")
            print("| page | first load s | median s | max s |")
            print("|---|---:|---:|---:|")
            for name, path in pages(app.server.extensions[RUNTIME_KEY].store).items():
                url = f"http://127.0.0.1:{PORT}{path}"
                cold = time_to_charts(driver, url)
                warm = [time_to_charts(driver, url) for _ in range(args.runs)]
                print(f"| {name} | {cold:.2f} | {statistics.median(warm):.2f} | {max(warm):.2f} |")
        finally:
            driver.quit()
            server.shutdown()


if __name__ == "__main__":
    main()
