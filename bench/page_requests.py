"""Record the requests headless Chromium makes to load each page, for replay by bench/locustfile.py.

    .venv/bin/python bench/page_requests.py http://127.0.0.1:8050 out.json [--compare ID,ID,ID]
                                            [--email viewer@demo.helios] [--password helios-demo]

The browser first signs in through the /login form (default: the demo viewer, demo mode);
the recorded requests then carry no credentials of their own: the replaying client signs in.

A script added before any page script wraps ``fetch``, which Dash uses for ``/_dash-layout``,
``/_dash-dependencies`` and every ``/_dash-update-component``; so the bodies are exactly what
the renderer sent, chained callbacks included, in the order it sent them. Interval ticks of the
live poll are left out (they are a task of their own); its first call, made on every load, stays.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.page_times import DRAWN, browser  # noqa: E402  the same Chromium and "charts drawn" test
from bench.signin import DEMO_PASSWORD, DEMO_VIEWER, sign_in_browser  # noqa: E402

RECORD_FETCH = """
window.__heliosRequests = [];
const originalFetch = window.fetch;
window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    const method = (init && init.method) || (typeof input === "string" ? "GET" : input.method) || "GET";
    const body = init && typeof init.body === "string" ? init.body : null;
    window.__heliosRequests.push({url: url, method: method.toUpperCase(), body: body});
    return originalFetch.apply(this, arguments);
};
"""
POLL_TICK = "live-poll.n_intervals"


def page_paths(compare: str | None) -> dict[str, str]:
    """The five pages of the navbar; Compare with the given algorithms (it draws nothing without)."""
    return {"Overview": "/", "Domains": "/domains", "Trends": "/trends",
            "Compare": f"/compare?algorithms={compare}" if compare else "/compare", "Leaderboard": "/leaderboard"}


def record_page(driver: webdriver.Chrome, base: str, path: str, quiet: float = 1.5, timeout: float = 90) -> list[dict]:
    """The requests a load of ``path`` makes: the page itself, then every fetch until charts are drawn."""
    driver.get(base + path)
    deadline, seen, quiet_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = driver.execute_script("return window.__heliosRequests.length")
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since > quiet and driver.execute_script(DRAWN):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"{path}: charts not drawn within {timeout} s")
    fetched = driver.execute_script("return window.__heliosRequests")
    requests = [{"kind": "page", "method": "GET", "path": path, "body": None}]
    for item in fetched:
        if item["body"] and POLL_TICK in json.loads(item["body"]).get("changedPropIds", []):
            continue
        target = urlsplit(item["url"])
        requests.append({"kind": "fetch", "method": item["method"], "body": item["body"],
                         "path": target.path + (f"?{target.query}" if target.query else "")})
    return requests


def record(base: str, compare: str | None, email: str = DEMO_VIEWER,
           password: str = DEMO_PASSWORD) -> dict[str, list[dict]]:
    """Page name -> the requests its load makes, recorded from ``base`` signed in as ``email``."""
    driver = browser()
    try:
        sign_in_browser(driver, base, email, password)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_FETCH})
        return {name: record_page(driver, base, path) for name, path in page_paths(compare).items()}
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("output", type=Path)
    parser.add_argument("--compare", help="algorithm ids for the Compare page, comma-separated")
    parser.add_argument("--email", default=DEMO_VIEWER, help="the account the browser signs in as")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args()
    recorded = record(args.base.rstrip("/"), args.compare, args.email, args.password)
    args.output.write_text(json.dumps(recorded, indent=1))
    for name, requests in recorded.items():
        print(f"{name}: {len(requests)} requests")


if __name__ == "__main__":
    main()
