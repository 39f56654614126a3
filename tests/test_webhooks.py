"""Webhooks end to end on DuckDB and PostgreSQL: the API (201/400/403/404, the secret shown once and
encrypted at rest), events written in the transaction of their change, delivery to a receiver on
127.0.0.1 that fails at first (retried under one webhook-id, each attempt signed afresh and checked
with the ``standardwebhooks`` reference verifier, waits within the jittered bounds worked out by
hand), automatic disabling, and claims that keep two senders from sending one delivery twice.

No test waits on a clock: senders get an injected clock and are run one pass at a time.
"""
from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from standardwebhooks import Webhook as Verifier

from helios_dash import create_server
from helios_dash.api.v1.webhooks import RESOLVER_KEY
from helios_dash.crypto import keyring_for
from helios_dash.domain.principal import command_line
from helios_dash.hypotheses.service import create_hypothesis
from helios_dash.research.job import finish, try_claim
from helios_dash.research.service import new_project
from helios_dash.runtime import create_runtime
from helios_dash.schema import audit_log, domains, hypotheses, webhook_deliveries, webhooks
from helios_dash.settings import Settings
from helios_dash.webhooks.outbox import record_event
from helios_dash.webhooks.running import sender_for
from helios_dash.webhooks.schedule import Schedule
from tests.auth import signed_in_client, token_for
from tests.conftest import UNLIMITED

API = "/api/v1"


# -- a receiver on 127.0.0.1 ----------------------------------------------------------------------
class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next scripted status (the last one repeats)."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(*statuses):
        made.append(Receiver(statuses))
        return made[-1]
    yield make
    for receiver in made:
        receiver.close()


class Clock:
    """A settable clock for senders, starting at the real time (the verifier checks timestamps against it)."""

    def __init__(self):
        self.now = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)  # after every row

    def __call__(self):
        return self.now


# -- a server of its own, loopback allowed ----------------------------------------------------------
@pytest.fixture
def hooked(store_url):
    """A runtime (webhooks may reach 127.0.0.1), its API server and tokens per role."""
    runtime = create_runtime(Settings(database_url=store_url, demo_data=False, webhook_allow_loopback=True,
                                      encryption_keys=(Fernet.generate_key().decode(),), **UNLIMITED))
    with runtime.store.write() as conn:
        conn.execute(domains.insert(), [{"id": "quantum", "name": "Quantum"}])
    server = create_server(runtime=runtime)
    server.config.update(TESTING=True)
    tokens = {role: token_for(runtime.store, role, scopes) for role, scopes in
              (("viewer", ("read", "export")), ("editor", ("read", "write")), ("admin", ("read", "write", "admin")))}
    yield runtime, server, tokens
    runtime.close()


def call(server, token, method, path, **kwargs):
    return server.test_client().open(API + path, method=method, headers={"Authorization": f"Bearer {token}"},
                                     **kwargs)


