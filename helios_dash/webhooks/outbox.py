"""The outbox: ``record_event`` writes one delivery row per active webhook subscribed to the event.

Called inside the transaction of the change that caused the event, so an event exists exactly
when its change committed (a rolled-back write leaves none). Rows are fanned out here, at write
time, rather than one event row fanned out by the sender: each (event, webhook) pair has its own
attempts, schedule and outcome anyway; the subscribers are those of the moment of the change
(a webhook registered later does not receive older events); and with no webhook subscribed a
write pays one small SELECT and inserts nothing.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from ..domain.principal import SENSITIVE_FIELDS
from ..ops.context import current_request_id
from ..schema import webhook_deliveries, webhooks

EVENTS = ("validation.completed", "hypothesis.created", "hypothesis.validated", "research.completed")
TEST_EVENT = "webhook.test"  # sent by POST /webhooks/{id}/test only; nobody subscribes to it


def new_message_id() -> str:
    """A delivery's id, sent as the webhook-id header on every attempt (Standard Webhooks: msg_...)."""
    return f"msg_{uuid.uuid4().hex}"


def record_event(conn, event: str, payload: dict, *, moment: datetime | None = None) -> list[str]:
    """Queue ``event`` for every active webhook subscribed to it, in the open transaction; returns the ids."""
    rows = conn.execute(sa.select(webhooks.c.id, webhooks.c.events).where(webhooks.c.active.is_(True))).all()
    subscribed = [row.id for row in rows if event in json.loads(row.events)]
    if not subscribed:
        return []
    moment = moment or datetime.now(timezone.utc)
    body = event_body(event, payload, moment)
    queued = [delivery_row(webhook_id, event, body, moment) for webhook_id in subscribed]
    conn.execute(webhook_deliveries.insert(), queued)
    return [row["id"] for row in queued]


def event_body(event: str, payload: dict, moment: datetime) -> str:
    """The JSON body receivers get: Standard Webhooks' {"type", "timestamp", "data"}, sensitive fields dropped."""
    stamp = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"type": event, "timestamp": stamp, "data": scrubbed(payload)},
                      ensure_ascii=False, allow_nan=False, default=_plain, separators=(",", ":"))


def delivery_row(webhook_id: str, event: str, body: str, moment: datetime) -> dict:
    """A pending delivery, due at once."""
    return {"id": new_message_id(), "webhook_id": webhook_id, "event": event, "payload": body,
            "status": "pending", "attempts": 0, "next_attempt_at": moment, "claimed_by": None,
            "claimed_at": None, "request_id": current_request_id(), "created_at": moment, "updated_at": moment}


def scrubbed(value):
    """``value`` without author_email / internal_notes at any depth: webhooks leave the server."""
    if isinstance(value, dict):
        return {key: scrubbed(inner) for key, inner in value.items() if key not in SENSITIVE_FIELDS}
    if isinstance(value, (list, tuple)):
        return [scrubbed(inner) for inner in value]
    return value


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")
