"""Server-side sessions: the browser holds a random id, the table its SHA-256 and the timestamps.

A session ends when it is idle too long, when it is older than the absolute lifetime, when
its user signs out (this row) or out everywhere (every row of the user), or is disabled.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..schema import sessions, users
from ..store import Store
from . import clock
from .users import User, user_from_row

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often per session


def session_hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def start_session(conn, user_id: int, ip: str | None, user_agent: str | None) -> str:
    """A new session for ``user_id`` inside the open records transaction; returns its raw id (for the cookie)."""
    raw_id = secrets.token_urlsafe(32)
    now = clock.now()
    conn.execute(sessions.insert().values(id_hash=session_hash(raw_id), user_id=user_id, created_at=now,
                                          last_seen_at=now, ip=ip, user_agent=(user_agent or "")[:300]))
    return raw_id


def resolve_session(store: Store, raw_id: str, idle: timedelta, lifetime: timedelta) -> User | None:
    """The active user of a live session, or None (and the row removed) when it is over."""
    id_hash = session_hash(raw_id)
    found = store.rows(sa.select(sessions.c.created_at, sessions.c.last_seen_at, users)
                       .join(users, users.c.id == sessions.c.user_id).where(sessions.c.id_hash == id_hash))
    if not found:
        return None
    row, now = found[0], clock.now()
    created, seen = clock.as_utc(row["created_at"]), clock.as_utc(row["last_seen_at"])
    if not row["active"] or now - seen > idle or now - created > lifetime:
        with store.records() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == id_hash))
        return None
    if now - seen > TOUCH_EVERY:
        with store.records() as conn:
            conn.execute(sessions.update().where(sessions.c.id_hash == id_hash).values(last_seen_at=now))
    return user_from_row(row)


def end_session(conn, raw_id: str) -> None:
    """Remove one session inside the open records transaction (sign-out)."""
    conn.execute(sessions.delete().where(sessions.c.id_hash == session_hash(raw_id)))


def end_all_sessions(conn, user_id: int) -> int:
    """Remove every session of ``user_id`` (sign out everywhere); returns how many there were."""
    return conn.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount
