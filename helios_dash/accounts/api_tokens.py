"""The API tokens repository: create, list, revoke, and authenticate a presented token.

Only the SHA-256 of a token and its visible prefix are stored (format in ``tokens.py``).
Creation and revocation are written with their audit entry in one ``store.records()``
transaction; neither the token nor its hash ever reaches the audit log.
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..domain.principal import SCOPES, Principal
from ..errors import BadRequest, Forbidden, NotFound
from ..schema import api_tokens, users
from ..store import Store
from . import audit
from .tokens import KIND_PREFIX, kind_of, looks_valid, new_token, token_hash
from . import clock
from .users import User

MAX_NAME = 100
MAX_EXPIRES_DAYS = 3650
# last_used_at is bookkeeping, not an audit trail: writing it on every request would put a
# records transaction (and on PostgreSQL an advisory lock) in front of every API call.
LAST_USED_GRANULARITY = timedelta(minutes=1)
OWNER_COLUMNS = tuple(users.c[name].label(f"owner_{name}")
                      for name in ("email", "name", "role", "active", "created_at", "last_login"))


@dataclass(frozen=True)
class Token:
    """One row of ``api_tokens`` (the hash stays in the repository)."""

    id: int
    user_id: int
    name: str
    kind: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """"active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or clock.now()):
            return "expired"
        return "active"


def create_token(store: Store, by: Principal, user: User, name: str, scopes, expires_days: int | None = None,
                 kind: str = "personal", context: audit.Context | None = None) -> tuple[str, Token]:
    """A new token for ``user``: (the raw token, to show once, and its row). Only its owner or an admin may."""
    if by.user_id != user.id and not by.has_role("admin"):
        raise Forbidden("Only an admin may create a token for another user.")
    name, scopes = check_name(name), check_scopes(scopes, user)
    expires_days, kind = check_expires_days(expires_days), check_kind(kind)
    raw, prefix, hashed = new_token(kind)
    now = clock.now()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    with store.records() as conn:
        token_id = conn.execute(api_tokens.insert().values(
            user_id=user.id, name=name, kind=kind, prefix=prefix, token_hash=hashed, scopes=" ".join(scopes),
            created_at=now, expires_at=expires_at).returning(api_tokens.c.id)).scalar_one()
        audit.record(conn, by, "token.create", "token", token_id,
                     {"user_id": user.id, "name": name, "kind": kind, "scopes": list(scopes), "prefix": prefix,
                      "expires_at": expires_at.isoformat() if expires_at else None}, context)
    return raw, get_token(store, token_id)


def get_token(store: Store, token_id: int) -> Token:
    """The token with id ``token_id``; NotFound otherwise."""
    found = _select(store, api_tokens.c.id == token_id)
    if not found:
        raise NotFound(f"No token with id {token_id}.")
    return found[0]


def list_tokens(store: Store, user_id: int | None = None) -> list[Token]:
    """One user's tokens, or everyone's (``user_id`` None, for admins); newest first."""
    return _select(store, sa.true() if user_id is None else api_tokens.c.user_id == user_id)


def revoke_token(store: Store, by: Principal, token_id: int, owner_id: int | None = None,
                 context: audit.Context | None = None) -> Token:
    """Revoke a token; with ``owner_id``, NotFound unless that user owns it (without, admins only).

    Revoking a revoked token changes nothing and writes no second audit entry.
    """
    if owner_id is None and not by.has_role("admin"):
        raise Forbidden("Only an admin may revoke another user's token.")
    token = get_token(store, token_id)
    if owner_id is not None and token.user_id != owner_id:
        # The same answer as for a token that does not exist: ids of others' tokens are not confirmed.
        raise NotFound(f"No token with id {token_id}.")
    if token.revoked_at is not None:
        return token
    with store.records() as conn:
        revoked = conn.execute(api_tokens.update()
                               .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                               .values(revoked_at=clock.now()).returning(api_tokens.c.id)).first()
        if revoked:  # None when another request revoked it since the read above
            audit.record(conn, by, "token.revoke", "token", token_id,
                         {"user_id": token.user_id, "name": token.name, "prefix": token.prefix}, context)
    return get_token(store, token_id)


