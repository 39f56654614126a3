"""Short-lived tickets for /stream: ``POST /api/v1/stream/tickets``, then ``/stream?ticket=...`` within 60 s.

For a client that can neither send a header with its WebSocket (browsers) nor use the cookie
(a page on another origin): it asks for a ticket with its token, then opens the socket with it,
so the long-lived token never sits in a URL. A ticket is signed (itsdangerous, the secret key, a
salt of its own), names the user (or the anonymous visitor), the scopes of the credentials that
asked, and a nonce; it is spent at its first use: in Redis (``SET NX EX``) when configured, so
every worker and host agrees, else in this process (the embedded deployment has one).
The user is read again when the ticket is spent: a user disabled meanwhile gets nothing.
"""
from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta, timezone

from itsdangerous import BadData, URLSafeTimedSerializer
from pydantic import BaseModel, Field

from ..access.current import current_principal
from ..api.blueprint import api
from ..domain.principal import Principal, anonymous
from ..runtime import current_runtime

SALT = "helios.stream-ticket"
TTL_SECONDS = 60


class StreamTicket(BaseModel):
    """A single-use ticket for the WebSocket /stream."""

    ticket: str = Field(description="append as ?ticket=... to /stream or /ws/leaderboard; single use")
    expires_at: datetime = Field(description="UTC; unused tickets are refused after it")
    url: str = Field(description="the path to open, ticket included")


class SpentNonces:
    """Nonces already used, in this process, forgotten once their ticket would have expired anyway."""

    def __init__(self):
        self._lock = threading.Lock()
        self._spent: dict[str, float] = {}

    def spend(self, nonce: str) -> bool:
        """True the first time ``nonce`` is spent."""
        now = time.monotonic()
        with self._lock:
            self._spent = {key: until for key, until in self._spent.items() if until > now}
            if nonce in self._spent:
                return False
            self._spent[nonce] = now + TTL_SECONDS + 5
            return True


_local_spent = SpentNonces()


def spend(nonce: str, redis_url: str | None) -> bool:
    """True the first time ``nonce`` is spent, across every process sharing the Redis when there is one."""
    if not redis_url:
        return _local_spent.spend(nonce)
    from ..redis_support import fail_fast_client

    client = fail_fast_client(redis_url, 1.0)
    try:
        return bool(client.set(f"helios:stream-ticket:{nonce}", 1, nx=True, ex=TTL_SECONDS + 5))
    finally:
        client.close()


def serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue(principal: Principal, secret_key: str) -> str:
    """A ticket standing for ``principal`` (its user, or the anonymous visitor) with its scopes."""
    return serializer(secret_key).dumps({"u": principal.user_id, "s": sorted(principal.scopes),
                                         "n": secrets.token_urlsafe(16)})


def principal_from_ticket(raw: str) -> Principal | None:
    """The principal a valid, unspent, unexpired ticket stands for; None otherwise (the guard's 401)."""
    from ..accounts.users import get_user
    from ..errors import NotFound

    runtime = current_runtime()
    try:
        claims = serializer(runtime.settings.secret_key).loads(raw, max_age=TTL_SECONDS)
        user_id, scopes, nonce = claims["u"], frozenset(claims["s"]), str(claims["n"])
    except (BadData, KeyError, TypeError):
        return None
    if not spend(nonce, runtime.settings.redis_url):
        return None
    if user_id is None:
        visitor = anonymous(runtime.settings.anonymous_role)
        return visitor if visitor.role else None
    try:
        user = get_user(runtime.store, int(user_id))
    except NotFound:
        return None
    return user.as_principal(via="ticket", scopes=scopes) if user.active else None


@api.post("/stream/tickets", endpoint="stream_ticket")
def create_ticket():
    """A ticket for /stream, valid 60 s, for one connection (rules.py: READ, like the socket itself)."""
    from ..api.hypotheses import success

    raw = issue(current_principal(), current_runtime().settings.secret_key)
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=TTL_SECONDS)
    return success({"ticket": raw, "expires_at": expires.isoformat().replace("+00:00", "Z"),
                    "url": f"/stream?ticket={raw}"}, status=201)
