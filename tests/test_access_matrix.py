"""The access matrix (issue 10): every Flask URL rule and every server-side Dash callback of the
dashboard has an access rule, and each answers anonymous visitors, viewers, editors and admins, by
cookie session and by token, as the issue's role table says.

The expected outcome is restated below from the issue, by path (and, for callbacks, by what they
output), never read from ``helios_dash/access/rules.py``. Every request goes through the real guard
over HTTP (Flask's test client). The figure is **0 unauthorized 2xx**; ``pytest -s`` prints the matrix.
Requests that change state (revoke a token, change a role, disable a user, sign out) each get fresh
rows of their own, so the order of requests does not matter and the signed-in accounts stay usable.
"""
from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import dash
import pytest
import sqlalchemy as sa
from dash._utils import split_callback_id, stringify_id
from flask.testing import FlaskClient

from helios_dash.access import rules
from helios_dash.accounts.api_tokens import create_token
from helios_dash.accounts.users import create_user, find_user
from helios_dash.runtime import RUNTIME_KEY
import helios_dash.api.hypotheses  # noqa: F401 - its routes, until helios_dash/api/__init__.py imports it

from tests.auth import OPERATOR, ORIGIN, PASSWORD, anonymous_client, ensure_user, signed_in_client

CALLBACK_PATH = "/_dash-update-component"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEMO_PASSWORD = "helios-demo"  # demo mode's accounts (issue 10: "Identities and sign-in")
UNKNOWN_API_PATH = "/api/v1/no-such-endpoint"
NO_WEBHOOK = "wh_" + "0" * 32

# -- the role table, restated (independent of rules.py) ----------------------------------
PUBLIC, READ, EXPORT, WRITE, ADMIN, ACCOUNT, ADMIN_FORMS = (
    "public", "read", "export", "write", "admin", "account", "admin-forms")
ROLE_MAY = {  # "viewer: read every page, API GET and exports; editor: also write; admin: also users, tokens, audit"
    "viewer": {READ, EXPORT},
    "editor": {READ, EXPORT, WRITE},
    "admin": {READ, EXPORT, WRITE, ADMIN},
}
SCOPE_OF = {READ: "read", EXPORT: "export", WRITE: "write", ADMIN: "admin"}  # what a token must carry
ALL_SCOPES = ("read", "write", "export", "admin")


def requirement(method: str, path: str, callback_output: str | None = None) -> str:
    """What the issue says a request needs, from its path (and a callback's outputs) alone."""
    if path == CALLBACK_PATH:
        # A callback that fills a dcc.Download (id type "download") sends a file: an export.
        return EXPORT if '"type":"download"' in (callback_output or "") else READ
    if path in ("/login", "/_favicon.ico") or path.startswith(("/static/", "/assets/", "/_dash-component-suites/")):
        return PUBLIC  # sign-in, and the files every page (the sign-in page too) loads
    if path in ("/api/", UNKNOWN_API_PATH):
        return PUBLIC  # no endpoint there: a 404 envelope, nothing served
    if path in ("/api/v1/openapi.json", "/api/docs"):
        return PUBLIC  # the API's description and its page: no data, what an integrator reads first
    if path in ("/health", "/health/live", "/health/ready"):
        return PUBLIC  # health checks: probed by load balancers without credentials
    if path.startswith("/api/v1/audit") or path == "/metrics":
        return ADMIN  # the audit log; Prometheus metrics (or an allow-listed address: tests/test_metrics.py)
    if path == "/api/v1/stream/tickets":
        return READ  # a POST that writes nothing: a ticket to open /stream, which reads
    if path.startswith("/api/v1/export/"):
        return EXPORT
    if path.startswith("/api/v1/webhooks"):
        return WRITE  # webhooks: "admin and editor", reading the list and delivery log too
    if path.startswith("/api/"):
        return READ if method == "GET" else WRITE
    if path in ("/account", "/logout", "/logout/everywhere") or path.startswith("/account/"):
        return ACCOUNT  # one's own account: from a signed-in browser only
    if path.startswith("/admin/"):
        return ADMIN_FORMS  # users, everyone's tokens, the audit log: admins, from a browser only
    return READ  # every page, and what the renderer fetches to draw one


