"""The background sender: claims due deliveries from the outbox, signs and posts them, records each outcome.

Several senders (gunicorn workers, ``helios-dash worker`` processes on other hosts) may poll one
store: a sender *claims* rows with ``UPDATE ... WHERE status = 'pending' AND claimed_by IS NULL``
inside ``store.records()`` (a process lock plus a PostgreSQL advisory lock), so one delivery is
sent by one sender at a time; a claim older than CLAIM_STALE belongs to a dead sender and is
taken over. The HTTP request itself runs outside any transaction. Every attempt is signed afresh
(new webhook-timestamp) under the same webhook-id, so receivers can drop repeats.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

import sqlalchemy as sa

from ..errors import HeliosError
from ..ops.metrics import WEBHOOK_DELIVERIES
from ..schema import webhook_deliveries, webhooks
from .guard import default_resolver
from .schedule import Schedule
from .signing import sign
from .transport import Delivery, deliver

log = logging.getLogger(__name__)

CLAIM_STALE = timedelta(minutes=5)  # far above the transport's timeout: only a dead sender's claim is this old
BATCH = 20  # deliveries claimed per poll
MAX_ERROR = 500  # characters of an error (or a refusing response's body) kept per delivery


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Sender:
    """Sends due deliveries of ``store``; ``run_once()`` for one pass, ``start()`` for a polling thread."""

    def __init__(self, store, keyring, *, allow_loopback: bool = False, schedule: Schedule | None = None,
                 clock: Callable[[], datetime] = utcnow, poll_seconds: float = 2.0, timeout: float = 5.0,
                 max_response_bytes: int = 4096, resolve=default_resolver):
        self.store, self.keyring, self.allow_loopback = store, keyring, allow_loopback
        self.schedule = schedule or Schedule()
        self.clock, self.poll_seconds, self.timeout = clock, poll_seconds, timeout
        self.max_response_bytes, self.resolve = max_response_bytes, resolve
        self.name = f"sender-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the loop ---------------------------------------------------------------------------------
    def start(self) -> "Sender":
        """Poll every ``poll_seconds`` on a daemon thread until ``stop()``."""
        self._thread = threading.Thread(target=self._loop, name=f"helios-webhooks-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + self.poll_seconds + 1)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_once() and not self._stop.is_set():
                    pass  # a full batch: more may be due
            except Exception:  # the store is down or busy: the next poll tries again
                log.warning("Webhook sender %s: a pass failed", self.name, exc_info=True)
            self._stop.wait(self.poll_seconds)

    def run_once(self) -> int:
        """Claim the due deliveries (up to BATCH) and send each once; returns how many were sent."""
        claimed = self.claim()
        for row in claimed:
            self.send(row)
        return len(claimed)

    # -- claims and attempts ----------------------------------------------------------------------
    def claim(self, delivery_id: str | None = None) -> list[dict]:
        """Take due, unclaimed (or stale) pending deliveries for this sender; only ``delivery_id`` if given."""
        d, moment = webhook_deliveries, self.clock()
        free = sa.or_(d.c.claimed_by.is_(None), d.c.claimed_at < moment - CLAIM_STALE)
        due = [d.c.status == "pending", free]
        if delivery_id is None:
            due.append(d.c.next_attempt_at <= moment)
        else:
            due.append(d.c.id == delivery_id)
        if self.store.scalar(sa.select(d.c.id).where(*due).limit(1)) is None:
            return []  # the usual answer: a plain read, no lock taken (sign-ins share the records lock)
        with self.store.records() as conn:
            ids = conn.execute(sa.select(d.c.id).where(*due).order_by(d.c.next_attempt_at, d.c.id)
                               .limit(BATCH)).scalars().all()
            if not ids:
                return []
            conn.execute(d.update().where(d.c.id.in_(ids), *due).values(claimed_by=self.name, claimed_at=moment))
            rows = conn.execute(sa.select(d).where(d.c.id.in_(ids), d.c.claimed_by == self.name)).mappings().all()
        return [dict(row) for row in rows]

    def send(self, row: dict, *, counts: bool = True) -> dict:
        """One attempt of a claimed delivery, and its outcome recorded; ``counts=False`` for a test event."""
        webhook = self._webhook(row["webhook_id"])
        if webhook is None or not webhook["active"]:
            reason = "the webhook was deleted" if webhook is None else "the webhook is disabled"
            return self._finish(row, "failed", None, f"Not sent: {reason}.")
        body = row["payload"].encode("utf-8")
        try:
            secret = self.keyring.decrypt(webhook["secret_encrypted"])
        except HeliosError as error:  # the key it was stored under is gone: an attempt that failed here
            return self._record(row, webhook, Delivery(None, 0.0, error.message, ""), error.message[:MAX_ERROR], counts)
        headers = {"content-type": "application/json", **sign(secret, row["id"], self.clock(), body)}
        if row["request_id"]:
            headers["x-request-id"] = row["request_id"]
        outcome = deliver(webhook["url"], body, headers, allow_loopback=self.allow_loopback, timeout=self.timeout,
                          max_response_bytes=self.max_response_bytes, resolve=self.resolve)
        if outcome.status is not None and 200 <= outcome.status < 300:
            return self._record(row, webhook, outcome, None, counts)
        error = outcome.error or f"HTTP {outcome.status}: {outcome.response_excerpt.strip()}".rstrip(": ")
        return self._record(row, webhook, outcome, error[:MAX_ERROR], counts)

    def _webhook(self, webhook_id: str) -> dict | None:
        found = self.store.rows(sa.select(webhooks).where(webhooks.c.id == webhook_id))
        return found[0] if found else None

    def _record(self, row: dict, webhook: dict, outcome, error: str | None, counts: bool) -> dict:
        """The attempt's outcome on the delivery, and on the webhook's failure counters (may disable it)."""
        d, moment = webhook_deliveries, self.clock()
        attempts = row["attempts"] + 1
        values = {"attempts": attempts, "last_status": outcome.status, "last_latency_ms": outcome.latency_ms,
                  "last_error": error, "claimed_by": None, "claimed_at": None, "updated_at": moment}
        if error is None:
            status = "delivered"
            values.update(delivered_at=moment, next_attempt_at=None)
        elif not counts or attempts >= self.schedule.max_attempts:  # a test event is tried once
            status = "dead" if counts else "failed"
            values.update(next_attempt_at=None)
        else:
            status = "pending"
            values.update(next_attempt_at=moment + timedelta(seconds=self.schedule.delay_after(attempts)))
        values["status"] = status
        WEBHOOK_DELIVERIES.labels("delivered" if error is None else "retry" if status == "pending" else status).inc()
        with self.store.records() as conn:
            conn.execute(d.update().where(d.c.id == row["id"], d.c.claimed_by == self.name).values(**values))
            if counts:
                self._count(conn, webhook, error is None, status == "dead", error, moment)
        return {**row, **values}

    def _count(self, conn, webhook: dict, delivered: bool, dead: bool, error: str | None, moment) -> None:
        """A success resets the webhook's counters; the Nth dead delivery in a row disables it."""
        w = webhooks
        if delivered:
            conn.execute(w.update().where(w.c.id == webhook["id"]).values(consecutive_failures=0, dead_deliveries=0))
            return
        conn.execute(w.update().where(w.c.id == webhook["id"]).values(
            consecutive_failures=w.c.consecutive_failures + 1,
            dead_deliveries=w.c.dead_deliveries + (1 if dead else 0)))
        in_a_row = conn.execute(sa.select(w.c.dead_deliveries).where(w.c.id == webhook["id"])).scalar()
        if dead and in_a_row is not None and in_a_row >= self.schedule.disable_after_dead:
            reason = (f"Disabled automatically on {moment:%Y-%m-%d %H:%M} UTC: {in_a_row} deliveries in a row "
                      f"failed all {self.schedule.max_attempts} attempts. Last error: {error}")
            disable(conn, webhook["id"], reason[:MAX_ERROR * 2], moment)
            log.warning("Webhook %s disabled: %s", webhook["id"], reason)

    def _finish(self, row: dict, status: str, http_status, error: str) -> dict:
        d, moment = webhook_deliveries, self.clock()
        values = {"status": status, "last_status": http_status, "last_error": error, "claimed_by": None,
                  "claimed_at": None, "next_attempt_at": None, "updated_at": moment}
        with self.store.records() as conn:
            conn.execute(d.update().where(d.c.id == row["id"], d.c.claimed_by == self.name).values(**values))
        WEBHOOK_DELIVERIES.labels(status).inc()
        return {**row, **values}


def disable(conn, webhook_id: str, reason: str, moment: datetime) -> None:
    """Turn the webhook off with ``reason``; its queued deliveries end as failed (they would never be sent)."""
    w, d = webhooks, webhook_deliveries
    conn.execute(w.update().where(w.c.id == webhook_id).values(active=False, disabled_reason=reason,
                                                               disabled_at=moment))
    conn.execute(d.update().where(d.c.webhook_id == webhook_id, d.c.status == "pending").values(
        status="failed", last_error="Not sent: the webhook was disabled.", next_attempt_at=None,
        claimed_by=None, claimed_at=None, updated_at=moment))


def payload_of(row: dict) -> dict:
    """A delivery's body as JSON."""
    return json.loads(row["payload"])
