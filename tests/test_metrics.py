"""GET /metrics (issue 12): who may read it, and that each metric moves by exactly what was done.

The exposition is parsed by prometheus_client's own parser. Counters are process-wide (every app
of the test process shares them), so each test reads them before and after what it does and checks
the difference, counted by hand from what it sent. Store-touching tests run on DuckDB and PostgreSQL.
The multiprocess test starts gunicorn with two workers on PostgreSQL and checks their counts add up.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from helios_dash.access.rules import address_allowed
from helios_dash.accounts.clock import now
from helios_dash.crypto import Keyring
from helios_dash.hypotheses import create_hypothesis, validate_hypothesis
from helios_dash.schema import domains, sessions
from helios_dash.services.cached import per_data_version
from tests.auth import PASSWORD, anonymous_client, ensure_user, signed_in_client, token_for
from tests.conftest import POLL_SECONDS, UNLIMITED

KEY = Fernet.generate_key().decode()
ALLOWED_NETWORK = "10.9.0.0/16"  # HELIOS_METRICS_ALLOW of these tests' servers


# -- reading /metrics ---------------------------------------------------------------------------------
def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition: (sample name, its labels) -> value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scraped: dict, name: str, **labels) -> float:
    """One sample's value; 0 for a label set not seen yet (Prometheus's reading of a missing series)."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


class Scraper:
    """Reads /metrics of ``server`` as an admin's token would."""

    def __init__(self, server):
        self.client = anonymous_client(server)
        self.headers = {"Authorization": f"Bearer {token_for(store_of(server), 'admin', scopes=('admin',))}"}

    def __call__(self) -> dict:
        response = self.client.get("/metrics", headers=self.headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return samples(response.get_data(as_text=True))


def store_of(server):
    from helios_dash.runtime import RUNTIME_KEY

    return server.extensions[RUNTIME_KEY].store


# -- fixtures: a server of these tests' own, over a fresh store -----------------------------------------
@pytest.fixture
def server(store_url):
    """The API server over an empty store (DuckDB, then PostgreSQL) with quantum and genomics, allow-list set."""
    from helios_dash import create_server
    from helios_dash.runtime import create_runtime
    from helios_dash.settings import Settings

    runtime = create_runtime(Settings(database_url=store_url, demo_data=False, poll_seconds=POLL_SECONDS,
                                      metrics_allow=(ALLOWED_NETWORK,), encryption_keys=(KEY,), **UNLIMITED))
    with runtime.store.write() as conn:
        conn.execute(domains.insert(), [{"id": "quantum", "name": "Quantum"}, {"id": "genomics", "name": "Genomics"}])
    built = create_server(runtime=runtime)
    built.config.update(TESTING=True)
    yield built
    runtime.close()


# -- access ---------------------------------------------------------------------------------------------
def test_who_may_read_metrics(server):
    store = store_of(server)
    client = anonymous_client(server)

    def status(headers=None, address="127.0.0.1") -> int:
        return client.get("/metrics", headers=headers or {}, environ_base={"REMOTE_ADDR": address}).status_code

    def bearer(role, scopes) -> dict:
        return {"Authorization": f"Bearer {token_for(store, role, scopes=scopes)}"}

    assert status() == 401  # anonymous, from an address not in the list: the envelope, not a redirect
    assert client.get("/metrics").get_json()["error"]["code"] == "UNAUTHENTICATED"
    assert status(bearer("viewer", ("read", "export"))) == 403
    assert status(bearer("editor", ("read", "write"))) == 403
    assert status(bearer("admin", ("read", "export"))) == 403  # an admin's token without the admin scope
    assert status(bearer("admin", ("admin",))) == 200
    assert status({"Authorization": "Bearer not-a-token"}) == 401
    assert status(address="10.9.200.7") == 200  # the allow-list: Prometheus holds no token
    assert status(address="::ffff:10.9.0.1") == 200  # the same address, IPv4-mapped
    assert status(address="10.8.0.1") == 401
    assert status({"Authorization": "Bearer not-a-token"}, "10.9.0.1") == 401  # bad credentials are never ignored
    # An admin's browser session may look too: a read, like the audit log the admin already reads.
    ensure_user(store, "admin")
    assert signed_in_client(server, "admin@test.helios", PASSWORD).get("/metrics").status_code == 200
    ensure_user(store, "viewer")
    assert signed_in_client(server, "viewer@test.helios", PASSWORD).get("/metrics").status_code == 403


@pytest.mark.parametrize("address, networks, allowed", [
    ("10.0.0.7", ("10.0.0.7/32",), True),
    ("10.0.0.8", ("10.0.0.7/32",), False),
    ("192.168.3.4", ("10.0.0.0/8", "192.168.0.0/16"), True),
    ("::1", ("::1/128",), True),
    ("::ffff:192.168.3.4", ("192.168.0.0/16",), True),
    ("127.0.0.1", (), False),
    (None, ("0.0.0.0/0",), False),
    ("not an address", ("0.0.0.0/0",), False),
])
def test_address_allowed(address, networks, allowed):
    assert address_allowed(address, networks) is allowed


def test_the_exposition_is_served_as_text_or_openmetrics(server):
    scraper = Scraper(server)
    text = scraper.client.get("/metrics", headers=scraper.headers)
    assert text.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert text.headers["Cache-Control"] == "no-store"
    open_metrics = scraper.client.get("/metrics", headers={**scraper.headers,
                                                           "Accept": "application/openmetrics-text"})
    assert open_metrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert open_metrics.get_data(as_text=True).rstrip().endswith("# EOF")
    names = {family.name for family in text_string_to_metric_families(text.get_data(as_text=True))}
    assert {"helios_validations", "helios_validation_duration_seconds", "helios_active_users",
            "helios_http_request_duration_seconds", "helios_query_duration_seconds",
            "helios_export_duration_seconds", "helios_cache_requests", "helios_webhook_deliveries",
            "helios_websocket_connections"} <= names  # the parser drops a counter's _total from its family


# -- HTTP requests: by route template --------------------------------------------------------------------
def test_requests_are_counted_by_route_template_never_by_path(server):
    scraper = Scraper(server)
    client = anonymous_client(server)
    viewer = {"Authorization": f"Bearer {token_for(store_of(server), 'viewer')}"}
    route = "/api/v1/algorithms/<algorithm_id>"
    before = scraper()
    for algorithm_id in ("no-such-1", "no-such-2", "no-such-3"):
        assert client.get(f"/api/v1/algorithms/{algorithm_id}", headers=viewer).status_code == 404
    assert client.get("/api/v1/algorithms/no-such-4").status_code == 401  # refused by the guard: timed too
    assert client.get("/no/such/route/at/all.php").status_code == 404
    after = scraper()

    def moved(**labels) -> float:
        name = "helios_http_request_duration_seconds_count"
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(route=route, method="GET", status="404") == 3
    assert moved(route=route, method="GET", status="401") == 1
    # /no/such/... matches no URL rule (Dash's catch-all is not on this server): one series for all such paths.
    assert moved(route="unmatched", method="GET", status="404") == 1
    routes = {dict(labels)["route"] for name, labels in after if name.startswith("helios_http_request")}
    assert not [r for r in routes if "no-such" in r or "all.php" in r]  # no raw path ever became a label
    assert value(after, "helios_http_request_duration_seconds_bucket", route=route, method="GET", status="404",
                 le="+Inf") >= 3


# -- the store gateway ----------------------------------------------------------------------------------
def test_statements_are_timed_by_kind(server):
    from prometheus_client import REGISTRY

    store = store_of(server)

    def count(kind) -> float:  # read from this process's registry: a scrape would run statements itself
        return REGISTRY.get_sample_value("helios_query_duration_seconds_count", {"query": kind}) or 0.0

    reads, writes = count("read"), count("write")
    for _ in range(3):
        store.read(sa.select(domains))
    store.scalar(sa.select(sa.func.count()).select_from(domains))
    with store.write() as conn:
        conn.execute(domains.insert().values(id="optics", name="Optics"))
    assert (count("read") - reads, count("write") - writes) == (4, 1)
    assert ("helios_query_duration_seconds_count", frozenset({("query", "read")})) in Scraper(server)()


def test_slow_statements_follow_helios_slow_query_ms(store_url, caplog):
    import logging

    from helios_dash.runtime import create_runtime
    from helios_dash.settings import Settings

    runtime = create_runtime(Settings.from_env({"HELIOS_DATABASE_URL": store_url, "HELIOS_DEMO_DATA": "0",
                                                "HELIOS_SLOW_QUERY_MS": "0"}))
    try:
        with caplog.at_level(logging.WARNING, logger="helios_dash.store"):
            runtime.store.read(sa.select(domains.c.id))
        assert "slow read statement" in caplog.text and "FROM domains" in caplog.text
    finally:
        runtime.close()
    quiet = create_runtime(Settings.from_env({"HELIOS_DATABASE_URL": store_url, "HELIOS_DEMO_DATA": "0"}))
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="helios_dash.store"):
            quiet.store.read(sa.select(domains.c.id))
        assert "slow read statement" not in caplog.text  # the default: 1000 ms
    finally:
        quiet.close()