def wants_json(path: str) -> bool:
    """The API and Dash's endpoints answer refusals with the JSON envelope; pages do not."""
    # /stream, /ws/: WebSocket handshakes; /metrics: a scraper, not a browser (no redirect)
    return path.startswith(("/api/", "/_dash-", "/stream", "/ws/")) or path == "/metrics"


@dataclass
class Actor:
    """One principal of the matrix: who, how authenticated, and the client that carries it."""

    name: str
    role: str | None  # None: anonymous
    via: str  # "anonymous", "session", "bearer", "x-api-key", "query-key"
    client: FlaskClient
    user: object = None
    scopes: tuple[str, ...] | None = None  # None: a session, which carries every scope
    headers: dict = field(default_factory=dict)
    query_key: str | None = None

    @property
    def by_cookie(self) -> bool:
        return self.via in ("anonymous", "session")


def expected_refusal(actor: Actor, need: str, path: str) -> int | None:
    """None when the issue lets ``actor`` through; else the guard's status (302, 401 or 403)."""
    if need == PUBLIC:
        return None
    if actor.role is None:
        return 401 if wants_json(path) else 302
    if need in (ACCOUNT, ADMIN_FORMS) and actor.via != "session":
        return 403
    if need == ACCOUNT:
        return None
    action = ADMIN if need == ADMIN_FORMS else need
    if action not in ROLE_MAY[actor.role]:
        return 403
    if actor.scopes is not None and SCOPE_OF[action] not in actor.scopes:
        return 403
    return None


# -- the requests ---------------------------------------------------------------------------------
@dataclass
class Probe:
    """One request of the matrix; ``build(actor)`` gives the client, URL and body (fresh rows each call)."""

    label: str
    method: str
    path: str  # as sent, without the query string
    need: str
    served: set[int]  # what an allowed request answers
    build: Callable[[Actor], tuple[FlaskClient, dict]]


_serial = itertools.count(1)


def fresh_email(what: str) -> str:
    return f"matrix-{what}-{next(_serial)}@test.helios"


class Fixtures:
    """Fresh target rows for mutating requests, in the dashboard's store."""

    def __init__(self, server):
        self.server = server
        self.store = server.extensions[RUNTIME_KEY].store

    def user(self, role: str = "viewer"):
        return create_user(self.store, OPERATOR, fresh_email(role), PASSWORD, role)

    def token_of(self, user) -> int:
        return create_token(self.store, OPERATOR, user, "matrix target", ["read"])[1].id

    def session_of_fresh(self, role: str) -> FlaskClient:
        """A signed-in browser of a throwaway user: signing it out ends nobody else's session."""
        return signed_in_client(self.server, self.user(role).email)


def client_of(actor: Actor, fixtures: Fixtures, fresh_session: bool = False) -> FlaskClient:
    if fresh_session and actor.via == "session":
        return fixtures.session_of_fresh(actor.role)
    return actor.client


def fresh_hypothesis(fixtures: Fixtures) -> str:
    """A new draft hypothesis in the dashboard's store (each validation probe its own: no Conflict)."""
    from helios_dash.crypto import keyring_for
    from helios_dash.hypotheses import create_hypothesis

    settings = fixtures.server.extensions[RUNTIME_KEY].settings
    return create_hypothesis(fixtures.store, OPERATOR, "matrix hypothesis", "quantum", keyring=keyring_for(settings))["id"]


def fresh_research(fixtures: Fixtures) -> str:
    """A research project in the dashboard's store whose one hypothesis fails (benchmark without evidence:
    no validation row, so other tests' leaderboards stay as they are); its job runs at once."""
    from helios_dash.crypto import keyring_for
    from helios_dash.research import new_project, submit

    runtime = fixtures.server.extensions[RUNTIME_KEY]
    project_id = new_project(runtime.store, OPERATOR, name="matrix", domain="quantum", validator="benchmark",
                             texts=["matrix hypothesis"], evidence=None, keyring=keyring_for(runtime.settings))
    submit(runtime, project_id)
    return project_id


