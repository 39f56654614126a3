"""API tokens and service keys over HTTP, through the guard, on both databases: where each kind
may be sent, expiry, revocation, malformed tokens (never a fall-back to the cookie), scopes
and roles, and no key in any log line."""
from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from helios_dash import create_server
from helios_dash.accounts.api_tokens import create_token, revoke_token
from helios_dash.accounts.users import set_role
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.schema import api_tokens
from helios_dash.settings import Settings

from tests.auth import OPERATOR, ORIGIN, anonymous_client, ensure_user, signed_in_client, token_for

EXPORT = "/api/v1/export/leaderboard"
JSON_EXPORT = {"format": "json"}
AUDIT = "/api/v1/audit"


@pytest.fixture
def server(store_url):
    built = create_server(Settings(database_url=store_url, demo_data=False, secret_key="not-the-dev-key-for-tests"))
    built.config.update(TESTING=True)
    yield built
    built.extensions[RUNTIME_KEY].close()


@pytest.fixture
def store(server):
    return server.extensions[RUNTIME_KEY].store


def export(server, headers=None, query=None, client=None):
    return (client or anonymous_client(server)).post(EXPORT, json=JSON_EXPORT, headers=headers or {},
                                                     query_string=query)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == code


# -- where each kind is sent ------------------------------------------------------------------------
def test_a_personal_token_works_as_bearer(server, store):
    response = export(server, bearer(token_for(store, "viewer")))
    assert response.status_code == 200 and response.get_json()["status"] == "success"


def test_a_service_key_works_in_x_api_key_and_in_the_query(server, store):
    key = token_for(store, "viewer", kind="service")
    assert export(server, {"X-API-Key": key}).status_code == 200
    assert export(server, query={"api_key": key}).status_code == 200


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_personal_token_sent_as_a_key_is_refused(server, store, how):
    token = token_for(store, "viewer", kind="personal")
    response = export(server, {"X-API-Key": token}) if how == "header" else export(server, query={"api_key": token})
    assert_envelope(response, 401, "UNAUTHENTICATED")


def test_a_service_key_sent_as_bearer_is_refused(server, store):
    assert_envelope(export(server, bearer(token_for(store, "viewer", kind="service"))), 401, "UNAUTHENTICATED")


# -- expiry, revocation, malformed -------------------------------------------------------------------
def test_an_expired_token_is_refused(server, store):
    raw, token = create_token(store, OPERATOR, ensure_user(store, "viewer"), "soon", ["read", "export"],
                              expires_days=1)
    assert export(server, bearer(raw)).status_code == 200
    with store.engine.begin() as conn:
        conn.execute(api_tokens.update().where(api_tokens.c.id == token.id)
                     .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=5)))
    response = export(server, bearer(raw))
    assert_envelope(response, 401, "UNAUTHENTICATED")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_refused(server, store):
    raw, token = create_token(store, OPERATOR, ensure_user(store, "viewer"), "old", ["read", "export"])
    assert export(server, bearer(raw)).status_code == 200
    revoke_token(store, OPERATOR, token.id)
    assert_envelope(export(server, bearer(raw)), 401, "UNAUTHENTICATED")


def flip_last_character(raw: str) -> str:
    return raw[:-1] + ("A" if raw[-1] != "A" else "B")


@pytest.mark.parametrize("mangle", [
    lambda raw: "",
    lambda raw: "hlp_",
    lambda raw: raw[:-1],  # one character short
    flip_last_character,  # the checksum no longer matches
    lambda raw: raw.replace("hlp_", "hlx_"),
    lambda raw: raw + "0",
    lambda raw: "hlp_" + "0" * 36,
    lambda raw: raw[:20] + "é" + raw[21:],
], ids=["empty", "prefix", "short", "checksum", "type", "long", "zeros", "non-ascii"])
def test_a_malformed_token_is_refused(server, store, mangle):
    raw = token_for(store, "viewer")
    response = export(server, {"Authorization": f"Bearer {mangle(raw)}"})
    assert_envelope(response, 401, "UNAUTHENTICATED")


