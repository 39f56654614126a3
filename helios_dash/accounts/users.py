"""The users repository: create, find, list, change role, disable, sign-in bookkeeping.

Every change is written with its audit entry in one ``store.records()`` transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..domain.principal import ROLES, Principal
from ..errors import BadRequest, Conflict, NotFound
from ..schema import sessions, users
from ..store import Store
from . import audit, clock
from .passwords import check_password_rules, hash_password

# Deliberately loose (one @, a dot in the domain, no spaces): the address is an identifier
# here, never mailed by this issue; RFC 5322 in full refuses little that matters.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 254
MAX_NAME = 200


@dataclass(frozen=True)
class User:
    """One row of ``users`` (the password hash stays in the repository)."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    created_at: datetime
    last_login: datetime | None

    def as_principal(self, via: str = "session", token_id: int | None = None,
                     scopes: frozenset[str] | None = None) -> Principal:
        """This user as the principal of a request."""
        extra = {"scopes": scopes} if scopes is not None else {}
        return Principal(kind="user", role=self.role, user_id=self.id, email=self.email, name=self.name,
                         via=via, token_id=token_id, **extra)


def normalise_email(email: str) -> str:
    """Lower-cased and trimmed; BadRequest naming ``email`` when it is not an address."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value):
        raise BadRequest("Give an e-mail address such as ada@example.org.",
                         [{"field": "email", "message": "not an e-mail address"}])
    return value


def check_role(role: str) -> str:
    """``role`` if it is a global role; BadRequest naming ``role`` otherwise."""
    if role not in ROLES:
        raise BadRequest(f"A role is one of {', '.join(ROLES)}, not {role!r}.",
                         [{"field": "role", "message": f"one of {', '.join(ROLES)}"}])
    return role


def create_user(store: Store, by: Principal, email: str, password: str, role: str, name: str | None = None,
                context: audit.Context | None = None) -> User:
    """Add an active user; Conflict when the address is taken."""
    email, role = normalise_email(email), check_role(role)
    check_password_rules(password)
    name = (name or email.split("@")[0]).strip()[:MAX_NAME]
    password_hash = hash_password(password)  # outside the transaction: it takes ~50 ms of CPU
    with store.records() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.email == email)).first():
            raise Conflict(f"A user with the address {email} already exists.",
                           [{"field": "email", "message": "already taken"}])
        user_id = conn.execute(users.insert().values(
            email=email, name=name, role=role, active=True, password_hash=password_hash,
            created_at=clock.now()).returning(users.c.id)).scalar_one()
        audit.record(conn, by, "user.create", "user", user_id, {"email": email, "role": role, "name": name},
                     context)
    return get_user(store, user_id)


def get_user(store: Store, user_id: int) -> User:
    """The user with id ``user_id``; NotFound otherwise."""
    found = _select(store, users.c.id == user_id)
    if not found:
        raise NotFound(f"No user with id {user_id}.")
    return found[0]


def find_user(store: Store, email: str) -> User | None:
    """The user with this address (any case), or None."""
    found = _select(store, users.c.email == str(email).strip().lower())
    return found[0] if found else None


def list_users(store: Store) -> list[User]:
    """Every user, by address."""
    return _select(store, sa.true())


def count_admins(store: Store) -> int:
    """How many active admins exist (a server outside demo mode needs one)."""
    return int(store.scalar(sa.select(sa.func.count()).select_from(users)
                            .where(users.c.role == "admin", users.c.active.is_(True))))


def password_hash_of(store: Store, email: str) -> tuple[User | None, str | None]:
    """(user, stored hash) for a sign-in attempt; (None, None) when no such address."""
    found = store.rows(sa.select(users).where(users.c.email == str(email).strip().lower()))
    return (user_from_row(found[0]), found[0]["password_hash"]) if found else (None, None)


def record_sign_in(conn, user_id: int, new_hash: str | None) -> None:
    """Set last_login, and store a rehash made with newer argon2 parameters, inside ``conn``."""
    values = {"last_login": clock.now()} | ({"password_hash": new_hash} if new_hash else {})
    conn.execute(users.update().where(users.c.id == user_id).values(**values))


def set_role(store: Store, by: Principal, email: str, role: str, context: audit.Context | None = None) -> User:
    """Change a user's global role; the audit entry keeps the old and the new."""
    role = check_role(role)
    user = _require(store, email)
    with store.records() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(role=role))
        audit.record(conn, by, "user.set_role", "user", user.id, {"role": [user.role, role]}, context)
    return get_user(store, user.id)


def set_active(store: Store, by: Principal, email: str, active: bool, context: audit.Context | None = None) -> User:
    """Disable (or enable again) a user; disabling also ends every session of theirs."""
    user = _require(store, email)
    with store.records() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(active=active))
        if not active:
            conn.execute(sessions.delete().where(sessions.c.user_id == user.id))
        audit.record(conn, by, "user.enable" if active else "user.disable", "user", user.id,
                     {"active": [user.active, active]}, context)
    return get_user(store, user.id)


def set_password(store: Store, by: Principal, email: str, password: str, context: audit.Context | None = None) -> None:
    """Replace a user's password and end their sessions (the audit entry never holds the password)."""
    check_password_rules(password)
    user = _require(store, email)
    password_hash = hash_password(password)
    with store.records() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(password_hash=password_hash))
        conn.execute(sessions.delete().where(sessions.c.user_id == user.id))
        audit.record(conn, by, "user.set_password", "user", user.id, {}, context)


def _require(store: Store, email: str) -> User:
    user = find_user(store, email)
    if user is None:
        raise NotFound(f"No user with the address {email}.", [{"field": "email", "message": "unknown"}])
    return user


def _select(store: Store, condition) -> list[User]:
    return [user_from_row(row) for row in store.rows(sa.select(users).where(condition).order_by(users.c.email))]


def user_from_row(row) -> User:
    """A User from a row of ``users`` (or a join that carries its columns)."""
    return User(id=int(row["id"]), email=row["email"], name=row["name"], role=row["role"],
                active=bool(row["active"]), created_at=clock.as_utc(row["created_at"]), last_login=clock.as_utc(row["last_login"]))