def route_probes(server, fixtures: Fixtures, algorithm_id: str, suite_file: str) -> dict[str, list[Probe]]:
    """Concrete requests for every URL rule, keyed by endpoint (every method but HEAD and OPTIONS)."""
    pages = sorted((page.get("path_template") or page["path"]).replace("<algorithm_id>", algorithm_id)
                   for page in dash.page_registry.values())  # every Dash page, a real algorithm's too

    def simple(path, served, method="GET", **body):
        return Probe(f"{method} {path}", method, path, requirement(method, path), served,
                     lambda actor: (actor.client, {"path": path, **body}))

    def make(method, path, served, build):
        return Probe(f"{method} {path}", method, path, requirement(method, path), served, build)

    any_method = ("GET", "POST", "PUT", "PATCH", "DELETE")
    fx = fixtures
    return {
        "static": [simple("/static/vendor/swagger-ui/swagger-ui.css", {200}),  # /api/docs's files
                   simple("/static/helios.css", {404})],
        "_dash_assets.static": [simple("/assets/helios.js", {200})],
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": [simple(suite_file, {200})],
        "/_favicon.ico": [simple("/_favicon.ico", {200})],
        "api_fallback.unknown_endpoint": [simple(path, {404}, method) for path in ("/api/", UNKNOWN_API_PATH)
                                          for method in any_method],
        "auth.login": [
            simple("/login", {200, 303}),  # a signed-in browser is sent on to ``next``
            make("POST", "/login", {401}, lambda actor: (actor.client, {"path": "/login", "data": {
                "email": fresh_email("nobody"), "password": "not the password"}})),  # a fresh e-mail: no throttle
        ],
        "/": [simple("/", {200})],
        "/<path:path>": [simple(path, {200}) for path in pages if path != "/"] + [simple("/no-such-page", {200})],
        "/_dash-layout": [simple("/_dash-layout", {200})],
        "/_dash-dependencies": [simple("/_dash-dependencies", {200})],
        "/_reload-hash": [simple("/_reload-hash", {200})],
        "api.export": [simple("/api/v1/export/leaderboard", {200}, "POST", json={"format": "json"})],
        "api.audit": [simple("/api/v1/audit", {200})],
        "api.openapi": [simple("/api/v1/openapi.json", {200})],
        "api_docs.page": [simple("/api/docs", {200})],
        "health.summary": [simple("/health", {200})],
        "health.live": [simple("/health/live", {200})],
        "health.ready": [simple("/health/ready", {200})],
        "metrics.exposition": [simple("/metrics", {200})],
        "api.validators": [simple("/api/v1/validators", {200})],
        "api.hypotheses": [simple("/api/v1/hypotheses", {200})],
        "api.hypothesis": [make("GET", "/api/v1/hypotheses/<fresh>", {200}, lambda actor: (
            actor.client, {"path": f"/api/v1/hypotheses/{fresh_hypothesis(fx)}"}))],
        "api.create_hypothesis": [simple("/api/v1/hypotheses", {201}, "POST",
                                         json={"hypothesis": "matrix", "domain": "quantum"})],
        "api.validate_hypothesis": [make("POST", "/api/v1/hypotheses/<fresh>/validate", {200}, lambda actor: (
            actor.client, {"path": f"/api/v1/hypotheses/{fresh_hypothesis(fx)}/validate",
                           "json": {"validator": "benchmark"}}))],
        # The benchmark validator without evidence fails the validation (an answer, no row): the shared
        # demo store's leaderboards, which other tests read, gain no one-validation "leader".
        "api.create_and_validate_hypothesis": [simple("/api/v1/hypotheses/validate", {201}, "POST", json={
            "hypothesis": "matrix", "domain": "quantum", "validator": "benchmark"})],
        # A record the importer refuses (quality 150): editors get past the guard to the handler's 400,
        # and the shared demo store, which other tests' numbers come from, gains no row.
        "api.ingest_validations": [simple("/api/v1/validations", {400}, "POST", json=[{
            "id": "access-matrix-1", "algorithm": "Warm-Started VQE", "domain": "quantum", "quality": 150,
            "confidence": 0.5, "speedup": 1.0, "tests": 1, "created_at": "2026-06-15T12:00:00Z"}])],
        # Research: the benchmark validator without evidence fails each hypothesis (no validation row).
        "api.research_projects": [simple("/api/v1/research", {200})],
        "api.create_research": [simple("/api/v1/research", {202}, "POST", json={
            "name": "matrix", "domain": "quantum", "hypotheses": ["matrix"], "validator": "benchmark"})],
        "api.research": [make("GET", "/api/v1/research/<fresh>", {200}, lambda actor: (
            actor.client, {"path": f"/api/v1/research/{fresh_research(fx)}"}))],
        "api.research_stream": [make("GET", "/api/v1/research/<fresh>/stream", {200}, lambda actor: (
            actor.client, {"path": f"/api/v1/research/{fresh_research(fx)}/stream"}))],
        # WebSocket handshakes, same-origin as a browser's: past the guard, the test client has no socket
        # to upgrade, and the route says so with a 400 (tests/test_websocket.py connects for real).
        "stream.stream": [make("GET", "/stream", {400}, lambda actor: (actor.client, {
            "path": "/stream", "headers": WEBSOCKET_HANDSHAKE}))],
        "api.stream_ticket": [simple("/api/v1/stream/tickets", {201}, "POST")],
        "stream.leaderboard": [make("GET", "/ws/leaderboard", {400}, lambda actor: (actor.client, {
            "path": "/ws/leaderboard", "headers": WEBSOCKET_HANDSHAKE}))],
        "api.domains": [simple("/api/v1/domains", {200})],
        "api.domain": [simple("/api/v1/domains/quantum", {200})],
        "api.algorithms": [simple("/api/v1/algorithms", {200})],
        "api.algorithm": [simple(f"/api/v1/algorithms/{algorithm_id}", {200})],
        "api.leaderboard": [simple("/api/v1/leaderboard", {200})],
        "api.domain_leaderboard": [simple("/api/v1/leaderboard/quantum", {200})],
        "api.validations": [simple("/api/v1/validations", {200})],
        "auth.logout": [make("POST", "/logout", {303},
                             lambda actor: (client_of(actor, fx, fresh_session=True), {"path": "/logout"}))],
        "auth.sign_out_everywhere": [make("POST", "/logout/everywhere", {303}, lambda actor: (
            client_of(actor, fx, fresh_session=True), {"path": "/logout/everywhere"}))],
        "account.index": [simple("/account", {200})],
        "account.create_token": [simple("/account/tokens", {200}, "POST", data={"name": "matrix", "scopes": "read"})],
        "account.revoke_token": [make("POST", "/account/tokens/<own token>/revoke", {303}, lambda actor: (
            actor.client, {"path": f"/account/tokens/{fx.token_of(actor.user or fx.user())}/revoke"}))],
        "admin.users": [simple("/admin/users", {200})],
        "admin.create_user": [make("POST", "/admin/users", {200}, lambda actor: (
            actor.client, {"path": "/admin/users", "data": {"email": fresh_email("new"), "role": "viewer"}}))],
        "admin.set_role": [make("POST", "/admin/users/<fresh user>/role", {303}, lambda actor: (
            actor.client, {"path": f"/admin/users/{fx.user().id}/role", "data": {"role": "editor"}}))],
        "admin.set_active": [make("POST", "/admin/users/<fresh user>/active", {303}, lambda actor: (
            actor.client, {"path": f"/admin/users/{fx.user().id}/active", "data": {"active": "false"}}))],
        "admin.revoke_token": [make("POST", "/admin/tokens/<fresh token>/revoke", {303}, lambda actor: (
            actor.client, {"path": f"/admin/tokens/{fx.token_of(fx.user())}/revoke"}))],
        "audit_admin.index": [simple("/admin/audit", {200})],
        "audit_admin.export": [simple("/admin/audit.csv", {200})],
        "webhooks_admin.index": [simple("/admin/webhooks", {200})],
        # A loopback URL is refused (HELIOS_WEBHOOK_ALLOW_LOOPBACK is off here): past the guard, the
        # handler's 400, and nothing is registered or sent. Unknown ids: the handler's 404.
        "api.webhooks": [simple("/api/v1/webhooks", {200})],
        "api.create_webhook": [simple("/api/v1/webhooks", {400}, "POST", json={
            "url": "http://127.0.0.1:9/matrix", "events": ["hypothesis.created"]})],
        "api.delete_webhook": [simple(f"/api/v1/webhooks/{NO_WEBHOOK}", {404}, "DELETE")],
        "api.test_webhook": [simple(f"/api/v1/webhooks/{NO_WEBHOOK}/test", {404}, "POST")],
        "api.webhook_deliveries": [simple(f"/api/v1/webhooks/{NO_WEBHOOK}/deliveries", {404})],
    }


