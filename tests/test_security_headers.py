"""Security headers on every answer (pages, static files, callbacks, API, errors), and a CSP Dash can live with."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest

from helios_dash.ui import ids

EXPECTED = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "SAMEORIGIN"}
POLL_CALLBACK = {  # the live-update tick, as the browser posts it
    "output": f"..{ids.DATA_VERSION}.data...{ids.LIVE_UPDATED}.children..",
    "outputs": [{"id": ids.DATA_VERSION, "property": "data"}, {"id": ids.LIVE_UPDATED, "property": "children"}],
    "inputs": [{"id": ids.POLL, "property": "n_intervals", "value": 1}],
    "state": [{"id": ids.DATA_VERSION, "property": "data", "value": None}],
    "changedPropIds": [f"{ids.POLL}.n_intervals"],
}


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    parts = (part.split() for part in response.headers["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def first_script(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'<script src="(/_dash-component-suites/[^"]+)"', html).group(1)


REQUESTS = {  # name: (method, path or a function of the client giving it, JSON body, expected status)
    "overview page": ("GET", "/", None, 200),
    "trends page": ("GET", "/trends", None, 200),
    "component script": ("GET", first_script, None, 200),
    "asset": ("GET", "/assets/helios.js", None, 200),
    "layout": ("GET", "/_dash-layout", None, 200),
    "callback": ("POST", "/_dash-update-component", POLL_CALLBACK, 200),
    "api export": ("POST", "/api/v1/export/algorithms", {}, 200),
    "api error": ("GET", "/api/v1/no-such-endpoint", None, 404),
    "unknown file": ("GET", "/_dash-component-suites/dash/no-such-file.js", None, 404),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_every_answer_carries_the_security_headers(dash_app, name):
    method, path, body, status = REQUESTS[name]
    client = dash_app.server.test_client()
    path = path(client) if callable(path) else path
    response = client.open(path, method=method, json=body)
    assert response.status_code == status
    assert {header: response.headers.get(header) for header in EXPECTED} == EXPECTED
    assert "Content-Security-Policy" in response.headers


def test_the_policy_allows_only_this_server_and_never_eval(dash_app):
    directives = policy(dash_app.server.test_client().get("/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    for name in ("base-uri", "frame-ancestors", "form-action", "connect-src"):
        assert directives[name] == ["'self'"]
    scripts = directives["script-src"]
    assert scripts[0] == "'self'" and all(source.startswith("'sha256-") for source in scripts[1:])
    every_source = [source for sources in directives.values() for source in sources]
    assert "'unsafe-eval'" not in every_source and "'unsafe-hashes'" not in every_source
    assert not [source for source in every_source if "//" in source or source in {"*", "http:", "https:"}]


def test_every_inline_script_of_the_index_page_is_allowed_by_its_hash(dash_app):
    response = dash_app.server.test_client().get("/")
    html = response.get_data(as_text=True)
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # the IE-only script is a comment, never run
    inline = [body for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
              if "src=" not in attributes and "application/json" not in attributes]  # JSON is data, never run
    assert len(inline) >= 2  # the renderer's start and the clientside callbacks
    allowed = set(policy(response)["script-src"])
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:200]
