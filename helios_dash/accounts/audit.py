"""The audit log: append-only, hash-chained entries (guide: user, action, resource, changes, time, IP).

Each entry's ``hash`` is SHA-256 over the previous entry's hash and this entry's fields in a
canonical form (its id included), so editing, deleting, inserting or swapping rows breaks the
chain there; ``verify_chain`` names the first entry that does not match. Entries are appended
inside the transaction of the change they describe (``store.records()`` or ``store.write()``).

What the chain alone cannot show: that its newest entries were deleted, or that someone able
to write the table recomputed the hashes from some entry to the end (SHA-256 has no key).
An anchor, a head (id and hash) printed by ``audit verify`` and kept outside the database,
covers both up to that entry.
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
    """``changes`` without any text or structure under a key that names a secret, at any depth.

    Flags, numbers and nulls stay whatever their key (``rehashed: true``, ``token_id: 5``): no
    secret fits in one, and dropping them would hide what happened.
    """
    return {key: _scrub_value(value) for key, value in changes.items()
            if value is None or isinstance(value, (bool, int, float)) or not SECRET_KEY.search(str(key))}


def _scrub_value(value):
    if isinstance(value, dict):
        return scrub(value)
    if isinstance(value, (list, tuple)):
        return [_scrub_value(item) for item in value]
    return value


def entry_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 hex over ``prev_hash`` and the canonical JSON of the entry's hashed fields."""
    canonical = {name: _canonical(entry.get(name)) for name in HASHED_FIELDS}
    payload = prev_hash + json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _canonical(value):
    """One spelling per value whichever database read it back (timestamps as UTC ISO, ids as int)."""
    if value is None or type(value) in (str, int):  # most fields: skip the checks (verify hashes millions)
        return value
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return aware.isoformat(timespec="microseconds")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


# -- reading and checking the log ------------------------------------------------------------
VERIFY_BATCH = 2_000  # entries read per statement while verifying: memory stays flat at any length
EXPORT_ACTION = "export.create"


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify_chain`` found: ``ok``, entries checked, and the first bad entry and why."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    head_id: int | None = None  # the last entry when intact: an anchor to keep outside the database
    head_hash: str | None = None


def verify_chain(store, anchor: tuple[int, str] | None = None, batch: int = VERIFY_BATCH) -> VerifyResult:
    """Walk the log in id order, recomputing every hash and every link; stop at the first bad entry.

    The chain alone cannot tell that its newest entries were deleted (what is left is a valid,
    shorter chain). ``anchor`` (id, hash), a head printed by an earlier run and kept elsewhere,
    closes that gap: the entry must still exist with that hash.
    """
    expected_prev, previous_id, checked, anchor_seen = GENESIS, None, 0, anchor is None
    for row in _in_id_order(store, batch):
        checked += 1
        problem = _entry_problem(row, expected_prev, previous_id)
        if problem is None and anchor is not None and row["id"] == anchor[0]:
            anchor_seen = True
            if row["hash"] != anchor[1]:
                problem = "its hash differs from the anchor recorded earlier: the log was rewritten up to here"
        if problem:
            return VerifyResult(False, checked, row["id"], problem)
        expected_prev, previous_id = row["hash"], row["id"]
    if not anchor_seen:
        return VerifyResult(False, checked, anchor[0], "this entry, recorded earlier as the head, is gone: "
                                                       "the newest entries were deleted")
    return VerifyResult(True, checked, head_id=previous_id, head_hash=None if previous_id is None else expected_prev)


def _entry_problem(row: dict, expected_prev: str, previous_id: int | None) -> str | None:
    """Why this entry breaks the chain, or None."""
    if entry_hash(row["prev_hash"], row) != row["hash"]:
        return "its hash does not match its contents: a field was edited"
    if row["prev_hash"] != expected_prev:
        if previous_id is None:
            return "it is the first entry but does not start the chain: entries before it were deleted"
        return (f"its prev_hash is not the hash of entry #{previous_id} before it: an entry between them was "
                f"deleted or inserted, or #{previous_id} was rewritten")
    return None


def _in_id_order(store, batch: int):
    """Every entry, oldest first, ``batch`` at a time (keyset pages: each a short indexed read)."""
    after = None
    while True:
        stmt = sa.select(audit_log).order_by(audit_log.c.id).limit(batch)
        rows = store.rows(stmt if after is None else stmt.where(audit_log.c.id > after))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def list_entries(store, actor: str | None = None, action: str | None = None, resource_type: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                 offset: int = 0) -> tuple[list[dict], int]:
    """One page of entries matching the filters, newest first, and how many match in all.

    ``actor`` matches the actor (user:7, cli:ada) or the e-mail; an ``action`` ending in ``*``
    is a prefix (``auth.*``); ``since`` is inclusive and ``until`` exclusive.
    """
    where = _conditions(actor, action, resource_type, since, until)
    total = store.scalar(sa.select(sa.func.count()).select_from(audit_log).where(*where))
    rows = store.rows(sa.select(audit_log).where(*where).order_by(audit_log.c.id.desc()).limit(limit).offset(offset))
    return [readable(row) for row in rows], int(total or 0)


def iter_entries(store, actor: str | None = None, action: str | None = None, resource_type: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, batch: int = VERIFY_BATCH):
    """Every entry matching the filters, newest first, read ``batch`` at a time (for streamed exports)."""
    where = _conditions(actor, action, resource_type, since, until)
    before = None
    while True:
        stmt = sa.select(audit_log).where(*where).order_by(audit_log.c.id.desc()).limit(batch)
        rows = store.rows(stmt if before is None else stmt.where(audit_log.c.id < before))
        yield from (readable(row) for row in rows)
        if len(rows) < batch:
            return
        before = rows[-1]["id"]


def readable(row: dict) -> dict:
    """An entry as callers show it: ``changes`` as a dict, ``created_at`` in UTC."""
    entry = dict(row)
    entry["created_at"] = _utc(entry["created_at"])
    entry["changes"] = json.loads(entry["changes"]) if entry["changes"] else {}
    return entry


def _conditions(actor, action, resource_type, since, until) -> list:
    where = []
    if actor:
        where.append(sa.or_(audit_log.c.actor == actor, sa.func.lower(audit_log.c.actor_email) == actor.lower()))
    if action and action.endswith("*"):
        prefix = action.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(audit_log.c.action.like(prefix + "%", escape="\\"))
    elif action:
        where.append(audit_log.c.action == action)
    if resource_type:
        where.append(audit_log.c.resource_type == resource_type)
    if since is not None:
        where.append(audit_log.c.created_at >= _utc(since))
    if until is not None:
        where.append(audit_log.c.created_at < _utc(until))
    return where


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def record_export(store, by: Principal, kind: str, fmt: str, filters_query: dict, context: Context | None = None,
                  sections=()) -> int:
    """Audit one export (who, which view and filters, which format) in its own transaction; returns the id."""
    changes = {"format": fmt, "filters": dict(filters_query), "sections": list(sections)}
    with store.records() as conn:
        return record(conn, by, EXPORT_ACTION, "export", kind, changes, context)