WEBSOCKET_HANDSHAKE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                       "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://localhost"}


# What a minimal, valid callback request fills in: enough for each callback to run, as a click would.
WILDCARD_VALUES = {"page": "leaderboard", "format": "json", "domain": "quantum"}
INPUT_VALUES = {"pathname": "/leaderboard", "search": "", "n_clicks": 1, "n_intervals": 1}


def concrete(id_string: str, prop: str) -> list[dict] | dict:
    """The request's entry for one dependency: a dict, or for a wildcard id a list of matching components."""
    prop = prop.split("@")[0]  # allow_duplicate outputs carry a hash after the property
    if not id_string.startswith("{"):
        return {"id": id_string, "property": prop}
    parsed = json.loads(id_string)
    wild = [key for key, value in parsed.items() if isinstance(value, list)]
    if not wild:
        return {"id": parsed, "property": prop}
    if not all(key in WILDCARD_VALUES for key in wild):
        return []  # no such component on the page
    return [{"id": {**parsed, **{key: WILDCARD_VALUES[key] for key in wild}}, "property": prop}]


def with_value(entry):
    if isinstance(entry, list):
        return [with_value(item) for item in entry]
    return {**entry, "value": INPUT_VALUES.get(entry["property"])}


def prop_id(entry) -> str | None:
    entry = entry[0] if isinstance(entry, list) and entry else entry
    return f"{stringify_id(entry['id'])}.{entry['property']}" if entry else None


