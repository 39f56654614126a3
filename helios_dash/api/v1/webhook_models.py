"""Pydantic models of the webhooks API: ``WebhookCreate`` checks the body; the others describe the answers."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from ...webhooks.outbox import EVENTS
from ...webhooks.service import MAX_URL

EventName = Literal[EVENTS]  # type: ignore[valid-type] - the vocabulary, one place


class WebhookCreate(BaseModel):
    """POST /api/v1/webhooks: where to send, and which events."""

    model_config = ConfigDict(extra="forbid")

    url: StrictStr = Field(min_length=1, max_length=MAX_URL, pattern=r"^\S+$",
                           description="http(s) URL of a public address; checked now and on every send")
    events: list[EventName] = Field(min_length=1, max_length=len(EVENTS), description="events to receive")


class Webhook(BaseModel):
    """A webhook as listed: never its secret."""

    model_config = ConfigDict(extra="allow")

    id: str
    url: str
    events: list[str]
    active: bool
    disabled_reason: str | None = Field(description="why the sender disabled it, when it did")
    disabled_at: str | None
    consecutive_failures: int
    owner_id: int | None
    created_at: str


class WebhookCreated(Webhook):
    """The answer to POST /webhooks: the signing secret, shown this once."""

    secret: str = Field(description="whsec_...: verify the webhook-signature header with it (Standard Webhooks)")


class WebhookDelivery(BaseModel):
    """One delivery of the log: an event to one webhook, and its last attempt."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="the webhook-id header, the same on every attempt")
    event: str
    status: Literal["pending", "delivered", "failed", "dead"]
    attempts: int
    next_attempt_at: str | None
    last_status: int | None = Field(description="HTTP status of the last attempt")
    last_latency_ms: float | None
    last_error: str | None
    request_id: str | None
    created_at: str
    updated_at: str
    delivered_at: str | None


class WebhookDeleted(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    deleted: bool