def test_a_well_formed_but_unknown_token_is_refused(server, store):
    from helios_dash.accounts.tokens import new_token

    unknown, _prefix, _hash = new_token("personal")
    assert_envelope(export(server, bearer(unknown)), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("bad", [
    {"Authorization": "Bearer hlp_not-a-token"},
    {"X-API-Key": "hlk_not-a-key"},
], ids=["bearer", "x-api-key"])
def test_a_bad_token_beside_a_valid_session_cookie_is_still_refused(server, store, bad):
    ensure_user(store, "viewer")
    client = signed_in_client(server, "viewer@test.helios")
    assert export(server, ORIGIN, client=client).status_code == 200  # the cookie alone works
    assert_envelope(export(server, {**ORIGIN, **bad}, client=client), 401, "UNAUTHENTICATED")


def test_a_disabled_users_token_is_refused(server, store):
    from helios_dash.accounts.users import set_active

    raw = token_for(store, "viewer")
    set_active(store, OPERATOR, "viewer@test.helios", False)
    assert_envelope(export(server, bearer(raw)), 401, "UNAUTHENTICATED")


# -- scopes and roles ---------------------------------------------------------------------------------
def test_a_read_only_token_may_not_export(server, store):
    response = export(server, bearer(token_for(store, "viewer", scopes=["read"])))
    assert_envelope(response, 403, "FORBIDDEN")
    assert "export scope" in response.get_json()["error"]["message"]


def test_an_admin_scope_does_not_make_a_viewer_an_admin(server, store):
    raw = token_for(store, "admin", scopes=["read", "admin"])
    client = anonymous_client(server)
    assert client.get(AUDIT, headers=bearer(raw)).status_code == 200
    set_role(store, OPERATOR, "admin@test.helios", "viewer")  # demoted: the token keeps its admin scope
    response = client.get(AUDIT, headers=bearer(raw))
    assert_envelope(response, 403, "FORBIDDEN")
    assert "admin role" in response.get_json()["error"]["message"]


def test_an_admin_token_without_the_admin_scope_may_not_read_the_audit_log(server, store):
    assert_envelope(anonymous_client(server).get(AUDIT, headers=bearer(token_for(store, "admin", scopes=["read"]))),
                    403, "FORBIDDEN")


def test_a_token_may_not_use_the_account_pages(server, store):
    raw = token_for(store, "admin", scopes=["read", "write", "export", "admin"])
    response = anonymous_client(server).get("/account", headers=bearer(raw))
    assert response.status_code == 403


# -- keys never reach a log line ------------------------------------------------------------------------
@pytest.fixture
def served(server):
    """``server`` on a real werkzeug server on 127.0.0.1 (its access log prints each request line)."""
    with ExitStack() as stack:
        http = make_server("127.0.0.1", 0, server, threaded=True)
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        stack.callback(thread.join, 10)
        stack.callback(http.shutdown)
        yield f"http://127.0.0.1:{http.server_port}"


def fetch(url: str, body: bytes = b"{}") -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_key_in_the_query_never_appears_in_a_log_line(served, store, caplog):
    caplog.set_level(logging.DEBUG)
    good = token_for(store, "viewer", kind="service")
    personal = token_for(store, "viewer", kind="personal")  # the wrong kind for a key: refused
    wrong = "hlk_" + "Z" * 36  # malformed
    assert fetch(f"{served}{EXPORT}?api_key={good}") == 200
    assert fetch(f"{served}{EXPORT}?api_key={personal}&domain=x") == 401
    assert fetch(f"{served}{EXPORT}?format=json&api_key={wrong}") == 401
    assert fetch(f"{served}/no/such/page?api_key={good}") in (302, 404)
    lines = [record.getMessage() for record in caplog.records]
    # The access log names the route template (ops/logs.py), never the raw path or its query string.
    request_lines = [line for line in lines if "/api/v1/export/<kind>" in line]
    assert len(request_lines) >= 3, lines  # the access log did print the requests...
    for secret in (good, personal, wrong, good[4:20]):
        assert secret not in caplog.text  # ...but no key, whole or in part
        assert not any(secret in line for line in lines)
    assert not any("api_key" in line for line in request_lines)


def test_gunicorns_access_log_never_shows_a_key(tmp_path):
    """The deployment's own log: gunicorn printing every request line (its query string included).
    One database is enough here: the log line does not depend on the store."""
    from tests.servers import serving

    env = {"HELIOS_DATABASE_URL": f"duckdb:///{tmp_path / 'helios.duckdb'}", "HELIOS_DEMO_VALIDATIONS": "500"}
    key = "hlk_" + "Q" * 36  # token-shaped but unknown: refused, and still never logged
    with serving(env, workers=1, threads=2, folder=tmp_path, access_log=True) as server:
        assert fetch(f"{server.url}{EXPORT}?api_key={key}&format=json") == 401
        assert fetch(f"{server.url}{EXPORT}?domain=x&api_key={key}") == 401
        server.stop()  # flushes the log
        logged = server.access_log.read_text(errors="replace") + server.log.read_text(errors="replace")
    lines = [line for line in logged.splitlines() if EXPORT in line]
    assert len(lines) == 2, logged[-2000:]
    assert key not in logged and key[4:20] not in logged
    assert all("api_key=[redacted]" in line for line in lines)