def callback_body(output: str, spec: dict) -> dict:
    """A /_dash-update-component body for the callback of ``output``, built from its callback_map entry."""
    parts = split_callback_id(output)
    outputs = [concrete(p["id"], p["property"]) for p in (parts if isinstance(parts, list) else [parts])]
    inputs = [with_value(concrete(i["id"], i["property"])) for i in spec["inputs"]]
    state = [with_value(concrete(s["id"], s["property"])) for s in spec["state"]]
    changed = prop_id(inputs[0]) if inputs else None
    return {"output": output, "outputs": outputs if isinstance(parts, list) else outputs[0], "inputs": inputs,
            "state": state, "changedPropIds": [changed] if changed else []}


def server_callbacks(app) -> dict[str, dict]:
    """Every server-side callback (clientside ones never reach the server), by its output string."""
    return {output: spec for output, spec in app.callback_map.items() if "callback" in spec}


def callback_probes(app) -> list[Probe]:
    probes = []
    for output, spec in server_callbacks(app).items():
        body = callback_body(output, spec)
        name = rules.callback_name(spec["callback"])
        probes.append(Probe(f"callback {name}", "POST", CALLBACK_PATH, requirement("POST", CALLBACK_PATH, output),
                            {200, 204}, lambda actor, body=body: (actor.client, {"path": CALLBACK_PATH, "json": body})))
    return probes


# -- the principals ---------------------------------------------------------------------------------
def actors(server, fixtures: Fixtures) -> list[Actor]:
    """Anonymous; viewer, editor, admin by session and by Bearer token (every scope the role may hold);
    read-only tokens; service keys by X-API-Key and by ?api_key=."""
    store = fixtures.store
    team = [Actor("anonymous", None, "anonymous", anonymous_client(server))]
    for role in ("viewer", "editor", "admin"):
        email = f"{role}@demo.helios"
        team.append(Actor(f"{role} session", role, "session", signed_in_client(server, email, DEMO_PASSWORD),
                          user=find_user(store, email)))

    def by_token(name, role, scopes, kind="personal", via="bearer"):
        user = ensure_user(store, role, f"matrix-{role}@test.helios")
        raw = create_token(store, OPERATOR, user, name, list(scopes), kind=kind)[0]
        actor = Actor(name, role, via, anonymous_client(server), user=user, scopes=tuple(scopes))
        if via == "bearer":
            actor.headers = {"Authorization": f"Bearer {raw}"}
        elif via == "x-api-key":
            actor.headers = {"X-API-Key": raw}
        else:
            actor.query_key = raw
        return actor

    for role in ("viewer", "editor", "admin"):
        scopes = ALL_SCOPES if role == "admin" else ("read", "write", "export")  # admin scope: admins only
        team.append(by_token(f"{role} token", role, scopes))
    team.append(by_token("viewer read-only token", "viewer", ("read",)))
    team.append(by_token("admin read-only token", "admin", ("read",)))
    team.append(by_token("admin key (X-API-Key)", "admin", ALL_SCOPES, kind="service", via="x-api-key"))
    team.append(by_token("viewer key (?api_key=)", "viewer", ("read", "export"), kind="service", via="query-key"))
    return team