def register(server, token, url, events=("hypothesis.created",)):
    response = call(server, token, "POST", "/webhooks", json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def deliveries(store, **where):
    d = webhook_deliveries
    return store.rows(sa.select(d).where(*(d.c[k] == v for k, v in where.items())).order_by(d.c.created_at))


# -- the API ------------------------------------------------------------------------------------------
def test_registration_shows_the_secret_once_and_keeps_it_encrypted(hooked, receiver_factory):
    runtime, server, tokens = hooked
    created = register(server, tokens["editor"], receiver_factory(200).url, ["hypothesis.created", "research.completed"])
    assert created["secret"].startswith("whsec_") and created["active"] is True
    assert created["events"] == ["hypothesis.created", "research.completed"]
    listed = call(server, tokens["editor"], "GET", "/webhooks").get_json()["data"]
    assert [hook["id"] for hook in listed] == [created["id"]] and "secret" not in listed[0]
    assert created["secret"] not in json.dumps(listed)
    raw = runtime.store.rows(sa.select(webhooks.c.secret_encrypted))[0]["secret_encrypted"]
    assert "whsec_" not in raw and created["secret"][6:] not in raw
    entry = runtime.store.rows(sa.select(audit_log).where(audit_log.c.action == "webhook.create"))[0]
    assert entry["resource_id"] == created["id"] and "token=abc" not in entry["changes"]  # the URL's query is left out
    assert created["secret"] not in entry["changes"]


def test_refusals_400_403_404(hooked, receiver_factory):
    runtime, server, tokens = hooked
    server.extensions[RESOLVER_KEY] = lambda host, port: ["10.1.2.3"]  # DNS answered here: no network
    refused = call(server, tokens["editor"], "POST", "/webhooks",
                   json={"url": "https://hooks.example.test/in", "events": ["hypothesis.created"]})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "WEBHOOK_URL_REFUSED" and "private" in refused.get_json()["error"]["message"]
    for body in ({"url": "https://x.example.test/", "events": ["no.such"]}, {"url": "https://x.example.test/"},
                 {"url": "ftp://x.example.test/", "events": ["hypothesis.created"]}):
        assert call(server, tokens["editor"], "POST", "/webhooks", json=body).status_code == 400
    assert runtime.store.scalar(sa.select(sa.func.count()).select_from(webhooks)) == 0
    viewer = tokens["viewer"]
    assert call(server, viewer, "POST", "/webhooks", json={"url": receiver_factory(200).url,
                                                           "events": ["hypothesis.created"]}).status_code == 403
    assert call(server, viewer, "GET", "/webhooks").status_code == 403
    mine = register(server, tokens["admin"], receiver_factory(200).url)
    for method, path in (("DELETE", ""), ("POST", "/test"), ("GET", "/deliveries")):  # the admin's, not the editor's
        assert call(server, tokens["editor"], method, f"/webhooks/{mine['id']}{path}").status_code == 404
        assert call(server, tokens["editor"], method, f"/webhooks/wh_{'0' * 32}{path}").status_code == 404
    assert call(server, tokens["editor"], "GET", "/webhooks").get_json()["data"] == []
    theirs = register(server, tokens["editor"], receiver_factory(200).url)
    assert {h["id"] for h in call(server, tokens["admin"], "GET", "/webhooks").get_json()["data"]} == {
        mine["id"], theirs["id"]}  # an admin sees everyone's
    assert call(server, tokens["admin"], "DELETE", f"/webhooks/{theirs['id']}").status_code == 200
    assert call(server, tokens["editor"], "GET", f"/webhooks/{theirs['id']}/deliveries").status_code == 404


def test_the_test_route_sends_now_and_answers_with_the_outcome(hooked, receiver_factory):
    runtime, server, tokens = hooked
    good, bad = receiver_factory(204), receiver_factory(503)
    for receiver, status, code in ((good, "delivered", 204), (bad, "failed", 503)):
        hook = register(server, tokens["editor"], receiver.url)
        answer = call(server, tokens["editor"], "POST", f"/webhooks/{hook['id']}/test").get_json()["data"]
        assert (answer["status"], answer["last_status"], answer["attempts"], answer["event"]) == (
            status, code, 1, "webhook.test")
        sent = receiver.received[-1]
        assert Verifier(hook["secret"]).verify(sent["body"], sent["headers"])["type"] == "webhook.test"
        log = call(server, tokens["editor"], "GET", f"/webhooks/{hook['id']}/deliveries").get_json()
        assert [row["id"] for row in log["data"]] == [answer["id"]] and log["meta"]["pagination"]["total"] == 1
    failing = call(server, tokens["editor"], "GET", "/webhooks").get_json()["data"]
    assert all(h["active"] and h["consecutive_failures"] == 0 for h in failing)  # a test does not count


# -- events in the transaction of their change ----------------------------------------------------
def test_an_event_exists_exactly_when_its_write_committed(hooked, receiver_factory):
    runtime, server, tokens = hooked
    store = runtime.store
    register(server, tokens["editor"], receiver_factory(200).url, ["validation.completed"])
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            record_event(conn, "validation.completed", {"count": 1})
            raise RuntimeError("the write fails after the event was appended")
    assert deliveries(store) == []
    with store.write() as conn:
        ids = record_event(conn, "validation.completed", {"count": 1, "author_email": "a@b", "internal_notes": "x"})
        record_event(conn, "hypothesis.created", {"id": "nobody subscribed"})
    rows = deliveries(store)
    assert [row["id"] for row in rows] == ids and len(ids) == 1
    assert json.loads(rows[0]["payload"])["data"] == {"count": 1}  # sensitive fields never leave


def test_services_append_their_events(hooked, receiver_factory):
    runtime, server, tokens = hooked
    store, editor = runtime.store, tokens["editor"]
    register(server, editor, receiver_factory(200).url, ["hypothesis.created", "hypothesis.validated",
                                                         "validation.completed"])
    made = call(server, editor, "POST", "/hypotheses", json={"hypothesis": "h", "domain": "quantum",
                                                             "internal_notes": "keep me in"}).get_json()["data"]
    call(server, editor, "POST", f"/hypotheses/{made['id']}/validate", json={
        "validator": "benchmark", "evidence": {"baseline_timings": [2.0, 2.1, 1.9], "candidate_timings": [1.0, 1.1, 0.9],
                                               "tests_passed": 9, "tests_total": 10}})
    batch = [{"id": f"r{i}", "algorithm": "A", "domain": "quantum", "quality": 80, "confidence": 0.9, "speedup": 1.5,
              "tests": 3, "created_at": "2026-06-15T12:00:00Z"} for i in range(3)]
    assert call(server, editor, "POST", "/validations", json=batch).status_code == 201
    events = [(row["event"], json.loads(row["payload"])["data"]) for row in deliveries(store)]
    assert [name for name, _ in events] == ["hypothesis.created", "hypothesis.validated", "validation.completed",
                                            "validation.completed"]
    assert events[0][1]["id"] == made["id"] and "keep me in" not in json.dumps(events)
    assert events[2][1]["source"] == "hypothesis" and events[2][1]["count"] == 1
    ingest = events[3][1]  # one event per batch: its three rows are the id block first_id..last_id
    assert (ingest["source"], ingest["count"], ingest["last_id"] - ingest["first_id"], ingest["domains"]) == (
        "ingest", 3, 2, ["quantum"])


# -- the sender -------------------------------------------------------------------------------------
def test_retries_keep_the_webhook_id_and_wait_within_the_jittered_bounds(hooked, receiver_factory):
    runtime, server, tokens = hooked
    receiver = receiver_factory(500, 502, 200)  # fails twice, then answers
    hook = register(server, tokens["editor"], receiver.url)
    call(server, tokens["editor"], "POST", "/hypotheses", json={"hypothesis": "h", "domain": "quantum"})
    clock = Clock()
    sender = sender_for(runtime, clock=clock, schedule=Schedule(delays=(30.0, 120.0, 600.0), rng=random.Random(5)))
    bases = [30.0, 120.0]  # by hand: the waits after the 1st and 2nd failures are uniform in [0, base]
    for attempt in (1, 2, 3):
        assert sender.run_once() == 1 and len(receiver.received) == attempt
        row = deliveries(runtime.store)[0]
        if attempt < 3:
            wait = (row["next_attempt_at"].astimezone(timezone.utc) - clock.now).total_seconds()
            assert row["status"] == "pending" and 0 <= wait <= bases[attempt - 1]
            assert sender.run_once() == 0  # not due yet
            clock.now = row["next_attempt_at"].astimezone(timezone.utc)
    assert (row["status"], row["attempts"], row["last_status"]) == ("delivered", 3, 200)
    assert {sent["headers"]["webhook-id"] for sent in receiver.received} == {row["id"]}
    for sent in receiver.received:  # each attempt signed afresh, checked by the reference verifier
        assert Verifier(hook["secret"]).verify(sent["body"], sent["headers"])["type"] == "hypothesis.created"
    assert sender.run_once() == 0


def test_an_endpoint_that_keeps_failing_is_disabled_and_says_why(hooked, receiver_factory):
    runtime, server, tokens = hooked
    store = runtime.store
    hook = register(server, tokens["editor"], receiver_factory(500).url)
    clock = Clock()
    sender = sender_for(runtime, clock=clock, schedule=Schedule(delays=(10.0,), disable_after_dead=2))
    for _ in range(3):
        with store.write() as conn:
            record_event(conn, "hypothesis.created", {"id": "x"})
    for _ in range(4):  # two attempts each for the first two; the second dead one disables the webhook
        sender.run_once()
        clock.now += timedelta(seconds=10)
    statuses = sorted(row["status"] for row in deliveries(store))
    assert statuses == ["dead", "dead", "failed"]  # the third was never sent: the endpoint went off first
    listed = call(server, tokens["editor"], "GET", "/webhooks").get_json()["data"][0]
    assert listed["active"] is False and "2 deliveries in a row" in listed["disabled_reason"]
    assert "HTTP 500" in listed["disabled_reason"]
    with store.write() as conn:
        assert record_event(conn, "hypothesis.created", {"id": "y"}) == []  # no longer queued
    page = signed_in_client(server, "admin@test.helios").get(f"/admin/webhooks?webhook={hook['id']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 deliveries in a row" in text and text.count("<td>dead</td>") == 2
    assert "token=abc" not in text  # URLs are shown without their query


def test_two_senders_never_claim_one_delivery(hooked, receiver_factory):
    runtime, server, tokens = hooked
    register(server, tokens["editor"], receiver_factory(200).url)
    with runtime.store.write() as conn:
        record_event(conn, "hypothesis.created", {"id": "x"})
    clock = Clock()
    first, second = sender_for(runtime, clock=clock), sender_for(runtime, clock=clock)
    claimed = first.claim()
    assert len(claimed) == 1 and second.claim() == []
    clock.now += timedelta(minutes=6)  # the first sender died holding it: its claim goes stale
    taken = second.claim()
    assert [row["id"] for row in taken] == [claimed[0]["id"]]
    second.send(taken[0])
    assert deliveries(runtime.store)[0]["status"] == "delivered" and first.claim() == []


def test_full_jitter_stays_within_each_base():
    schedule = Schedule(rng=random.Random(1))
    assert schedule.max_attempts == 8
    for attempts, base in enumerate((60, 300, 1800, 7200, 21600, 43200, 86400), start=1):
        waits = [schedule.delay_after(attempts) for _ in range(200)]
        assert all(0 <= wait <= base for wait in waits) and max(waits) > base / 2


def test_a_service_write_that_fails_leaves_no_event(hooked, receiver_factory):
    """A write hook failing after the event was appended (as a rollup refresh could) undoes both."""
    runtime, server, tokens = hooked
    register(server, tokens["editor"], receiver_factory(200).url)

    def failing_hook(conn):
        raise RuntimeError("the write fails at its end")
    runtime.store.add_write_hook(failing_hook)
    with pytest.raises(RuntimeError):
        create_hypothesis(runtime.store, command_line("pytest"), "h", "quantum", keyring=keyring_for(runtime.settings))
    assert deliveries(runtime.store) == []
    assert runtime.store.scalar(sa.select(sa.func.count()).select_from(hypotheses)) == 0


def test_a_finished_research_project_queues_research_completed(hooked, receiver_factory):
    runtime, server, tokens = hooked
    register(server, tokens["editor"], receiver_factory(200).url, ["research.completed"])
    project = new_project(runtime.store, command_line("pytest"), name="p", domain="quantum", validator="demo",
                          texts=["a"], evidence=None, keyring=keyring_for(runtime.settings))
    assert try_claim(runtime.store, project, "run-1")
    finish(runtime.store, project, "run-1", "completed", None)
    [row] = deliveries(runtime.store)
    assert json.loads(row["payload"])["data"] == {"id": project, "status": "completed", "done": 0, "total": 1,
                                                  "error": None}


def test_senders_working_at_once_send_each_delivery_once(hooked, receiver_factory):
    runtime, server, tokens = hooked
    receiver = receiver_factory(200)
    register(server, tokens["editor"], receiver.url)
    with runtime.store.write() as conn:
        for number in range(30):
            record_event(conn, "hypothesis.created", {"id": number})
    senders = [sender_for(runtime) for _ in range(3)]

    def drain(sender):
        while sender.run_once():
            pass
    threads = [threading.Thread(target=drain, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [sent["headers"]["webhook-id"] for sent in receiver.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {row["status"] for row in deliveries(runtime.store)} == {"delivered"}
