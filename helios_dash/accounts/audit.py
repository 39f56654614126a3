"""The audit log: append-only, hash-chained entries (guide: user, action, resource, changes, time, IP).

Each entry's ``hash`` is SHA-256 over the previous entry's hash and this entry's fields in a
canonical form, so editing, deleting or inserting a row anywhere breaks the chain from there
on; ``verify_chain`` finds the first entry that does not match. Entries are appended inside
the transaction of the change they describe (``store.records()`` or ``store.write()``).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from ..domain.principal import Principal
from ..schema import audit_log, audit_log_id_seq

GENESIS = "0" * 64  # prev_hash of the first entry
# Keys never written into ``changes``, whatever a caller passes: the log is read by auditors,
# exported and shown on a page; a secret in it would be a leak with a paper trail.
SECRET_KEY = re.compile(r"password|secret|token|api_key|hash", re.IGNORECASE)
HASHED_FIELDS = ("id", "created_at", "actor", "actor_email", "action", "resource_type", "resource_id",
                 "changes", "ip", "request_id")


@dataclass(frozen=True)
class Context:
    """Where a change came from: the client's address and the request id (None at the command line)."""

    ip: str | None = None
    request_id: str | None = None


def record(conn, by: Principal, action: str, resource_type: str, resource_id, changes: dict | None = None,
           context: Context | None = None) -> int:
    """Append one entry inside the open transaction ``conn``; returns its id.

    The caller holds the store's records lock (``store.records()``, or ``store.write()``
    followed by it), so the previous hash read here is still the last when this commits.
    """
    context = context or Context()
    entry_id = int(conn.execute(sa.select(audit_log_id_seq.next_value())).scalar_one())
    prev_hash = conn.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    entry = {
        "id": entry_id,
        "created_at": datetime.now(timezone.utc),
        "actor": by.actor,
        "actor_email": by.email,
        "action": action,
        "resource_type": resource_type,
        "resource_id": None if resource_id is None else str(resource_id),
        "changes": json.dumps(scrub(changes or {}), sort_keys=True, default=str, ensure_ascii=False),
        "ip": context.ip,
        "request_id": context.request_id,
    }
    entry["prev_hash"] = prev_hash or GENESIS
    entry["hash"] = entry_hash(entry["prev_hash"], entry)
    conn.execute(audit_log.insert().values(**entry))
    return entry_id


def scrub(changes: dict) -> dict:
    """``changes`` without any key that names a secret, at any depth."""
    clean = {}
    for key, value in changes.items():
        if SECRET_KEY.search(str(key)):
            continue
        clean[key] = scrub(value) if isinstance(value, dict) else value
    return clean


def entry_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 hex over ``prev_hash`` and the canonical JSON of the entry's hashed fields."""
    canonical = {name: _canonical(entry.get(name)) for name in HASHED_FIELDS}
    payload = prev_hash + json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _canonical(value):
    """One spelling per value whichever database read it back (timestamps as UTC ISO, ids as int)."""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return aware.isoformat(timespec="microseconds")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
