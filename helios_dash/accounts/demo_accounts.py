"""The demo accounts: viewer@, editor@ and admin@demo.helios, password ``helios-demo``, demo mode only.

Their password is public (the sign-in page shows it), so a server started outside demo mode
disables them: a store first run as a demo must not keep a known admin password.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..domain.principal import ROLES, Principal
from ..schema import users
from ..store import Store
from . import audit
from .passwords import hash_password
from .clock import now as _now

DEMO_DOMAIN = "demo.helios"
DEMO_PASSWORD = "helios-demo"  # shorter than the 12-character rule on purpose: it is not a secret
SYSTEM = Principal(kind="cli", role="admin", name="helios-startup", via="cli")


def demo_email(role: str) -> str:
    return f"{role}@{DEMO_DOMAIN}"


def ensure_demo_accounts(store: Store) -> None:
    """Create the three demo accounts, or make them usable again with the demo password."""
    wanted = {demo_email(role): role for role in ROLES}
    existing = {row["email"]: row for row in store.rows(sa.select(users).where(users.c.email.in_(list(wanted))))}
    password_hash = hash_password(DEMO_PASSWORD)
    with store.records() as conn:
        for email, role in wanted.items():
            values = dict(role=role, active=True, password_hash=password_hash)
            if email in existing:
                if existing[email]["active"] and existing[email]["role"] == role:
                    continue
                conn.execute(users.update().where(users.c.email == email).values(**values))
                audit.record(conn, SYSTEM, "user.demo_enable", "user", existing[email]["id"], {"role": role})
            else:
                user_id = conn.execute(users.insert().values(email=email, name=f"Demo {role}", created_at=_now(),
                                                             **values).returning(users.c.id)).scalar_one()
                audit.record(conn, SYSTEM, "user.create", "user", user_id, {"email": email, "role": role,
                                                                          "demo": True})


def disable_demo_accounts(store: Store) -> int:
    """Disable every active demo account (a server outside demo mode); returns how many."""
    rows = store.rows(sa.select(users.c.id, users.c.email)
                      .where(users.c.email.like(f"%@{DEMO_DOMAIN}"), users.c.active.is_(True)))
    if rows:
        with store.records() as conn:
            for row in rows:
                conn.execute(users.update().where(users.c.id == row["id"]).values(active=False))
                audit.record(conn, SYSTEM, "user.disable", "user", row["id"], {"reason": "not in demo mode"})
    return len(rows)
