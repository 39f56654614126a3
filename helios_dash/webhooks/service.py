"""Webhook endpoints: register, list, delete, the delivery log and a test send. No Flask here.

Editors and admins manage webhooks (Forbidden below editor). An editor sees and manages only the
webhooks they registered; an admin sees and manages everyone's. Another user's webhook is a 404
for an editor, as if it did not exist (its URL may carry a receiver's token). Writes are audited
in their transaction; the URL is checked by the guard at registration (and again on every send).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa

from ..accounts import audit
from ..domain.principal import Principal
from ..errors import BadRequest, Forbidden, NotFound
from ..schema import webhook_deliveries, webhooks
from .guard import check_url, default_resolver
from .outbox import EVENTS, TEST_EVENT, delivery_row, event_body
from .signing import new_secret

MAX_URL = 2000
MAX_PER_OWNER = 25
DELIVERY_FIELDS = ("id", "event", "status", "attempts", "next_attempt_at", "last_status", "last_latency_ms",
                   "last_error", "request_id", "created_at", "updated_at", "delivered_at")


def require_editor(by: Principal) -> None:
    if not by.has_role("editor"):
        raise Forbidden("Webhooks need the editor role.")


def check_events(events) -> list[str]:
    """The event names, each once, in the vocabulary's order; BadRequest naming ``events`` otherwise."""
    allowed = ", ".join(EVENTS)
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise BadRequest(f"events is a non-empty list of event names: {allowed}.",
                         [{"field": "events", "message": f"a non-empty list of: {allowed}"}])
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise BadRequest(f"Unknown event {unknown[0]!r}; events are {allowed}.",
                         [{"field": "events", "message": f"one of {allowed}"}])
    return [event for event in EVENTS if event in events]


def register_webhook(store, by: Principal, url, events, *, keyring, allow_loopback: bool = False,
                     resolve=default_resolver, context: audit.Context | None = None) -> dict:
    """Check and store a new webhook; returns it with its signing ``secret`` (shown this once only)."""
    require_editor(by)
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise BadRequest(f"url is an http(s) URL of at most {MAX_URL} characters.",
                         [{"field": "url", "message": f"an http(s) URL, at most {MAX_URL} characters"}])
    chosen = check_events(events)
    check_url(url, allow_loopback=allow_loopback, resolve=resolve)  # UnsafeTarget: a 400 naming the reason
    secret = new_secret()
    token = keyring.encrypt(secret)  # before the transaction: no key, no row
    webhook_id, moment = f"wh_{uuid.uuid4().hex}", datetime.now(timezone.utc)
    with store.records() as conn:
        owned = conn.execute(sa.select(sa.func.count()).select_from(webhooks)
                             .where(webhooks.c.owner_id == by.user_id)).scalar_one()
        if by.user_id is not None and owned >= MAX_PER_OWNER:
            raise BadRequest(f"At most {MAX_PER_OWNER} webhooks per user; delete one first.",
                             [{"field": "url", "message": f"at most {MAX_PER_OWNER} webhooks per user"}])
        conn.execute(webhooks.insert().values(
            id=webhook_id, url=url, events=json.dumps(chosen), secret_encrypted=token, owner_id=by.user_id,
            active=True, disabled_reason=None, disabled_at=None, consecutive_failures=0, dead_deliveries=0,
            created_at=moment))
        audit.record(conn, by, "webhook.create", "webhook", webhook_id,
                     {"url": shown_url(url), "events": chosen}, context)
    return {**get_webhook(store, by, webhook_id), "secret": secret}


def list_webhooks(store, by: Principal) -> list[dict]:
    """The webhooks ``by`` may see (own; every one for an admin), newest first, without secrets."""
    require_editor(by)
    query = sa.select(webhooks).order_by(webhooks.c.created_at.desc(), webhooks.c.id)
    if not by.has_role("admin"):
        query = query.where(webhooks.c.owner_id == by.user_id, webhooks.c.owner_id.is_not(None))
    return [readable(row) for row in store.rows(query)]


