"""Locust users for bench/load.py: browse the five pages, download exports, poll the data version.

Configured by bench/load.py through the environment:
- HELIOS_LOAD_HOSTS: base URLs, comma-separated; users are dealt to them in turn, as a
  round-robin load balancer would deal browsers;
- HELIOS_LOAD_PAGES: the JSON file of bench/page_requests.py (what each page load sends);
- HELIOS_LOAD_THINK: seconds a user waits between actions, "low-high".
"""
from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, task

HOSTS = itertools.cycle(os.environ.get("HELIOS_LOAD_HOSTS", "http://127.0.0.1:8050").split(","))
PAGES = json.loads(open(os.environ["HELIOS_LOAD_PAGES"]).read()) if "HELIOS_LOAD_PAGES" in os.environ else {}
THINK = [float(part) for part in os.environ.get("HELIOS_LOAD_THINK", "1-5").split("-")]
EXPORT_FORMATS = ["csv", "xlsx", "json"]
PDF_SHARE = 0.05  # "occasionally": one export in twenty is a PDF report
# One connection per request. Kept alive, a connection idle through a user's think time is
# closed by gunicorn (keep-alive 2 s) just as the user sends on it: a browser resends such a
# request unseen, Locust counts it failed. New connections on loopback cost well under 1 ms.
CLOSE = {"Connection": "close"}


def poll_body() -> str:
    """The shell's poll callback when the interval ticks, from one recorded page load."""
    for requests in PAGES.values():
        for request in requests:
            if request["body"] and "live-data-version" in request["body"]:
                body = json.loads(request["body"])
                body["inputs"][0]["value"] = 1
                body["changedPropIds"] = ["live-poll.n_intervals"]
                return json.dumps(body)
    raise RuntimeError("no poll callback among the recorded page loads")


class Analyst(FastHttpUser):
    """One browser: loads pages as Chromium did, sometimes downloads a report, polls while open."""

    wait_time = between(*THINK)
    network_timeout = 300.0  # a PDF waiting for its slot under load: count it slow, not failed
    connection_timeout = 30.0

    def __init__(self, environment):
        super().__init__(environment)
        self.base = next(HOSTS)

    def send(self, page: str, request: dict) -> None:
        url = self.base + request["path"]
        if request["method"] == "GET":
            name = f"{page} page" if request["kind"] == "page" else request["path"]
            self.client.get(url, headers=dict(CLOSE), name=name)
        else:
            self.post(url, request["body"], f"{page} callbacks")

    def post(self, url: str, body: str, name: str) -> None:
        # A new headers dict each time: the HTTP client writes into the one it gets (a retry
        # after a closed keep-alive connection added a stale Content-Length to a shared one).
        self.client.post(url, data=body.encode(), headers={"Content-Type": "application/json", **CLOSE}, name=name)

    @task(6)
    def browse(self):
        """Load one page: its HTML, then layout, dependencies and callbacks, in the recorded order."""
        page = random.choice(list(PAGES))
        for request in PAGES[page]:
            self.send(page, request)

    @task(3)
    def poll(self):
        """The interval tick of an open page."""
        self.post(self.base + "/_dash-update-component", POLL, "poll tick")

    @task(2)
    def export(self):
        """Download the leaderboard as CSV, XLSX or JSON; now and then as a PDF report."""
        kind = "pdf" if random.random() < PDF_SHARE else random.choice(EXPORT_FORMATS)
        self.post(self.base + "/api/v1/export/leaderboard", json.dumps({"format": kind}), f"export {kind}")


POLL = poll_body() if PAGES else ""