def authenticate_token(store: Store, raw: str, kind: str) -> tuple[User, Token] | None:
    """(user, token) for a presented token of ``kind``, or None when it is malformed, unknown,
    revoked, expired, of the other kind, or its user is disabled."""
    if kind not in KIND_PREFIX or not looks_valid(raw) or kind_of(raw) != kind:
        return None  # a typo or a guess costs no database lookup
    presented = token_hash(raw)
    # One round trip for the token and its owner: this runs for every API request that sends a token.
    found = store.rows(sa.select(api_tokens, *OWNER_COLUMNS)
                       .join(users, users.c.id == api_tokens.c.user_id)
                       .where(api_tokens.c.token_hash == presented))
    if not found or not hmac.compare_digest(found[0]["token_hash"], presented):
        return None
    row, now = found[0], clock.now()
    token, user = _token(row), _owner(row)
    if row["kind"] != kind or token.status(now) != "active" or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token = _mark_used(store, token, now)
    return user, token


def check_name(name) -> str:
    """The trimmed name; BadRequest naming ``name`` unless it has 1 to 100 characters."""
    value = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(value) <= MAX_NAME:
        raise BadRequest(f"A token needs a name of 1 to {MAX_NAME} characters.",
                         [{"field": "name", "message": f"1 to {MAX_NAME} characters"}])
    return value


def check_scopes(scopes, user: User | None = None) -> tuple[str, ...]:
    """The scopes in canonical order; BadRequest naming ``scopes`` when empty, unknown, or ``admin``
    for a user who is not an admin (it could never be used)."""
    chosen = [scopes] if isinstance(scopes, str) else list(scopes or ())
    unknown = sorted({str(scope) for scope in chosen} - set(SCOPES))
    if not chosen or unknown:
        problem = f"unknown: {', '.join(unknown)}" if unknown else "choose at least one"
        raise BadRequest(f"A token's scopes are one or more of {', '.join(SCOPES)} ({problem}).",
                         [{"field": "scopes", "message": problem}])
    if "admin" in chosen and user is not None and user.role != "admin":
        raise BadRequest("Only an admin's token may have the admin scope.",
                         [{"field": "scopes", "message": "admin needs the admin role"}])
    return tuple(scope for scope in SCOPES if scope in chosen)


def check_expires_days(expires_days) -> int | None:
    """None (never expires) or a whole number of days from 1 to 3650; BadRequest naming ``expires_days``."""
    if expires_days is None:
        return None
    days = _whole_number(expires_days)
    if days is None or not 1 <= days <= MAX_EXPIRES_DAYS:
        raise BadRequest(f"A token expires after 1 to {MAX_EXPIRES_DAYS} days.",
                         [{"field": "expires_days", "message": f"a whole number from 1 to {MAX_EXPIRES_DAYS}"}])
    return days


def check_kind(kind) -> str:
    """"personal" or "service"; BadRequest naming ``kind`` otherwise."""
    if kind not in KIND_PREFIX:
        raise BadRequest("A token is personal (Bearer) or a service key (X-API-Key).",
                         [{"field": "kind", "message": "personal or service"}])
    return kind


def _whole_number(value) -> int | None:
    """An int from an int or a string of digits (a form field); None for anything else (True, 1.5, "7d")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        return int(value)
    return None


def _mark_used(store: Store, token: Token, now: datetime) -> Token:
    # The condition repeats the check, so two requests racing within the minute write once.
    with store.records() as conn:
        conn.execute(api_tokens.update().where(
            api_tokens.c.id == token.id,
            sa.or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at <= now - LAST_USED_GRANULARITY),
        ).values(last_used_at=now))
    return replace(token, last_used_at=now)


def _select(store: Store, condition) -> list[Token]:
    stmt = sa.select(api_tokens).where(condition).order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    return [_token(row) for row in store.rows(stmt)]


def _token(row) -> Token:
    return Token(id=int(row["id"]), user_id=int(row["user_id"]), name=row["name"], kind=row["kind"],
                 prefix=row["prefix"], scopes=tuple(row["scopes"].split()), created_at=clock.as_utc(row["created_at"]),
                 expires_at=clock.as_utc(row["expires_at"]), last_used_at=clock.as_utc(row["last_used_at"]),
                 revoked_at=clock.as_utc(row["revoked_at"]))


def _owner(row) -> User:
    return User(id=int(row["user_id"]), email=row["owner_email"], name=row["owner_name"], role=row["owner_role"],
                active=bool(row["owner_active"]), created_at=clock.as_utc(row["owner_created_at"]),
                last_login=clock.as_utc(row["owner_last_login"]))
