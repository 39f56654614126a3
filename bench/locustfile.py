"""Locust users for bench/load.py: browse the five pages, download exports, poll the data version.

Configured by bench/load.py through the environment:
- HELIOS_LOAD_HOSTS: base URLs, comma-separated; users are dealt to them in turn, as a
  round-robin load balancer would deal browsers;
- HELIOS_LOAD_PAGES: the JSON file of bench/page_requests.py (what each page load sends);
- HELIOS_LOAD_THINK: seconds a user waits between actions, "low-high";
- HELIOS_LOAD_ACCOUNTS: e-mail addresses, comma-separated; each simulated user signs in (on
  start, through POST /login) as the next one, so that with as many addresses as users each has
  a session and rate-limit budget of its own, as real people would. Default: the demo viewer;
- HELIOS_LOAD_PASSWORD: their password (default: the demo password).
Cookie-authenticated POSTs carry the server's own Origin, as a browser's do (else 403).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.signin import DEMO_PASSWORD, DEMO_VIEWER, origin  # noqa: E402

HOSTS = itertools.cycle(os.environ.get("HELIOS_LOAD_HOSTS", "http://127.0.0.1:8050").split(","))
PAGES = json.loads(open(os.environ["HELIOS_LOAD_PAGES"]).read()) if "HELIOS_LOAD_PAGES" in os.environ else {}
THINK = [float(part) for part in os.environ.get("HELIOS_LOAD_THINK", "1-5").split("-")]
ACCOUNTS = itertools.cycle(os.environ.get("HELIOS_LOAD_ACCOUNTS", DEMO_VIEWER).split(","))
PASSWORD = os.environ.get("HELIOS_LOAD_PASSWORD", DEMO_PASSWORD)
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
    # Redirects are answers, not followed: the sign-in's 303 carries the session cookie, and a lost
    # session's 302 to /login must count as a failure, not as a fast page. (Not allow_redirects=False:
    # Locust 2.37 sets a misspelt attribute of geventhttpclient for it and fails.)
    max_redirects = 0

    def __init__(self, environment):
        super().__init__(environment)
        self.base = next(HOSTS)
        self.email = next(ACCOUNTS)
        self.origin = origin(self.base)

    def on_start(self):
        """Sign in, as a person opening the dashboard does first; the client's jar keeps the session cookie.

        Sent through the client's own user agent, below Locust's statistics: a sign-in happens
        once a session, while users are still being started, and the targets are about what
        follows. A failed one is still counted, as a failure named "sign in".
        """
        form = urlencode({"email": self.email, "password": PASSWORD})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin, **CLOSE}
        try:
            response = self.client.client.urlopen(self.base + "/login", method="POST", payload=form, headers=headers)
            outcome = response.status_code
            response.content  # read to the end: the connection is then done with
        except Exception as error:  # a refusal (401, 429) raises in the user agent
            outcome = error
        if outcome != 303:
            self.environment.events.request.fire(
                request_type="POST", name="sign in", response_time=0, response_length=0, response=None,
                context={}, exception=RuntimeError(f"sign-in as {self.email}: {outcome}"))

    def send(self, page: str, request: dict) -> None:
        url = self.base + request["path"]
        if request["method"] == "GET":
            name = f"{page} page" if request["kind"] == "page" else request["path"]
            with self.client.get(url, headers=dict(CLOSE), name=name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{request['path']} answered {response.status_code}")
        else:
            self.post(url, request["body"], f"{page} callbacks")

    def post(self, url: str, body: str, name: str) -> None:
        # A new headers dict each time: the HTTP client writes into the one it gets (a retry
        # after a closed keep-alive connection added a stale Content-Length to a shared one).
        self.client.post(url, data=body.encode(), name=name,
                         headers={"Content-Type": "application/json", "Origin": self.origin, **CLOSE})

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
