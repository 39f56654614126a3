"""Sign-in as an attacker tries it, on both databases: the same answer for unknown accounts,
session fixation, cookie flags, open redirects through ``next``, idle and absolute session
limits, sign-out (here and everywhere), argon2 rehash, the audit trail, cross-site requests,
the anonymous role, and the refusal to serve without an admin and a secret key."""
from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from helios_dash import create_server
from helios_dash.access import check_ready_to_serve
from helios_dash.accounts.demo_accounts import DEMO_PASSWORD, demo_email, ensure_demo_accounts
from helios_dash.accounts.passwords import verify_password
from helios_dash.accounts.users import set_active, set_role
from helios_dash.errors import ConfigurationError
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.schema import audit_log, sessions, users
from helios_dash.settings import DEV_SECRET_KEY, Settings

from tests.auth import OPERATOR, ORIGIN, PASSWORD, anonymous_client, ensure_user, signed_in_client, token_for

COOKIE = "helios_session"
SECRET = "a-test-secret-key-that-is-not-the-default"
VIEWER = "viewer@test.helios"
EXPORT = "/api/v1/export/leaderboard"
JSON_EXPORT = {"format": "json"}


@pytest.fixture
def make_server(store_url):
    """``make_server(**settings)``: an API server over the test's store; every runtime closed after."""
    with ExitStack() as stack:
        def make(**overrides):
            settings = Settings(database_url=store_url, demo_data=False, secret_key=SECRET,
                                rate_limit_sign_in="1000 per minute", **overrides)
            server = create_server(settings)
            server.config.update(TESTING=True)
            stack.callback(server.extensions[RUNTIME_KEY].close)
            return server
        yield make


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def store(server):
    return server.extensions[RUNTIME_KEY].store


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str | None = None, headers=None):
    query = {"next": next_path} if next_path is not None else None
    return client.post("/login", data={"email": email, "password": password}, query_string=query,
                       headers=ORIGIN if headers is None else headers)


def is_signed_in(client: FlaskClient) -> bool:
    """/account answers a live session with 200 and anyone else with a redirect to /login."""
    answer = client.get("/account")
    assert answer.status_code in (200, 302), answer.status_code
    return answer.status_code == 200


def session_id(server, client: FlaskClient) -> str | None:
    """flask-login's user id inside the signed cookie: the raw server-side session id."""
    cookie = client.get_cookie(COOKIE)
    if cookie is None:
        return None
    return server.session_interface.get_signing_serializer(server).loads(cookie.value).get("_user_id")


def with_cookie(server, value: str) -> FlaskClient:
    """A fresh client presenting ``value`` as its session cookie (a copied or replayed cookie)."""
    client = anonymous_client(server)
    client.set_cookie(COOKIE, value)
    return client


def session_rows(store, user_id: int) -> int:
    return int(store.scalar(sa.select(sa.func.count()).select_from(sessions).where(sessions.c.user_id == user_id)))


def set_session_times(store, user_id: int, **values) -> None:
    with store.engine.begin() as conn:
        conn.execute(sessions.update().where(sessions.c.user_id == user_id).values(**values))


