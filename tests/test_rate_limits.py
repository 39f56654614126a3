"""Rate limits through the guard, on both databases: the API's default limit and the exports'
tighter one, keyed by token, then user, then address; failed sign-ins per account and address;
Dash callbacks not limited; Redis storage shared by separate servers; bad settings refused."""
from __future__ import annotations

import uuid
from contextlib import ExitStack

import pytest

from helios_dash import create_server
from helios_dash.errors import ConfigurationError
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.settings import Settings

from tests.auth import ORIGIN, PASSWORD, anonymous_client, ensure_user, signed_in_client, token_for
from tests.redis_helpers import REDIS_URL, closed_port_url, delete_keys

EXPORT = "/api/v1/export/leaderboard"
JSON_EXPORT = {"format": "json"}
AUDIT = "/api/v1/audit"
HIGH = "1000 per minute"


@pytest.fixture
def make_server(store_url):
    """``make_server(**settings)``: an API server over the test's store; every runtime closed after."""
    with ExitStack() as stack:
        def make(**overrides):
            settings = {"database_url": store_url, "demo_data": False, "secret_key": "not-the-dev-key-for-tests",
                        "rate_limit_api": HIGH, "rate_limit_exports": HIGH, **overrides}
            server = create_server(Settings(**settings))
            server.config.update(TESTING=True)
            stack.callback(server.extensions[RUNTIME_KEY].close)
            return server
        yield make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def from_address(server, address: str):
    """A client whose requests come from ``address``."""
    client = anonymous_client(server)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def unique_address() -> str:
    """An address no other test (or run) counts against: 10.x.y.z from a fresh UUID."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def export(client, headers=None):
    return client.post(EXPORT, json=JSON_EXPORT, headers=headers or ORIGIN)


def assert_rate_limited(response, limit: int, window_seconds: int) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "RATE_LIMITED"
    # Whole seconds, rounded up from the oldest counted request's expiry: at most a second over the window.
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds + 1
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"


# -- the API's default limit -------------------------------------------------------------------------
def test_the_api_limit_counts_per_token_and_answers_429_with_headers(make_server):
    server = make_server(rate_limit_api="3 per minute")
    store = server.extensions[RUNTIME_KEY].store
    first, second = (token_for(store, "admin", scopes=["read", "admin"]) for _ in range(2))
    client = anonymous_client(server)
    for remaining in (2, 1, 0):
        answer = client.get(AUDIT, headers=bearer(first))
        assert answer.status_code == 200
        assert (answer.headers["X-RateLimit-Limit"], answer.headers["X-RateLimit-Remaining"]) == ("3", str(remaining))
        assert "Retry-After" not in answer.headers  # only a refusal says when to retry
    assert_rate_limited(client.get(AUDIT, headers=bearer(first)), 3, 60)
    # Another token of the same user has a budget of its own.
    other = client.get(AUDIT, headers=bearer(second))
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "2"


def test_the_limit_counts_a_users_sessions_together_and_apart_from_their_tokens(make_server):
    server = make_server(rate_limit_api="3 per minute")
    store = server.extensions[RUNTIME_KEY].store
    ensure_user(store, "viewer")
    ensure_user(store, "editor")
    laptop, phone = signed_in_client(server, "viewer@test.helios"), signed_in_client(server, "viewer@test.helios")
    assert [export(c).status_code for c in (laptop, phone, laptop)] == [200, 200, 200]
    assert_rate_limited(export(phone), 3, 60)  # one user, one budget, whichever browser
    assert export(signed_in_client(server, "editor@test.helios")).status_code == 200  # another user
    token = token_for(store, "viewer")
    assert export(anonymous_client(server), bearer(token)).status_code == 200  # the token comes first


def test_anonymous_visitors_are_counted_per_address(make_server):
    server = make_server(rate_limit_api="3 per minute", anonymous_role="viewer")
    store = server.extensions[RUNTIME_KEY].store
    here, there = unique_address(), unique_address()
    assert [export(from_address(server, here)).status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(export(from_address(server, here)), 3, 60)
    assert export(from_address(server, there)).status_code == 200
    # A token sent from the spent address counts against the token, not the address.
    assert export(from_address(server, here), bearer(token_for(store, "viewer"))).status_code == 200


def test_exports_have_a_tighter_limit_than_the_rest_of_the_api(make_server):
    server = make_server(rate_limit_api="10 per minute", rate_limit_exports="2 per minute")
    store = server.extensions[RUNTIME_KEY].store
    token = token_for(store, "admin", scopes=["read", "export", "admin"])
    client = anonymous_client(server)
    assert [export(client, bearer(token)).status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(export(client, bearer(token)), 2, 60)
    assert client.get(AUDIT, headers=bearer(token)).status_code == 200  # reads still have budget


@pytest.mark.xfail(strict=True, reason="X-RateLimit-* on a successful export describe the export limit "
                                        "(Flask-Limiter shows one limit: the shortest window, the first when "
                                        "equal), not the API limit that will refuse the next request: with "
                                        "3/min for the API and 20/min for exports, the 3rd export says "
                                        "Remaining: 17 and the 4th is a 429.")
def test_the_headers_tell_how_many_requests_are_left(make_server):
    server = make_server(rate_limit_api="3 per minute", rate_limit_exports="20 per minute")
    token = token_for(server.extensions[RUNTIME_KEY].store, "viewer")
    client = anonymous_client(server)
    answers = [export(client, bearer(token)) for _ in range(4)]
    assert answers[3].status_code == 429
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]


def test_the_api_limit_is_one_budget_across_endpoints(make_server):
    server = make_server(rate_limit_api="3 per minute")
    token = token_for(server.extensions[RUNTIME_KEY].store, "admin", scopes=["read", "export", "admin"])
    client = anonymous_client(server)
    assert client.get(AUDIT, headers=bearer(token)).status_code == 200
    assert export(client, bearer(token)).status_code == 200
    assert client.get(AUDIT, headers=bearer(token)).status_code == 200
    assert_rate_limited(client.get(AUDIT, headers=bearer(token)), 3, 60)


# -- Dash callbacks are not the API --------------------------------------------------------------------
def test_dash_callbacks_carry_no_rate_limit(dashboard):
    from helios_dash.ui import ids

    poll = {
        "output": f"..{ids.DATA_VERSION}.data...{ids.LIVE_UPDATED}.children..",
        "outputs": [{"id": ids.DATA_VERSION, "property": "data"}, {"id": ids.LIVE_UPDATED, "property": "children"}],
        "inputs": [{"id": ids.POLL, "property": "n_intervals", "value": 1}],
        "state": [{"id": ids.DATA_VERSION, "property": "data", "value": None}],
        "changedPropIds": [f"{ids.POLL}.n_intervals"],
    }
    client = dashboard.server.test_client()  # a viewer's token (tests/auth.py)
    for _ in range(3):
        callback = client.post("/_dash-update-component", json=poll)
        assert callback.status_code == 200
        assert not [name for name in callback.headers.keys() if name.lower().startswith("x-ratelimit")]
    api = client.post(EXPORT, json=JSON_EXPORT)  # the same app does limit its API
    assert api.status_code == 200 and "X-RateLimit-Limit" in api.headers


# -- failed sign-ins --------------------------------------------------------------------------------------
def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password}, headers=ORIGIN)


@pytest.mark.parametrize("account", ["viewer@test.helios", "nobody@test.helios"], ids=["known", "unknown"])
def test_five_failed_sign_ins_lock_that_account_from_that_address(make_server, account):
    server = make_server()  # the default: 5 failures per 15 minutes
    store = server.extensions[RUNTIME_KEY].store
    ensure_user(store, "viewer")
    ensure_user(store, "editor")
    address = unique_address()
    for _ in range(5):
        assert sign_in(from_address(server, address), account, "not the right password").status_code == 401
    locked = sign_in(from_address(server, address), account)  # the right password, for the known account
    assert locked.status_code == 429
    assert 15 * 60 - 30 <= int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    # The same address may still sign in to another account, and the account from another address.
    assert sign_in(from_address(server, address), "editor@test.helios").status_code == 303
    assert sign_in(from_address(server, unique_address()), "viewer@test.helios").status_code == 303


def test_fewer_failures_than_the_limit_do_not_lock(make_server):
    server = make_server(rate_limit_sign_in="3 per 15 minutes")
    ensure_user(server.extensions[RUNTIME_KEY].store, "viewer")
    address = unique_address()
    for _ in range(2):
        assert sign_in(from_address(server, address), "viewer@test.helios", "wrong password!!").status_code == 401
    assert sign_in(from_address(server, address), "viewer@test.helios").status_code == 303


def test_the_account_is_matched_whatever_its_case(make_server):
    server = make_server(rate_limit_sign_in="2 per 15 minutes")
    ensure_user(server.extensions[RUNTIME_KEY].store, "viewer")
    address = unique_address()
    for spelling in ("Viewer@Test.Helios", " VIEWER@test.helios "):
        assert sign_in(from_address(server, address), spelling, "wrong password!!").status_code == 401
    assert sign_in(from_address(server, address), "viewer@test.helios").status_code == 429


def test_every_sign_in_limit_given_is_enforced(make_server):
    server = make_server(rate_limit_sign_in="100 per minute; 3 per hour")
    ensure_user(server.extensions[RUNTIME_KEY].store, "viewer")
    address = unique_address()
    for _ in range(3):
        sign_in(from_address(server, address), "viewer@test.helios", "wrong password!!")
    assert sign_in(from_address(server, address), "viewer@test.helios").status_code == 429


# -- Redis: one budget for every server ----------------------------------------------------------------------
def alternate(servers, address: str, count: int) -> list[int]:
    """Statuses of ``count`` exports from ``address``, sent to each server in turn."""
    return [export(from_address(servers[i % len(servers)], address)).status_code for i in range(count)]


def test_with_redis_separate_servers_share_one_budget(make_server):
    address = unique_address()
    try:
        servers = [make_server(rate_limit_api="4 per minute", anonymous_role="viewer", redis_url=REDIS_URL)
                   for _ in range(2)]
        assert alternate(servers, address, 6) == [200, 200, 200, 200, 429, 429]
    finally:
        delete_keys(f"LIMITS:LIMITER/helios/ip:{address}/")


def test_in_memory_each_server_counts_alone(make_server):
    address = unique_address()
    servers = [make_server(rate_limit_api="4 per minute", anonymous_role="viewer") for _ in range(2)]
    assert alternate(servers, address, 8) == [200] * 8
    assert alternate(servers, address, 2) == [429, 429]


def test_with_redis_failed_sign_ins_are_shared_too(make_server):
    address, email = unique_address(), f"{uuid.uuid4().hex[:8]}@test.helios"  # unique: keys name both
    try:
        servers = [make_server(rate_limit_sign_in="3 per 15 minutes", redis_url=REDIS_URL) for _ in range(2)]
        ensure_user(servers[0].extensions[RUNTIME_KEY].store, "viewer", email)
        for i in range(3):
            assert sign_in(from_address(servers[i % 2], address), email, "wrong password!!").status_code == 401
        assert sign_in(from_address(servers[1], address), email).status_code == 429
    finally:
        delete_keys(f"LIMITS:LIMITER/helios/sign-in/{email}/")


def test_with_redis_down_the_api_still_answers_and_limits_in_memory(make_server):
    server = make_server(rate_limit_api="3 per minute", redis_url=closed_port_url())
    token = token_for(server.extensions[RUNTIME_KEY].store, "viewer")
    client = anonymous_client(server)
    assert [export(client, bearer(token)).status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(export(client, bearer(token)), 3, 60)


def test_with_redis_down_people_can_still_sign_in(make_server):
    server = make_server(redis_url=closed_port_url())
    ensure_user(server.extensions[RUNTIME_KEY].store, "viewer")
    assert sign_in(anonymous_client(server), "viewer@test.helios", "wrong password!!").status_code == 401
    assert sign_in(anonymous_client(server), "viewer@test.helios").status_code == 303


# -- settings ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["HELIOS_RATE_LIMIT_API", "HELIOS_RATE_LIMIT_EXPORTS", "HELIOS_RATE_LIMIT_SIGN_IN"])
@pytest.mark.parametrize("raw", ["", "lots", "5", "per minute", "-1 per minute", "5 per fortnight",
                                 "five per minute", "3 per minute extra"])
def test_a_bad_rate_limit_setting_is_refused_naming_it(name, raw):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({name: raw})
    assert name in refused.value.message and "300 per minute" in refused.value.message


@pytest.mark.parametrize("raw", ["10 per second", "5/15 minutes", "100 per hour", "20/minute"])
def test_good_rate_limit_settings_are_kept(raw):
    settings = Settings.from_env({"HELIOS_RATE_LIMIT_API": raw, "HELIOS_RATE_LIMIT_EXPORTS": raw,
                                  "HELIOS_RATE_LIMIT_SIGN_IN": raw})
    assert settings.rate_limit_api == settings.rate_limit_exports == settings.rate_limit_sign_in == raw


def test_rate_limit_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    assert (settings.rate_limit_api, settings.rate_limit_exports, settings.rate_limit_sign_in) == (
        "300 per minute", "20 per minute", "5 per 15 minutes")


def test_a_rate_of_zero_is_refused():
    # "0 per minute" parses, but would refuse every request: a configuration mistake, said at start.
    with pytest.raises(ConfigurationError):
        Settings.from_env({"HELIOS_RATE_LIMIT_API": "0 per minute"})


def test_behind_a_proxy_limits_count_the_forwarded_client(make_server):
    # HELIOS_PROXY_HOPS=1: two clients behind one proxy have a budget each; without it they would share one.
    server = make_server(rate_limit_api="2 per minute", anonymous_role="viewer", proxy_hops=1)
    client = anonymous_client(server)
    first, second = ({"X-Forwarded-For": unique_address()} for _ in range(2))
    assert [export(client, first).status_code for _ in range(2)] == [200, 200]
    assert export(client, first).status_code == 429
    assert export(client, second).status_code == 200