def get_webhook(store, by: Principal, webhook_id: str) -> dict:
    """One webhook ``by`` may see; NotFound otherwise (another editor's is not theirs to know of)."""
    require_editor(by)
    rows = store.rows(sa.select(webhooks).where(webhooks.c.id == str(webhook_id)))
    if not rows or not visible(rows[0], by):
        raise NotFound(f"No webhook {webhook_id}.")
    return readable(rows[0])


def visible(row: dict, by: Principal) -> bool:
    return by.has_role("admin") or (row["owner_id"] is not None and row["owner_id"] == by.user_id)


def delete_webhook(store, by: Principal, webhook_id: str, context: audit.Context | None = None) -> None:
    """Remove the webhook and its delivery log; nothing queued for it is sent any more."""
    found = get_webhook(store, by, webhook_id)
    with store.records() as conn:
        conn.execute(webhook_deliveries.delete().where(webhook_deliveries.c.webhook_id == found["id"]))
        conn.execute(webhooks.delete().where(webhooks.c.id == found["id"]))
        audit.record(conn, by, "webhook.delete", "webhook", found["id"], {"url": shown_url(found["url"])}, context)


def list_deliveries(store, by: Principal, webhook_id: str, *, limit: int = 50, offset: int = 0,
                    status: str | None = None) -> tuple[list[dict], int]:
    """A page of the webhook's delivery log, newest first, and how many in all."""
    found = get_webhook(store, by, webhook_id)
    d = webhook_deliveries
    where = [d.c.webhook_id == found["id"]] + ([d.c.status == status] if status else [])
    total = store.scalar(sa.select(sa.func.count()).select_from(d).where(*where))
    rows = store.rows(sa.select(*(d.c[name] for name in DELIVERY_FIELDS)).where(*where)
                      .order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit).offset(offset))
    return [delivery(row) for row in rows], int(total or 0)


def send_test_event(store, by: Principal, webhook_id: str, sender, context: audit.Context | None = None) -> dict:
    """Send a ``webhook.test`` event now (one attempt, not retried, not counted against the endpoint)."""
    found = get_webhook(store, by, webhook_id)
    moment = datetime.now(timezone.utc)
    body = event_body(TEST_EVENT, {"webhook_id": found["id"], "message": "A test event from HELIOS Analytics."},
                      moment)
    row = delivery_row(found["id"], TEST_EVENT, body, moment)
    with store.records() as conn:
        conn.execute(webhook_deliveries.insert().values(**row))
        audit.record(conn, by, "webhook.test", "webhook", found["id"], {"delivery": row["id"]}, context)
    claimed = sender.claim(row["id"])
    outcome = sender.send(claimed[0], counts=False) if claimed else row
    return delivery(outcome)


# -- as services return them ------------------------------------------------------------------
def readable(row: dict) -> dict:
    """A webhook without its secret: the owner sees why it was disabled."""
    return {"id": row["id"], "url": row["url"], "events": json.loads(row["events"]), "active": bool(row["active"]),
            "disabled_reason": row["disabled_reason"], "disabled_at": _utc(row["disabled_at"]),
            "consecutive_failures": int(row["consecutive_failures"]), "owner_id": row["owner_id"],
            "created_at": _utc(row["created_at"])}


def delivery(row: dict) -> dict:
    """A delivery log entry (the payload itself is left out: it is the event, kept for the sender)."""
    found = {name: row.get(name) for name in DELIVERY_FIELDS}
    for name in ("next_attempt_at", "created_at", "updated_at", "delivered_at"):
        found[name] = _utc(found[name])
    found["attempts"] = int(found["attempts"] or 0)
    return found


def shown_url(url: str) -> str:
    """The URL without its query (which may hold a receiver's token): for the audit log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _utc(moment):
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