# -- running the matrix -----------------------------------------------------------------------------
@dataclass
class Outcome:
    actor: Actor
    probe: Probe
    path: str  # as sent
    expected: int | None
    status: int
    location: str
    code: str | None  # the envelope's error code, for JSON answers

    def __str__(self):
        want = "allowed" if self.expected is None else self.expected
        return f"{self.actor.name}: {self.probe.label} -> {self.status} {self.code or self.location} (expected {want})"


def send(actor: Actor, probe: Probe) -> Outcome:
    client, request = probe.build(actor)
    path = request.pop("path")
    headers = {**actor.headers, **request.pop("headers", {})}
    # A browser's same-site form or fetch (cross-site ones: a test below). A sign-in always comes from a
    # browser's form, and what it authenticates next is the cookie it sets, so it carries Origin too.
    if probe.method not in SAFE_METHODS and (actor.by_cookie or path == "/login"):
        headers.update(ORIGIN)
    query = {"api_key": actor.query_key} if actor.query_key else None
    response = client.open(path, method=probe.method, headers=headers, query_string=query, **request)
    try:
        body = response.get_data()
    finally:
        response.close()
    code = None
    if response.mimetype == "application/json":
        payload = json.loads(body)
        code = payload.get("error", {}).get("code") if isinstance(payload, dict) else None
    return Outcome(actor, probe, path, expected_refusal(actor, probe.need, path), response.status_code,
                   response.headers.get("Location", ""), code)


def is_guard_refusal(outcome: Outcome) -> bool:
    """The guard's answers: 302 to /login?next=, 401 UNAUTHENTICATED envelope, 403."""
    if outcome.status == 302 and outcome.location.startswith("/login?next="):
        return True
    if outcome.status == 401 and outcome.code == "UNAUTHENTICATED":
        return True
    return outcome.status == 403


@pytest.fixture(scope="module")
def matrix(dashboard_on):
    """Every request of every principal, sent once: the outcomes the tests below judge."""
    return on_fresh_thread(run_matrix, dashboard_on("duckdb"))


def run_matrix(app) -> list[Outcome]:
    server = app.server
    anonymous_client(server).get("/login")  # Dash registers its callbacks (the Pages router too) on a first request
    fixtures = Fixtures(server)
    store = fixtures.store
    algorithm_id = store.read(sa.text("SELECT min(algorithm_id) AS id FROM validations")).iloc[0]["id"]
    page = signed_in_client(server, "viewer@demo.helios", DEMO_PASSWORD).get("/leaderboard").get_data(as_text=True)
    suite_file = re.search(r'src="(/_dash-component-suites/[^"?]+)', page).group(1)
    routes = route_probes(server, fixtures, str(algorithm_id), suite_file)
    probes = [probe for endpoint in routes.values() for probe in endpoint] + callback_probes(app)
    team = actors(server, fixtures)
    return [send(actor, probe) for actor in team for probe in probes]


