"""Signing benchmark clients in: a session cookie over HTTP, the /login form in Chromium, accounts of their own.

Every page, callback and API request needs a signed-in user (issue 10). Cookie-authenticated
POSTs (Dash callbacks, exports) must also carry the server's own ``Origin``, as a browser does.
"""
from __future__ import annotations

import http.client
import secrets
import time
import urllib.request
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

DEMO_VIEWER = "viewer@demo.helios"  # exists while HELIOS_DEMO_DATA=1 (the default)
DEMO_PASSWORD = "helios-demo"
BENCH_PASSWORD = "bench-password-not-a-secret"  # accounts this folder creates (at least 12 characters)
SESSION_COOKIE = "helios_session"


def sign_in(base: str, email: str = DEMO_VIEWER, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Sign in at ``base``/login; the headers that make a request part of that session (cookie and Origin)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        # Not urllib: it would follow the 303 and drop the Set-Cookie of the answer that carries it.
        connection.request("POST", "/login", urlencode({"email": email, "password": password}),
                           {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin(base)})
        response = connection.getresponse()
        response.read()
        cookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie.load(header)
    finally:
        connection.close()
    if response.status != 303 or SESSION_COOKIE not in cookie:
        raise RuntimeError(f"sign-in as {email} at {base} answered {response.status}, no session cookie")
    return {"Cookie": f"{SESSION_COOKIE}={cookie[SESSION_COOKIE].value}", "Origin": origin(base)}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 30x is the answer (an HTTPError): a lost session must not pass as /login's 200


_OPENER = urllib.request.build_opener(_NoRedirects)


def open_unredirected(request: urllib.request.Request, timeout: float = 300):
    """``urllib.request.urlopen`` that does not follow redirects: a 302 to /login raises HTTPError 302."""
    return _OPENER.open(request, timeout=timeout)


def origin(base: str) -> str:
    """``scheme://host:port`` of ``base``: what a browser sends as Origin from the server's own pages."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in_browser(driver, base: str, email: str = DEMO_VIEWER, password: str = DEMO_PASSWORD,
                    timeout: float = 30) -> None:
    """Sign ``driver`` (Selenium) in through the /login form, as a person would.

    It lands on /account (a plain template, no script): not on a dashboard page, whose load
    would fill the browser's and the server's caches before a benchmark's "first" load.
    """
    from selenium.webdriver.common.by import By

    driver.get(base.rstrip("/") + "/login?next=/account")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    deadline = time.monotonic() + timeout
    while urlsplit(driver.current_url).path == "/login":  # the 303 leads away from /login on success
        if time.monotonic() > deadline:
            raise RuntimeError(f"sign-in as {email} at {base} did not leave /login")
        time.sleep(0.05)


def account_env() -> dict[str, str]:
    """What a server outside demo mode needs besides an admin account: a secret key of its own."""
    return {"HELIOS_DEMO_DATA": "0", "HELIOS_SECRET_KEY": secrets.token_hex(32)}


def add_accounts(database_url: str, emails: list[str], role: str = "viewer", password: str = BENCH_PASSWORD) -> None:
    """Create ``emails`` with ``role`` (an existing address is left as it is), and one admin, so a
    server outside demo mode agrees to start. DuckDB: call it before the server holds the file."""
    from helios_dash.accounts.users import create_user
    from helios_dash.domain.principal import command_line
    from helios_dash.errors import Conflict
    from helios_dash.store import open_store

    store = open_store(database_url)
    try:
        for email, as_role in [("admin@bench.helios", "admin"), *((email, role) for email in emails)]:
            try:
                create_user(store, command_line("bench"), email, password, as_role)
            except Conflict:
                pass
    finally:
        store.close()
