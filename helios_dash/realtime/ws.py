"""WebSocket ``/stream`` (and the guide's ``/ws/leaderboard``): live messages over flask-sock.

Who may connect is the guard's decision, as for any GET (rules.py: READ): a token
(``Authorization: Bearer``, ``X-API-Key`` or ``?api_key=``), the session cookie, or the anonymous
visitor where HELIOS_ANONYMOUS_ROLE opens reading. Refusals come before the upgrade, as HTTP
(401 envelope, 403). A GET is "safe" to the guard, so the cross-site check that protects unsafe
requests does not run for the handshake: here, a socket riding on the cookie must carry this
site's Origin (browsers always send it with a WebSocket), else 403 (cross-site WebSocket hijacking).

Each socket holds the gunicorn thread that accepted it for its whole life (flask-sock on the
gthread worker), plus simple-websocket's reader thread, which also sends the pings.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from flask_sock import Sock

from ..access.current import current_principal
from ..access.guard import same_origin
from ..api.envelope import failure
from ..ops.metrics import WEBSOCKET_CONNECTIONS
from ..runtime import current_runtime
from . import messages
from .feed import Feed
from .hub import TRY_AGAIN_LATER, Connection, Hub

log = logging.getLogger(__name__)

STREAM_KEY = "helios.stream"  # server.extensions: (Hub, Feed) of this app
stream = Blueprint("stream", __name__)
sock = Sock()


def init_stream(server) -> None:
    """Register /stream and /ws/leaderboard on ``server`` with a hub and feed of its own."""
    settings = server.extensions["helios.runtime"].settings
    hub = Hub(settings.ws_max_connections or automatic_cap(), settings.ws_send_queue)
    server.extensions[STREAM_KEY] = (hub, Feed(server, hub))
    server.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": settings.ws_ping_seconds,
                                            "max_message_size": messages.MAX_CLIENT_MESSAGE}
    server.register_blueprint(stream)


def automatic_cap(argv=None, environ=None) -> int:
    """Half of gunicorn's ``--threads`` (command line or GUNICORN_CMD_ARGS): the other half stays for
    page and API requests, which would otherwise queue behind sockets that never end. 2000 when
    not under gunicorn (the Werkzeug server starts a thread per request, without a bound)."""
    import os
    import shlex
    import sys

    argv = sys.argv if argv is None else argv
    words = list(argv) + shlex.split((os.environ if environ is None else environ).get("GUNICORN_CMD_ARGS", ""))
    if not any("gunicorn" in word for word in argv):
        return 2000
    threads = 1
    for index, word in enumerate(words):
        if word == "--threads" and index + 1 < len(words):
            threads = int(words[index + 1])
        elif word.startswith("--threads="):
            threads = int(word.split("=", 1)[1])
    return threads // 2  # a sync worker (1 thread): 0, every socket refused with 1013, pages poll


@stream.before_request
def check_handshake():
    """After the guard: refuse a cross-site cookie handshake, and a request this server cannot upgrade."""
    if current_principal().via == "session" and not same_origin():
        return failure("FORBIDDEN", "Cross-site WebSocket refused: connect from this site's own pages, "
                                    "or with a token.", status=403)
    if "werkzeug.socket" not in request.environ and "gunicorn.socket" not in request.environ:
        # The Flask test client, or a server flask-sock does not know: say so instead of a 500.
        return failure("BAD_REQUEST", "This server cannot upgrade this request to a WebSocket.", status=400)
    # No permessage-deflate (simple-websocket accepts whatever the client offers): our messages are a
    # few hundred bytes, and a zlib pair per socket costs ~0.3 MB and a compression per send per socket.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    return None


@sock.route("/stream", bp=stream, endpoint="stream")
def stream_socket(ws):
    """Messages of the channels the client subscribes to."""
    serve(ws, ())


@sock.route("/ws/leaderboard", bp=stream, endpoint="leaderboard")
def leaderboard_socket(ws):
    """The guide's live leaderboard: /stream already subscribed to ``leaderboard``."""
    serve(ws, (messages.LEADERBOARD,))


def serve(ws, channels: tuple[str, ...]) -> None:
    """The life of one socket: register, then send what is queued and answer what arrives."""
    runtime = current_runtime()
    hub, feed = current_app.extensions[STREAM_KEY]
    feed.start(runtime)  # once per process: the bus subscription and the feed's thread
    principal = current_principal()
    connection = Connection(ws.sock, principal.sees_sensitive, principal.actor, hub.queue_size, ws.event)
    if not hub.add(connection):
        log.warning("WebSocket refused: %d connections open on this worker (HELIOS_WS_MAX_CONNECTIONS)",
                    hub.max_connections)
        ws.close(TRY_AGAIN_LATER, f"This server holds its maximum of {hub.max_connections} live connections; "
                                  "try again later (pages keep polling meanwhile).")
        return
    WEBSOCKET_CONNECTIONS.inc()
    try:
        ws.send(messages.control("hello", role=principal.role, channels=list(messages.CHANNELS),
                                 ping_seconds=runtime.settings.ws_ping_seconds))
        if channels:
            subscribe(connection, feed, ws, messages.ClientMessage("subscribe", channels))
        pump(ws, connection, feed, runtime.settings.ws_ping_seconds)
    finally:
        hub.remove(connection)
        WEBSOCKET_CONNECTIONS.dec()


def pump(ws, connection: Connection, feed: Feed, wait_seconds: float) -> None:
    """Until either side closes: answer client messages, send queued ones.

    One wait serves both directions: simple-websocket sets ``ws.event`` when a frame arrives and
    the hub sets the same event when it queues a message, so an idle socket costs no wake-ups
    (its reader thread wakes once per ping interval). Cleared before draining, so nothing is missed.
    """
    while ws.connected and connection.dropped_reason is None:
        ws.event.wait(timeout=wait_seconds)
        ws.event.clear()
        while ws.input_buffer:
            answer(ws, connection, feed, ws.input_buffer.pop(0))
        for text in connection.take():
            ws.send(text)


def answer(ws, connection: Connection, feed: Feed, text) -> None:
    """Handle one client message; a bad one gets an ``error`` message and the socket stays open."""
    try:
        request_ = messages.parse_client_message(text)
    except messages.ProtocolError as problem:
        ws.send(messages.error(problem.code, str(problem)))
        return
    if request_.action == "ping":
        ws.send(messages.control("pong"))
    elif request_.action == "subscribe":
        subscribe(connection, feed, ws, request_)
    else:
        connection.channels -= set(request_.channels)
        ws.send(messages.control("unsubscribed", channels=list(request_.channels),
                                 subscriptions=sorted(connection.channels)))


def subscribe(connection: Connection, feed: Feed, ws, request_: messages.ClientMessage) -> None:
    if messages.LEADERBOARD in request_.channels:
        feed.remember_ranks()  # the 'before' of the next leaderboard_update, taken before we answer
    connection.channels |= set(request_.channels)
    ws.send(messages.control("subscribed", channels=list(request_.channels),
                             subscriptions=sorted(connection.channels)))