# -- the answer to a failed sign-in --------------------------------------------------------------
def test_wrong_password_and_unknown_account_answer_identically(server, store):
    ensure_user(store, "viewer")
    wrong = sign_in(anonymous_client(server), VIEWER, "not the right password")
    unknown = sign_in(anonymous_client(server), "nobody@test.helios", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    wrong_body = wrong.get_data(as_text=True).replace(VIEWER, "EMAIL")
    unknown_body = unknown.get_data(as_text=True).replace("nobody@test.helios", "EMAIL")
    assert wrong_body == unknown_body
    assert "Wrong e-mail or password." in wrong_body
    assert sorted(wrong.headers.keys()) == sorted(unknown.headers.keys())
    assert wrong.headers.get("Set-Cookie") is None and unknown.headers.get("Set-Cookie") is None


def test_a_disabled_user_cannot_sign_in_and_gets_the_same_answer(server, store):
    ensure_user(store, "viewer")
    set_active(store, OPERATOR, VIEWER, False)
    disabled = sign_in(anonymous_client(server), VIEWER)  # the right password
    unknown = sign_in(anonymous_client(server), "nobody@test.helios")
    assert disabled.status_code == 401
    assert (disabled.get_data(as_text=True).replace(VIEWER, "EMAIL")
            == unknown.get_data(as_text=True).replace("nobody@test.helios", "EMAIL"))


def test_disabling_a_user_ends_their_open_session(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    assert is_signed_in(client)
    set_active(store, OPERATOR, VIEWER, False)
    assert not is_signed_in(client)


# -- session fixation ----------------------------------------------------------------------------
def test_the_session_id_changes_at_sign_in(server, store):
    ensure_user(store, "viewer")
    ensure_user(store, "editor")
    attacker = signed_in_client(server, "editor@test.helios")
    planted = attacker.get_cookie(COOKIE).value  # the attacker's own session, planted in the victim's browser
    victim = with_cookie(server, planted)
    assert sign_in(victim, VIEWER).status_code == 303
    new_id = session_id(server, victim)
    assert new_id and new_id != session_id(server, attacker)
    # The planted cookie never names the victim: the session it carried ended when the victim signed in.
    answer = with_cookie(server, planted).get("/account")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert VIEWER not in answer.get_data(as_text=True)


def test_a_pre_sign_in_anonymous_cookie_carries_nothing_after_sign_in(server, store):
    ensure_user(store, "viewer")
    client = anonymous_client(server)
    assert sign_in(client, VIEWER).status_code == 303
    client.post("/logout", headers=ORIGIN)  # leaves a cookie (the flash), as a browser keeps one
    before = client.get_cookie(COOKIE).value
    assert session_id(server, client) is None
    assert sign_in(client, VIEWER).status_code == 303
    assert session_id(server, client) is not None
    assert not is_signed_in(with_cookie(server, before))


def test_signing_in_again_ends_the_session_it_replaces(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    first_cookie, first_id = client.get_cookie(COOKIE).value, session_id(server, client)
    assert sign_in(client, VIEWER).status_code == 303
    assert session_id(server, client) != first_id
    assert not is_signed_in(with_cookie(server, first_cookie))


# -- cookie flags ---------------------------------------------------------------------------------
def cookie_attributes(response) -> tuple[str, set[str]]:
    """(name=value, the lower-cased attribute names and name=value pairs) of the session cookie."""
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert len(headers) == 1, headers
    first, *attributes = [part.strip() for part in headers[0].split(";")]
    return first, {attribute.lower() for attribute in attributes}


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(server, store):
    ensure_user(store, "viewer")
    _, attributes = cookie_attributes(sign_in(anonymous_client(server), VIEWER))
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert "secure" not in attributes


def test_session_cookie_is_secure_when_the_public_url_is_https(make_server):
    server = make_server(public_url="https://helios.example.org/")
    ensure_user(server.extensions[RUNTIME_KEY].store, "viewer")
    response = sign_in(anonymous_client(server), VIEWER, headers={"Origin": "https://helios.example.org"})
    assert response.status_code == 303
    _, attributes = cookie_attributes(response)
    assert {"secure", "httponly", "samesite=lax"} <= attributes


# -- open redirects through next -----------------------------------------------------------------
HOSTILE_NEXT = [
    "//evil.example", "https://evil.example", "http://evil.example/login", "/\\evil.example", "\\\\evil",
    "\\/evil.example", "http:evil", "https:/evil.example", "/%2F%2Fevil", "///evil.example", "////evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "/\tevil.example", "/\t/evil.example", "/\n/evil.example", "/\r\nLocation: https://evil.example",
    "/\x00//evil.example", "/\x7f/evil.example", " //evil.example", "evil.example", "%2F%2Fevil.example",
    "/\\/evil.example", "ftp://evil.example", "//evil.example@localhost", "http://localhost@evil.example",
]


def browser_target(location: str) -> str:
    """Where a browser on http://localhost/login goes for ``location``: browsers drop tabs and
    newlines from URLs and read a backslash as a slash (the WHATWG URL standard)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    return urljoin("http://localhost/login", cleaned)


@pytest.mark.parametrize("next_path", HOSTILE_NEXT, ids=repr)
def test_next_never_leads_to_another_site(server, store, next_path):
    ensure_user(store, "viewer")
    response = sign_in(anonymous_client(server), VIEWER, next_path=next_path)
    assert response.status_code == 303
    target = urlsplit(browser_target(response.headers["Location"]))
    assert (target.scheme, target.hostname) == ("http", "localhost"), response.headers["Location"]


@pytest.mark.parametrize("next_path", ["/leaderboard?domain=a&domain=b&sort=quality", "/account",
                                       "/algorithm/algo-1?tz=Europe%2FParis", "/trends?rolling=7#chart"])
def test_next_keeps_a_path_on_this_site(server, store, next_path):
    ensure_user(store, "viewer")
    response = sign_in(anonymous_client(server), VIEWER, next_path=next_path)
    assert (response.status_code, response.headers["Location"]) == (303, next_path)


def test_a_signed_in_visit_to_login_follows_next_safely(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    assert client.get("/login", query_string={"next": "/trends?rolling=7"}).headers["Location"] == "/trends?rolling=7"
    assert client.get("/login", query_string={"next": "//evil.example"}).headers["Location"] == "/"


# -- idle timeout and absolute lifetime -----------------------------------------------------------
def test_a_session_idle_too_long_is_over_and_removed(make_server):
    server = make_server(session_idle_minutes=30, session_max_hours=12)
    store = server.extensions[RUNTIME_KEY].store
    user = ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    now = datetime.now(timezone.utc)
    set_session_times(store, user.id, last_seen_at=now - timedelta(minutes=29))
    assert is_signed_in(client)  # 29 of 30 minutes: still on (and touched again)
    set_session_times(store, user.id, last_seen_at=now - timedelta(minutes=31))
    assert not is_signed_in(client)
    assert session_rows(store, user.id) == 0


def test_a_session_older_than_its_lifetime_is_over_even_when_used(make_server):
    server = make_server(session_idle_minutes=30, session_max_hours=12)
    store = server.extensions[RUNTIME_KEY].store
    user = ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    now = datetime.now(timezone.utc)
    set_session_times(store, user.id, created_at=now - timedelta(hours=11, minutes=58), last_seen_at=now)
    assert is_signed_in(client)
    set_session_times(store, user.id, created_at=now - timedelta(hours=12, minutes=2), last_seen_at=now)
    assert not is_signed_in(client)
    assert session_rows(store, user.id) == 0


# -- sign-out -------------------------------------------------------------------------------------
def test_sign_out_removes_the_session_and_the_old_cookie_no_longer_works(server, store):
    user = ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    cookie = client.get_cookie(COOKIE).value
    assert session_rows(store, user.id) == 1 and is_signed_in(with_cookie(server, cookie))
    response = client.post("/logout", headers=ORIGIN)
    assert (response.status_code, response.headers["Location"]) == (303, "/login")
    assert session_rows(store, user.id) == 0
    assert not is_signed_in(client)
    assert not is_signed_in(with_cookie(server, cookie))  # a copy kept from before sign-out
    replayed = with_cookie(server, cookie).post(EXPORT, json=JSON_EXPORT, headers=ORIGIN)
    assert replayed.status_code == 401 and replayed.get_json()["error"]["code"] == "UNAUTHENTICATED"


def test_sign_out_everywhere_ends_every_session_of_that_user_only(server, store):
    user = ensure_user(store, "viewer")
    other = ensure_user(store, "editor")
    laptop, phone = signed_in_client(server, VIEWER), signed_in_client(server, VIEWER)
    colleague = signed_in_client(server, "editor@test.helios")
    assert session_rows(store, user.id) == 2 and is_signed_in(phone)
    response = laptop.post("/logout/everywhere", headers=ORIGIN)
    assert (response.status_code, response.headers["Location"]) == (303, "/login")
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert session_rows(store, user.id) == 0
    assert is_signed_in(colleague) and session_rows(store, other.id) == 1


def test_sign_out_needs_a_same_site_post(server, store):
    user = ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    assert client.get("/logout").status_code == 405  # a link or an <img> cannot sign anyone out
    assert client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    assert session_rows(store, user.id) == 1 and is_signed_in(client)


# -- argon2 rehash ---------------------------------------------------------------------------------
def test_a_hash_with_older_argon2_parameters_is_replaced_at_sign_in(server, store):
    user = ensure_user(store, "viewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(password_hash=weak))
    assert sign_in(anonymous_client(server), VIEWER).status_code == 303
    stored = store.scalar(sa.select(users.c.password_hash).where(users.c.id == user.id))
    assert stored != weak
    default = PasswordHasher()
    assert default.verify(stored, PASSWORD) and not default.check_needs_rehash(stored)
    assert f"m={default.memory_cost},t={default.time_cost},p={default.parallelism}" in stored
    assert verify_password(stored, PASSWORD) == (True, None)
    # A current hash is left alone at the next sign-in.
    assert sign_in(anonymous_client(server), VIEWER).status_code == 303
    assert store.scalar(sa.select(users.c.password_hash).where(users.c.id == user.id)) == stored


# -- the audit trail -------------------------------------------------------------------------------
def test_sign_in_failure_and_sign_out_are_audited_with_request_ids(server, store):
    user = ensure_user(store, "viewer")
    client = anonymous_client(server)
    assert sign_in(client, VIEWER, "not the right password").status_code == 401
    assert sign_in(client, "nobody@test.helios", "not the right password").status_code == 401
    assert sign_in(client, VIEWER).status_code == 303
    assert client.post("/logout", headers=ORIGIN).status_code == 303
    rows = store.rows(sa.select(audit_log).where(audit_log.c.action.like("auth.%")).order_by(audit_log.c.id))
    assert [(row["action"], row["actor"], row["resource_id"]) for row in rows] == [
        ("auth.sign_in_failed", "anonymous", str(user.id)),
        ("auth.sign_in_failed", "anonymous", None),
        ("auth.sign_in", f"user:{user.id}", str(user.id)),
        ("auth.sign_out", f"user:{user.id}", str(user.id)),
    ]
    request_ids = [row["request_id"] for row in rows]
    assert all(re.fullmatch(r"req_[0-9a-f]{12}", rid or "") for rid in request_ids), request_ids
    assert len(set(request_ids)) == 4  # one per request
    assert all(row["ip"] == "127.0.0.1" for row in rows)
    assert all(PASSWORD not in row["changes"] and "not the right" not in row["changes"] for row in rows)


# -- cross-site requests ----------------------------------------------------------------------------
def test_a_cookie_post_from_another_site_is_refused(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    refused = client.post(EXPORT, json=JSON_EXPORT, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "FORBIDDEN"


def test_a_cookie_post_without_origin_or_fetch_metadata_is_refused(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    refused = client.post(EXPORT, json=JSON_EXPORT)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "FORBIDDEN"
    cross = client.post(EXPORT, json=JSON_EXPORT, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    same_site = client.post(EXPORT, json=JSON_EXPORT, headers={"Sec-Fetch-Site": "same-site"})
    assert same_site.status_code == 403  # a sibling subdomain is another site's page


def test_a_cookie_post_from_this_site_is_allowed(server, store):
    ensure_user(store, "viewer")
    client = signed_in_client(server, VIEWER)
    assert client.post(EXPORT, json=JSON_EXPORT, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post(EXPORT, json=JSON_EXPORT, headers=ORIGIN).status_code == 200


def test_a_token_skips_the_origin_check(server, store):
    token = token_for(store, "viewer")
    client = anonymous_client(server)
    allowed = client.post(EXPORT, json=JSON_EXPORT, headers={"Authorization": f"Bearer {token}",
                                                             "Origin": "http://evil.example"})
    assert allowed.status_code == 200 and allowed.get_json()["status"] == "success"


def test_a_sign_in_form_posted_from_another_site_is_refused(server, store):
    ensure_user(store, "viewer")
    client = anonymous_client(server)
    refused = sign_in(client, VIEWER, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and session_id(server, client) is None


# -- the anonymous role ------------------------------------------------------------------------------
def test_anonymous_viewer_role_opens_reads_and_exports_only(make_server):
    server = make_server(anonymous_role="viewer")
    store = server.extensions[RUNTIME_KEY].store
    ensure_user(store, "admin")
    visitor = anonymous_client(server)
    exported = visitor.post(EXPORT, json=JSON_EXPORT, headers=ORIGIN)
    assert exported.status_code == 200 and exported.get_json()["status"] == "success"
    account = visitor.get("/account")
    assert (account.status_code, account.headers["Location"]) == (302, "/login?next=/account")
    token_form = visitor.post("/account/tokens", data={"name": "x", "scopes": "read"}, headers=ORIGIN)
    assert token_form.status_code == 302 and token_form.headers["Location"].startswith("/login")
    audit = visitor.get("/api/v1/audit")
    assert audit.status_code == 401 and audit.get_json()["error"]["code"] == "UNAUTHENTICATED"


def test_without_the_anonymous_role_exports_need_sign_in(server):
    refused = anonymous_client(server).post(EXPORT, json=JSON_EXPORT, headers=ORIGIN)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "UNAUTHENTICATED"


# -- refusing to serve ---------------------------------------------------------------------------------
def test_outside_demo_mode_the_server_refuses_without_admin_and_secret(server, store):
    ensure_user(store, "viewer")
    with pytest.raises(ConfigurationError) as both:
        check_ready_to_serve(Settings(demo_data=False, secret_key=DEV_SECRET_KEY), store)
    assert "an admin account and a secret key" in both.value.message
    assert "helios-dash users add" in both.value.message and "HELIOS_SECRET_KEY" in both.value.message
    with pytest.raises(ConfigurationError) as no_admin:
        check_ready_to_serve(Settings(demo_data=False, secret_key=SECRET), store)
    assert "an admin account:" in no_admin.value.message and "a secret key:" not in no_admin.value.message
    ensure_user(store, "admin")
    with pytest.raises(ConfigurationError) as no_secret:
        check_ready_to_serve(Settings(demo_data=False, secret_key=DEV_SECRET_KEY), store)
    assert "without a secret key:" in no_secret.value.message and "admin account" not in no_secret.value.message
    assert check_ready_to_serve(Settings(demo_data=False, secret_key=SECRET), store) is None


def test_a_disabled_or_demoted_admin_does_not_count(server, store):
    ensure_user(store, "admin")
    set_active(store, OPERATOR, "admin@test.helios", False)
    with pytest.raises(ConfigurationError, match="admin account"):
        check_ready_to_serve(Settings(demo_data=False, secret_key=SECRET), store)
    set_active(store, OPERATOR, "admin@test.helios", True)
    set_role(store, OPERATOR, "admin@test.helios", "editor")
    with pytest.raises(ConfigurationError, match="admin account"):
        check_ready_to_serve(Settings(demo_data=False, secret_key=SECRET), store)


def test_demo_mode_serves_with_demo_accounts_that_sign_in(server, store):
    check_ready_to_serve(Settings(demo_data=True), store)  # no admin of its own, the dev key: fine in a demo
    for role in ("viewer", "editor", "admin"):
        assert sign_in(anonymous_client(server), demo_email(role), DEMO_PASSWORD).status_code == 303


def test_outside_demo_mode_the_demo_accounts_are_disabled(server, store):
    ensure_demo_accounts(store)
    demo_admin = signed_in_client(server, demo_email("admin"), DEMO_PASSWORD)
    ensure_user(store, "admin")
    check_ready_to_serve(Settings(demo_data=False, secret_key=SECRET), store)
    active = store.rows(sa.select(users.c.email, users.c.active).where(users.c.email.like("%@demo.helios")))
    assert sorted((row["email"], bool(row["active"])) for row in active) == [
        ("admin@demo.helios", False), ("editor@demo.helios", False), ("viewer@demo.helios", False)]
    for role in ("viewer", "editor", "admin"):
        assert sign_in(anonymous_client(server), demo_email(role), DEMO_PASSWORD).status_code == 401
    assert not is_signed_in(demo_admin)  # a session opened while it was a demo is over too
    assert is_signed_in(signed_in_client(server, "admin@test.helios"))


# -- the anonymous role on the dashboard's pages and callbacks -----------------------------------------
# The guard reads the setting per request, so it is switched on the session's one dashboard (Dash
# pages are global to the process: no second app). Access does not depend on the database.

@pytest.fixture
def public_dashboard(dashboard):
    """The dashboard with HELIOS_ANONYMOUS_ROLE=viewer for one test."""
    from dataclasses import replace

    runtime = dashboard.server.extensions[RUNTIME_KEY]
    before = runtime.settings
    runtime.settings = replace(before, anonymous_role="viewer")
    try:
        yield dashboard
    finally:
        runtime.settings = before


def poll_body() -> dict:
    """The live-update tick, as the browser posts it."""
    from helios_dash.ui import ids

    return {
        "output": f"..{ids.DATA_VERSION}.data...{ids.LIVE_UPDATED}.children..",
        "outputs": [{"id": ids.DATA_VERSION, "property": "data"}, {"id": ids.LIVE_UPDATED, "property": "children"}],
        "inputs": [{"id": ids.POLL, "property": "n_intervals", "value": 1}],
        "state": [{"id": ids.DATA_VERSION, "property": "data", "value": None}],
        "changedPropIds": [f"{ids.POLL}.n_intervals"],
    }


def test_pages_and_callbacks_need_sign_in_by_default(dashboard):
    visitor = anonymous_client(dashboard.server)
    page = visitor.get("/leaderboard?domain=quantum")
    location = urlsplit(page.headers["Location"])
    assert (page.status_code, location.path) == (302, "/login")
    assert parse_qs(location.query) == {"next": ["/leaderboard?domain=quantum"]}
    callback = visitor.post("/_dash-update-component", json=poll_body(), headers=ORIGIN)
    assert callback.status_code == 401 and callback.get_json()["error"]["code"] == "UNAUTHENTICATED"


def test_the_anonymous_role_opens_pages_and_callbacks_but_not_accounts(public_dashboard):
    visitor = anonymous_client(public_dashboard.server)
    for path in ("/", "/leaderboard", "/_dash-layout", "/_dash-dependencies"):
        assert visitor.get(path).status_code == 200, path
    assert visitor.post("/_dash-update-component", json=poll_body(), headers=ORIGIN).status_code == 200
    assert visitor.post(EXPORT, json=JSON_EXPORT, headers=ORIGIN).status_code == 200
    for path in ("/account", "/admin/users", "/admin/audit"):
        answer = visitor.get(path)
        assert (answer.status_code, answer.headers["Location"]) == (302, f"/login?next={path}"), path
    assert visitor.get("/api/v1/audit").status_code == 401
    assert visitor.post("/logout/everywhere", headers=ORIGIN).status_code == 302
