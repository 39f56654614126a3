"""WebSocket /stream against a real server on 127.0.0.1: a threaded Werkzeug server over the API
app (flask-sock's "werkzeug" mode, the same route code as under gunicorn's gthread worker), on a
small demo store of its own, once on DuckDB and once on PostgreSQL. The client is
simple_websocket.Client; the slow consumer is a raw socket that never reads.

Expected values come from elsewhere: rank changes from two reads of GET /api/v1/leaderboard
(before and after the write), redaction from the sensitive fields the test itself wrote.
Waits have deadlines only so a broken server fails the test instead of hanging it.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass

import pytest
import simple_websocket
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from helios_dash import create_server
from helios_dash.realtime.ws import STREAM_KEY
from helios_dash.runtime import create_runtime, seed_demo_if_empty
from helios_dash.settings import Settings
from tests.auth import ensure_user, signed_in_client, token_for
from tests.databases import DATABASES, database_url
from tests.servers import free_port

DEADLINE = 30.0  # seconds a message may take before the test gives up (not an assertion on speed)


@dataclass
class Live:
    url: str  # ws://127.0.0.1:port
    origin: str  # http://127.0.0.1:port, this server's public address
    server: object  # the Flask app
    runtime: object
    viewer: str
    editor: str
    admin: str

    @property
    def hub(self):
        return self.server.extensions[STREAM_KEY][0]

    def connect(self, path="/stream", token=None, headers=None) -> simple_websocket.Client:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return simple_websocket.Client.connect(self.url + path, headers=sent)

    def api(self, token) -> FlaskClient:
        client = FlaskClient(self.server, self.server.response_class)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client


@pytest.fixture(scope="module", params=DATABASES)
def live(request, tmp_path_factory):
    """A threaded server on 127.0.0.1 over a 3,000-validation demo store of this module's own."""
    port = free_port()
    with database_url(request.param, tmp_path_factory.mktemp("ws")) as url:
        settings = Settings(database_url=url, demo_data=True, demo_validations=3000, poll_seconds=1.0,
                            public_url=f"http://127.0.0.1:{port}/", ws_send_queue=32, ws_ping_seconds=5,
                            rate_limit_api="1000000 per minute")
        runtime = create_runtime(settings)
        seed_demo_if_empty(runtime)
        server = create_server(runtime=runtime)
        httpd = make_server("127.0.0.1", port, server, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        store = runtime.store
        try:
            yield Live(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", server, runtime,
                       viewer=token_for(store, "viewer", ("read",)),
                       editor=token_for(store, "editor", ("read", "write")),
                       admin=token_for(store, "admin", ("read", "write", "admin")))
        finally:
            hub = server.extensions[STREAM_KEY][0]
            for connection in list(hub._connections.values()):  # a failed test's sockets must not keep
                connection.drop("server stopping")                # the test process alive after the last test
            httpd.shutdown()
            runtime.close()


def receive(ws, kind: str, deadline: float = DEADLINE) -> dict:
    """The next message of type ``kind``; messages of other types are kept for a later call, in order."""
    kept = ws.__dict__.setdefault("kept_messages", [])
    for index, message in enumerate(kept):
        if message["type"] == kind:
            return kept.pop(index)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = ws.receive(timeout=max(0.01, end - time.monotonic()))
        if text is not None:
            message = json.loads(text)
            if message["type"] == kind:
                return message
            kept.append(message)
    raise AssertionError(f"no {kind} message within {deadline} s")


def subscribed(live: Live, token: str, *channels: str, path="/stream") -> simple_websocket.Client:
    ws = live.connect(path, token)
    receive(ws, "hello")
    ws.send(json.dumps({"action": "subscribe", "channels": list(channels)}))
    assert receive(ws, "subscribed")["subscriptions"] == sorted(channels)
    return ws


def ranks(live: Live) -> dict[str, int]:
    """{algorithm id: rank} of the default leaderboard, read through the API (every page)."""
    client, found, page = live.api(live.admin), {}, 1
    while True:
        body = client.get(f"/api/v1/leaderboard?per_page=200&page={page}").get_json()
        found.update({row["algorithm_id"]: row["rank"] for row in body["data"]})
        if len(body["data"]) < 200:
            return found
        page += 1


def test_a_write_pushes_validation_complete_and_the_rank_changes_of_two_leaderboard_reads(live):
    before = ranks(live)
    last = max(before, key=before.get)  # the bottom of the board: a run of perfect scores moves it up
    algorithm = live.api(live.admin).get(f"/api/v1/algorithms/{last}").get_json()["data"]
    ws = subscribed(live, live.viewer, "leaderboard")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    batch = [{"id": f"ws-rank-{os.getpid()}-{n}", "algorithm": algorithm["name"], "domain": algorithm["domain_id"],
              "quality": 100, "confidence": 0.99, "speedup": 9.0, "tests": 50, "created_at": now} for n in range(40)]
    written = live.api(live.editor).post("/api/v1/validations", json=batch)
    assert written.status_code == 201, written.get_json()
    after = ranks(live)
    expected = {key: (before.get(key), rank) for key, rank in after.items() if before.get(key) != rank}
    assert expected, "the write moved nobody: the test proves nothing"
    completed = receive(ws, "validation_complete")
    assert completed["result"]["algorithm_id"] == last and completed["result"]["quality"] == 100
    update = receive(ws, "leaderboard_update")
    assert {c["algorithm_id"]: (c["rank_before"], c["rank_after"]) for c in update["changes"]} == expected
    ws.close()


def test_viewers_get_redacted_payloads_and_admins_the_whole(live):
    viewer, admin = (subscribed(live, token, "hypotheses") for token in (live.viewer, live.admin))
    created = live.api(live.editor).post("/api/v1/hypotheses/validate", json={
        "hypothesis": "Sockets carry news", "domain": "quantum", "validator": "demo",
        "internal_notes": "secret plan"})
    assert created.status_code == 201, created.get_json()
    editor_email = ensure_user(live.runtime.store, "editor").email
    full, redacted = receive(admin, "hypothesis_generated"), receive(viewer, "hypothesis_generated")
    assert full["hypothesis"]["internal_notes"] == "secret plan"
    assert full["hypothesis"]["author_email"] == editor_email
    assert full["hypothesis"]["hypothesis"] == "Sockets carry news"
    assert "internal_notes" not in redacted["hypothesis"] and "author_email" not in redacted["hypothesis"]
    assert {k: v for k, v in full["hypothesis"].items() if k not in ("internal_notes", "author_email")} \
        == redacted["hypothesis"]
    full, redacted = receive(admin, "validation_complete"), receive(viewer, "validation_complete")
    assert full["result"]["author_email"] == editor_email and "author_email" not in redacted["result"]
    assert full["result"]["hypothesis_id"] == created.get_json()["data"]["id"]
    for ws in (viewer, admin):
        ws.close()


def test_anonymous_is_refused_before_the_upgrade(live):
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        live.connect()
    assert refused.value.status_code == 401
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        live.connect(token="hlp_not-a-token")
    assert refused.value.status_code == 401


def test_the_session_cookie_needs_this_sites_origin(live):
    browser = signed_in_client(live.server, ensure_user(live.runtime.store, "viewer").email)
    cookie = "; ".join(f"{c.key}={c.value}" for c in browser._cookies.values())
    ws = live.connect(headers={"Cookie": cookie, "Origin": live.origin})
    assert json.loads(ws.receive(timeout=DEADLINE))["role"] == "viewer"
    ws.close()
    for origin in ("http://evil.example", None):  # a browser always sends Origin with a WebSocket
        headers = {"Cookie": cookie, **({"Origin": origin} if origin else {})}
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            live.connect(headers=headers)
        assert refused.value.status_code == 403


def test_a_token_in_the_query_string_opens_the_guides_alias_already_subscribed(live):
    key = token_for(live.runtime.store, "viewer", ("read",), kind="service")
    ws = simple_websocket.Client.connect(f"{live.url}/ws/leaderboard?api_key={key}")
    assert receive(ws, "subscribed")["subscriptions"] == ["leaderboard"]
    ws.close()


def test_bad_messages_get_an_error_and_the_socket_stays_open(live):
    ws = live.connect(token=live.viewer)
    receive(ws, "hello")
    for sent, code in (("{not json", "BAD_JSON"), ('{"action": "dance"}', "BAD_ACTION"),
                       ('{"action": "subscribe", "channels": ["gossip"]}', "UNKNOWN_CHANNEL"),
                       ('{"action": "subscribe"}', "BAD_CHANNELS"), ("[1, 2]", "BAD_ACTION")):
        ws.send(sent)
        assert receive(ws, "error")["error"]["code"] == code
    ws.send(b"\x00binary")
    assert receive(ws, "error")["error"]["code"] == "BAD_MESSAGE"
    ws.send('{"action": "ping"}')
    receive(ws, "pong")
    ws.close()


def test_past_the_cap_a_socket_is_closed_with_1013(live):
    hub = live.hub
    end = time.monotonic() + DEADLINE
    while len(hub) and time.monotonic() < end:  # earlier tests' sockets finish closing
        time.sleep(0.05)
    cap, hub.max_connections = hub.max_connections, len(hub) + 2
    try:
        admitted = [live.connect(token=live.viewer) for _ in range(2)]
        for ws in admitted:
            receive(ws, "hello")
        refused = live.connect(token=live.viewer)
        with pytest.raises(simple_websocket.ConnectionClosed) as closed:
            receive(refused, "hello")  # never comes: the server closes first
        assert closed.value.reason == 1013 and "try again later" in closed.value.message
        for ws in admitted:
            ws.close()
    finally:
        hub.max_connections = cap


def raw_subscriber(live: Live, channel: str) -> socket.socket:
    """A client that subscribes, then never reads: its receive window stays tiny and fills."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window is announced small
    raw.connect(("127.0.0.1", int(live.url.rsplit(":", 1)[1])))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 f"Authorization: Bearer {live.viewer}\r\n\r\n").encode())
    assert raw.recv(12) == b"HTTP/1.1 101"
    payload = json.dumps({"action": "subscribe", "channels": [channel]}).encode()
    mask = os.urandom(4)  # client frames are masked (RFC 6455)
    raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return raw


def test_research_progress_and_completion_both_reach_research_subscribers(live):
    socket = subscribed(live, live.viewer, "research")
    try:
        live.runtime.bus.publish("research.progress", {"id": "res_p", "status": "running", "done": 1, "total": 2})
        live.runtime.bus.publish("research.completed", {"id": "res_p", "status": "completed", "done": 2,
                                                        "total": 2})
        first, second = receive(socket, "research_progress"), receive(socket, "research_progress")
        assert (first["project"], second["project"]) == (
            {"id": "res_p", "status": "running", "done": 1, "total": 2},
            {"id": "res_p", "status": "completed", "done": 2, "total": 2})
    finally:
        socket.close()  # an open socket's threads would keep the test process from exiting


def test_a_slow_consumer_is_dropped_while_a_fast_one_keeps_receiving(live):
    hub = live.hub
    fast = subscribed(live, live.viewer, "research")
    dropped_before = hub.slow_consumers_dropped
    slow = raw_subscriber(live, "research")
    padding = "x" * 2000  # research ids are short; big messages fill the slow socket's buffers sooner
    sent = 0
    for _round in range(400):
        for _ in range(5):
            sent += 1
            live.runtime.bus.publish("research.completed", {"id": f"{padding}-{sent}", "status": "completed",
                                                            "done": 1, "total": 1})
        for _ in range(5):
            receive(fast, "research_progress")  # the fast client reads every one, never more than 5 behind
        if hub.slow_consumers_dropped > dropped_before:
            break
    assert hub.slow_consumers_dropped == dropped_before + 1
    live.runtime.bus.publish("research.completed", {"id": "after", "status": "failed", "done": 0, "total": 1})
    assert receive(fast, "research_progress")["project"]["id"] == "after"
    slow.settimeout(DEADLINE)
    while slow.recv(65536):  # what was in flight, then the end of the stream
        pass
    slow.close()
    fast.close()


@pytest.mark.parametrize("argv, environ, cap", [
    (["/venv/bin/gunicorn", "--workers", "1", "--threads", "8", "app:server"], {}, 4),
    (["/venv/lib/gunicorn/__main__.py", "--threads=1100", "app:server"], {}, 550),
    (["/venv/bin/gunicorn", "app:server"], {"GUNICORN_CMD_ARGS": "--threads 64"}, 32),
    (["/venv/bin/gunicorn", "app:server"], {}, 0),  # the sync worker: one thread, no room for a socket
    (["flask", "run"], {}, 2000),  # not gunicorn: Werkzeug starts a thread per request
])
def test_the_automatic_cap_leaves_half_of_gunicorns_threads_to_requests(argv, environ, cap):
    from helios_dash.realtime.ws import automatic_cap

    assert automatic_cap(argv, environ) == cap


def test_under_gunicorns_gthread_worker_a_write_arrives_and_the_automatic_cap_holds(tmp_path):
    """The deployed shape (make run: one gthread worker with 8 threads, DuckDB): flask-sock's
    "gunicorn" mode, and the automatic cap of 8 // 2 = 4 sockets, the fifth closed with 1013."""
    from tests.deployment import embedded, embedded_env, run_cli

    env = embedded_env(tmp_path)
    run_cli(env, "seed-demo", "--validations", "2000")
    run_cli(env, "users", "add", "editor@ws.test", "--role", "editor")
    editor = run_cli(env, "tokens", "create", "editor@ws.test", "--name", "ws", "--scope", "read",
                     "--scope", "write").stdout.strip().splitlines()[-1]
    with embedded(tmp_path, 0, threads=8) as deployment:
        base = deployment.servers[0].url
        sockets = [simple_websocket.Client.connect(base.replace("http://", "ws://") + "/stream", headers={
            "Authorization": f"Bearer {deployment.token}"}) for _ in range(5)]
        admitted, refused = sockets[:4], sockets[4]
        for ws in admitted:
            assert receive(ws, "hello")["role"] == "viewer"
        with pytest.raises(simple_websocket.ConnectionClosed) as closed:
            receive(refused, "hello")
        assert closed.value.reason == 1013
        admitted[0].send(json.dumps({"action": "subscribe", "channels": ["leaderboard"]}))
        receive(admitted[0], "subscribed")
        record = [{"id": "ws-gunicorn-1", "algorithm": "Warm-Started VQE", "domain": "quantum", "quality": 77.0,
                   "confidence": 0.8, "speedup": 1.5, "tests": 5, "validator": "ws-gunicorn",
                   "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
        request = urllib.request.Request(base + "/api/v1/validations", data=json.dumps(record).encode(),
                                         method="POST", headers={"Authorization": f"Bearer {editor}",
                                                                 "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:  # a page request still gets a thread
            assert answer.status == 201
        assert receive(admitted[0], "validation_complete")["result"]["validator"] == "ws-gunicorn"
        for ws in admitted:
            ws.close()


def test_scaled_out_a_write_on_one_host_reaches_a_socket_on_another_through_redis():
    """Two gunicorns (2 workers each) on one PostgreSQL and one Redis: the event crosses by pub/sub."""
    from tests.deployment import run_cli, scale_out

    with scale_out(2000, instances=2, workers=2, threads=4) as deployment:
        run_cli(deployment.env, "users", "add", "editor@ws.test", "--role", "editor")
        editor = run_cli(deployment.env, "tokens", "create", "editor@ws.test", "--name", "ws", "--scope", "read",
                         "--scope", "write").stdout.strip().splitlines()[-1]
        listening, writing = (server.url for server in deployment.servers)
        ws = simple_websocket.Client.connect(listening.replace("http://", "ws://") + "/ws/leaderboard",
                                             headers={"Authorization": f"Bearer {deployment.token}"})
        receive(ws, "subscribed")
        record = [{"id": "ws-redis-1", "algorithm": "Warm-Started VQE", "domain": "quantum", "quality": 66.0,
                   "confidence": 0.7, "speedup": 1.2, "tests": 4, "validator": "ws-redis",
                   "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
        request = urllib.request.Request(writing + "/api/v1/validations", data=json.dumps(record).encode(),
                                         method="POST", headers={"Authorization": f"Bearer {editor}",
                                                                 "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 201
        assert receive(ws, "validation_complete")["result"]["validator"] == "ws-redis"
        assert receive(ws, "leaderboard_update")["data_version"] is not None
        ws.close()


def test_a_ticket_opens_one_socket_once_without_any_other_credentials(live):
    made = live.api(live.viewer).post("/api/v1/stream/tickets")
    assert made.status_code == 201, made.get_json()
    ticket = made.get_json()["data"]
    assert ticket["url"] == f"/stream?ticket={ticket['ticket']}"
    ws = simple_websocket.Client.connect(live.url + ticket["url"])  # no header, no cookie
    assert receive(ws, "hello")["role"] == "viewer"
    ws.close()
    for url in (ticket["url"], "/stream?ticket=forged.ticket.value"):  # spent; never issued
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            simple_websocket.Client.connect(live.url + url)
        assert refused.value.status_code == 401
    anonymous = FlaskClient(live.server, live.server.response_class).post("/api/v1/stream/tickets")
    assert anonymous.status_code == 401