# -- validations and exports ------------------------------------------------------------------------------
def test_validations_and_exports_move_their_metrics_by_exactly_what_was_done(server):
    scraper, store = Scraper(server), store_of(server)
    editor = ensure_user(store, "editor").as_principal()
    keyring = Keyring([KEY])
    before = scraper()
    for domain in ("quantum", "quantum", "genomics"):  # the demo validator always answers: validated
        made = create_hypothesis(store, editor, f"a {domain} idea", domain, keyring=keyring)
        assert validate_hypothesis(store, editor, made["id"], "demo", keyring=keyring)["status"] == "validated"
    made = create_hypothesis(store, editor, "no evidence", "quantum", keyring=keyring)
    assert validate_hypothesis(store, editor, made["id"], "benchmark", keyring=keyring)["status"] == "failed"
    exporter = anonymous_client(server)
    headers = {"Authorization": f"Bearer {token_for(store, 'viewer', scopes=('read', 'export'))}"}
    for fmt in ("json", "csv", "csv"):
        response = exporter.post("/api/v1/export/leaderboard", json={"format": fmt}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    after = scraper()

    def moved(name, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("helios_validations_total", domain="quantum", result="validated") == 2
    assert moved("helios_validations_total", domain="genomics", result="validated") == 1
    assert moved("helios_validations_total", domain="quantum", result="failed") == 1
    assert moved("helios_validations_total", domain="genomics", result="failed") == 0
    assert moved("helios_validation_duration_seconds_count") == 4
    assert moved("helios_export_duration_seconds_count", format="json") == 1
    assert moved("helios_export_duration_seconds_count", format="csv") == 2
    assert moved("helios_export_duration_seconds_count", format="pdf") == 0


# -- the cache --------------------------------------------------------------------------------------------
def test_cache_hits_and_misses_are_counted_per_lookup(server):
    scraper = Scraper(server)

    @per_data_version
    def inner(n):
        return n * 2

    @per_data_version
    def outer(n):
        return inner(n) + 1

    before = scraper()
    with server.app_context():
        assert [outer(20), outer(20), inner(20), outer(21)] == [41, 41, 40, 43]
    after = scraper()
    # outer(20): miss, and inner(20) inside it: miss. outer(20): hit. inner(20): hit.
    # outer(21): miss, inner(21): miss. So 4 misses and 2 hits.
    assert value(after, "helios_cache_requests_total", result="miss") - value(
        before, "helios_cache_requests_total", result="miss") == 4
    assert value(after, "helios_cache_requests_total", result="hit") - value(
        before, "helios_cache_requests_total", result="hit") == 2


# -- active users ---------------------------------------------------------------------------------------
def test_active_users_are_people_with_a_session_seen_in_the_last_15_minutes(server):
    scraper, store = Scraper(server), store_of(server)
    assert value(scraper(), "helios_active_users") == 0  # tokens are not sessions
    for role in ("viewer", "editor", "admin"):
        ensure_user(store, role)
    for email in ("viewer@test.helios", "viewer@test.helios", "editor@test.helios", "admin@test.helios"):
        signed_in_client(server, email, PASSWORD)  # viewer twice: two sessions, one person
    assert value(scraper(), "helios_active_users") == 3
    admin_id = ensure_user(store, "admin").id
    with store.records() as conn:  # the admin's browser was last seen 16 minutes ago
        conn.execute(sessions.update().where(sessions.c.user_id == admin_id)
                     .values(last_seen_at=now() - timedelta(minutes=16)))
    assert value(scraper(), "helios_active_users") == 2


# -- several gunicorn workers -------------------------------------------------------------------------------
def test_gunicorn_workers_add_up_in_multiprocess_mode(tmp_path):
    """Two workers on PostgreSQL: /metrics, whichever worker answers, counts every worker's requests."""
    import os
    import signal
    import time

    from tests.databases import postgres_database
    from tests.deployment import add_accounts
    from tests.servers import serving

    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"\0" * 8)  # an earlier run's file: gunicorn.conf.py removes it
    with postgres_database() as url:
        env = {"HELIOS_DATABASE_URL": url, "HELIOS_DEMO_DATA": "0", "HELIOS_SECRET_KEY": "metrics-test-key",
               "PROMETHEUS_MULTIPROC_DIR": str(folder), "HELIOS_METRICS_ALLOW": "127.0.0.1"}
        add_accounts(env)
        with serving(env, workers=2, threads=2, folder=tmp_path, access_log=True) as server:
            def scrape() -> dict:
                with urllib.request.urlopen(server.url + "/metrics", timeout=30) as response:
                    return samples(response.read().decode())

            def health_count(scraped) -> float:
                return value(scraped, "helios_http_request_duration_seconds_count",
                             route="/health/live", method="GET", status="200")

            before = health_count(scrape())
            sent = 0
            workers = server.worker_pids()
            assert len(workers) == 2
            # Each request on a new connection; go on until both workers have answered some.
            while sent < 400 and (sent < 40 or min(server.answered_by(pid) for pid in workers) == 0):
                with urllib.request.urlopen(server.url + "/health/live", timeout=30) as response:
                    assert response.status == 200
                sent += 1
            assert min(server.answered_by(pid) for pid in workers) > 0, "one worker answered every request"
            assert health_count(scrape()) - before == sent

            # A worker that dies keeps its counts (its files stay; child_exit marks it dead).
            os.kill(workers[0], signal.SIGKILL)
            deadline = time.time() + 60
            while time.time() < deadline and (workers[0] in server.worker_pids() or len(server.worker_pids()) < 2):
                time.sleep(0.2)
            time.sleep(1)  # the new worker loads the app
            try:
                total = health_count(scrape())
            except urllib.error.URLError:
                time.sleep(3)
                total = health_count(scrape())
            assert total - before == sent
            assert not (folder / "counter_999999.db").exists()