def on_fresh_thread(function, *args):
    """``function(*args)`` on a thread of its own, as a WSGI server runs requests.

    The session-wide ``dashboard`` fixture keeps an app context pushed, and Flask reuses an active app
    context for every request, so ``g`` (where flask-login caches the signed-in user) would carry one
    request's user into the next: an anonymous client would act as whoever signed in last. A new thread
    starts with no context, so each request pushes, and pops, an app context of its own.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


# -- every route and callback has a rule --------------------------------------------------------------
def test_every_url_rule_and_callback_has_an_access_rule_and_no_rule_is_stale(dashboard_on):
    app = dashboard_on("duckdb")
    anonymous_client(app.server).get("/login")  # Dash's first-request setup
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    callbacks = {rules.callback_name(spec["callback"]) for spec in server_callbacks(app).values()}
    assert len(endpoints) > 20 and len(callbacks) > 20  # the whole dashboard, Pages router included
    assert "dash.dash.update" in callbacks
    assert sorted(endpoints - set(rules.ROUTES)) == [], "URL rules without an access rule"
    assert sorted(callbacks - set(rules.CALLBACKS)) == [], "Dash callbacks without an access rule"
    assert sorted(set(rules.ROUTES) - endpoints) == [], "stale ROUTES entries (no such endpoint)"
    assert sorted(set(rules.CALLBACKS) - callbacks) == [], "stale CALLBACKS entries (no such callback)"


def test_the_matrix_covers_every_url_rule_and_callback(dashboard_on, matrix):
    app = dashboard_on("duckdb")
    fixtures = Fixtures(app.server)
    routes = route_probes(app.server, fixtures, "x", "/_dash-component-suites/x")
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    assert set(routes) | {CALLBACK_PATH} == endpoints  # the callback endpoint: once per callback, below
    for rule in app.server.url_map.iter_rules():  # every method each rule accepts, but HEAD and OPTIONS
        if rule.endpoint == CALLBACK_PATH:
            continue
        methods = {probe.method for probe in routes[rule.endpoint]}
        assert methods >= set(rule.methods) - {"HEAD", "OPTIONS"}, rule.endpoint
    sent_callbacks = {o.probe.label for o in matrix if o.probe.path == CALLBACK_PATH}
    assert sent_callbacks == {f"callback {rules.callback_name(s['callback'])}"
                              for s in server_callbacks(app).values()}


# -- the figure: 0 unauthorized 2xx -----------------------------------------------------------------
def test_no_refused_request_gets_a_2xx(matrix):
    per_actor: dict[str, Counter] = {}
    for outcome in matrix:
        counts = per_actor.setdefault(outcome.actor.name, Counter())
        counts["requests"] += 1
        counts["allowed" if outcome.expected is None else f"refused {outcome.expected}"] += 1
        if outcome.expected is not None and 200 <= outcome.status < 300:
            counts["unauthorized 2xx"] += 1
    unauthorized = [str(o) for o in matrix if o.expected is not None and 200 <= o.status < 300]
    print(f"\nAccess matrix: {len(matrix)} requests, "
          f"{len({o.probe.label for o in matrix})} routes and callbacks x {len(per_actor)} principals")
    for name, counts in per_actor.items():
        print(f"  {name:26} " + ", ".join(f"{key} {counts[key]}" for key in
                                           ("requests", "allowed", "refused 302", "refused 401", "refused 403")
                                           ) + f", unauthorized 2xx {counts['unauthorized 2xx']}")
    print(f"  unauthorized 2xx: {len(unauthorized)}")
    assert len(matrix) > 500
    assert {o.expected for o in matrix} == {None, 302, 401, 403}  # every kind of answer was exercised
    assert unauthorized == [], "\n".join(unauthorized)


def test_refusals_have_the_guards_status_and_envelope(matrix):
    wrong = []
    for o in (o for o in matrix if o.expected is not None):
        if o.status != o.expected:
            wrong.append(str(o))
        elif o.expected == 302:
            next_path = parse_qs(urlsplit(o.location).query).get("next", [""])[0]
            if urlsplit(o.location).path != "/login" or next_path != o.path:  # back where they were, after sign-in
                wrong.append(f"{o} (next={next_path!r})")
        elif wants_json(o.probe.path):
            if o.code != {401: "UNAUTHENTICATED", 403: "FORBIDDEN"}[o.expected]:
                wrong.append(str(o))
    assert wrong == [], "\n".join(wrong)


def test_allowed_requests_pass_the_guard_and_are_served(matrix):
    wrong = [str(o) for o in matrix if o.expected is None and (is_guard_refusal(o) or o.status not in o.probe.served)]
    assert wrong == [], "\n".join(wrong)


def test_unsafe_requests_riding_on_the_cookie_need_the_sites_origin(dashboard_on):
    """Cross-site: a signed-in browser's POST without Origin (or with another site's) is refused, whatever the role."""
    server = dashboard_on("duckdb").server
    fixtures = Fixtures(server)

    def cross_site_posts(role):
        browser = signed_in_client(server, f"{role}@demo.helios", DEMO_PASSWORD)
        posts = [("/api/v1/export/leaderboard", {"json": {"format": "json"}}),
                 (CALLBACK_PATH, {"json": {"output": "live-poll.n_intervals", "inputs": []}}),
                 ("/account/tokens", {"data": {"name": "csrf", "scopes": "read"}}),
                 (f"/admin/users/{fixtures.user().id}/active", {"data": {"active": "false"}}),
                 ("/logout", {}),
                 ("/login", {"data": {"email": f"{role}@demo.helios", "password": DEMO_PASSWORD}})]
        statuses = {(path, str(headers)): browser.post(path, headers=headers, **body).status_code
                    for path, body in posts
                    for headers in ({}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"})}
        return statuses, browser.get("/account").status_code

    for role in ("viewer", "editor", "admin"):
        statuses, account = on_fresh_thread(cross_site_posts, role)
        assert set(statuses.values()) == {403}, statuses
        assert account == 200  # still signed in: the cross-site /logout was refused too


# -- fail closed --------------------------------------------------------------------------------------
def test_a_route_without_a_rule_is_refused(app):
    """A route added without an entry in the table is closed to everyone, admins and anonymous alike."""
    app.add_url_rule("/matrix-unlisted", "matrix_unlisted", lambda: "served")
    app.add_url_rule("/api/v1/matrix-unlisted", "api_matrix_unlisted", lambda: {"data": "served"})
    store = app.extensions[RUNTIME_KEY].store
    admin = {"Authorization": "Bearer " + create_token(store, OPERATOR, ensure_user(store, "admin"), "all",
                                                       list(ALL_SCOPES))[0]}
    client = anonymous_client(app)
    for headers in ({}, admin):
        page = client.get("/matrix-unlisted", headers=headers)
        api = client.get("/api/v1/matrix-unlisted", headers=headers)
        assert page.status_code == 403 and b"served" not in page.get_data()
        assert api.status_code == 403 and api.get_json()["error"]["code"] == "FORBIDDEN"


def test_a_callback_missing_from_the_table_is_refused(dashboard_on, monkeypatch):
    app = dashboard_on("duckdb")
    name = "helios_dash.pages.trends.update_trends_note"
    output, spec = next((o, s) for o, s in server_callbacks(app).items() if rules.callback_name(s["callback"]) == name)
    body = callback_body(output, spec)

    def post_as_admin(bodies):
        admin = signed_in_client(app.server, "admin@demo.helios", DEMO_PASSWORD)
        answers = [admin.post(CALLBACK_PATH, json=json_body, headers=ORIGIN) for json_body in bodies]
        return [(answer.status_code, (answer.get_json(silent=True) or {}).get("error", {}).get("code"))
                for answer in answers]

    assert on_fresh_thread(post_as_admin, [body]) == [(200, None)]  # listed: the admin may
    monkeypatch.delitem(rules.CALLBACKS, name)
    unlisted = [body, {**body, "output": "no-such.children"}, {"inputs": []}]
    assert on_fresh_thread(post_as_admin, unlisted) == [(403, "FORBIDDEN")] * 3


# A fresh process (a new gunicorn worker) whose first request to get through is a page change.
FIRST_REQUEST_IS_A_PAGE_CHANGE = """
import json, sys, tempfile
from helios_dash import create_app
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.settings import Settings
from tests.auth import token_for

app = create_app(Settings(database_url=f"duckdb:///{tempfile.mkdtemp()}/h.duckdb", demo_validations=500))
token = token_for(app.server.extensions[RUNTIME_KEY].store, "viewer", ("read",))
location = [{"id": "_pages_location", "property": "pathname", "value": "/leaderboard"},
            {"id": "_pages_location", "property": "search", "value": ""},
            {"id": "route-nonce", "property": "data", "value": None}]
body = {"output": ".._pages_content.children..._pages_store.data..", "inputs": location, "state": [],
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "changedPropIds": ["_pages_location.pathname"]}
answer = app.server.test_client().post("/_dash-update-component", json=body,
                                       headers={"Authorization": "Bearer " + token})
print(json.dumps({"status": answer.status_code}))
"""


def test_a_fresh_process_lets_a_viewer_change_page_first():
    """Dash Pages registers its router callback in a first-request hook: it runs before the guard."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", FIRST_REQUEST_IS_A_PAGE_CHANGE], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"status": 200}
