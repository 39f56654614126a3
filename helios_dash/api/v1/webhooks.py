"""Webhooks over HTTP (issue 12): editors manage their own, admins everyone's.

POST   /api/v1/webhooks                      {"url", "events": [...]} -> 201, the secret shown once
GET    /api/v1/webhooks                      the webhooks the caller may see, without secrets
DELETE /api/v1/webhooks/{id}                 remove it and its delivery log
POST   /api/v1/webhooks/{id}/test            send a ``webhook.test`` event now; the attempt's outcome
GET    /api/v1/webhooks/{id}/deliveries      the delivery log, newest first
"""
from __future__ import annotations

import re

from flask import current_app, request

from ...access.current import audit_context, current_principal
from ...crypto import keyring_for
from ...errors import BadRequest, NotFound
from ...runtime import current_runtime
from ...schema import WEBHOOK_DELIVERY_STATUSES
from ...webhooks import service
from ...webhooks.guard import default_resolver
from ...webhooks.running import SENDER_KEY, sender_for
from ..blueprint import api
from ..hypotheses import as_json, body_object, page_numbers, success
from ..models import parse_body
from .webhook_models import WebhookCreate

RESOLVER_KEY = "helios.webhook_resolver"  # on app.extensions: tests answer DNS without the network
WEBHOOK_ID = re.compile(r"^wh_[0-9a-f]{32}$")


@api.post("/webhooks", endpoint="create_webhook")
def create_webhook_route():
    """Register a webhook: the URL must lead to a public address; the signing secret is in this answer only."""
    asked = parse_body(WebhookCreate, body_object())
    runtime = current_runtime()
    created = service.register_webhook(
        runtime.store, current_principal(), asked.url, list(asked.events), keyring=keyring_for(runtime.settings),
        allow_loopback=runtime.settings.webhook_allow_loopback,
        resolve=current_app.extensions.get(RESOLVER_KEY, default_resolver), context=audit_context())
    return success(as_json(created), status=201, location=f"{api.url_prefix}/webhooks/{created['id']}/deliveries")


@api.get("/webhooks", endpoint="webhooks")
def list_webhooks_route():
    """The caller's webhooks (an admin's: everyone's), newest first; a disabled one says why."""
    return success(as_json(service.list_webhooks(current_runtime().store, current_principal())))


@api.delete("/webhooks/<webhook_id>", endpoint="delete_webhook")
def delete_webhook_route(webhook_id: str):
    """Delete a webhook and its delivery log; nothing queued for it is sent."""
    service.delete_webhook(current_runtime().store, current_principal(), known(webhook_id), audit_context())
    return success({"id": webhook_id, "deleted": True})


@api.post("/webhooks/<webhook_id>/test", endpoint="test_webhook")
def test_webhook_route(webhook_id: str):
    """Send a webhook.test event now (one attempt, no retry) and answer with its delivery."""
    runtime = current_runtime()
    sender = current_app.extensions.get(SENDER_KEY) or sender_for(runtime)
    outcome = service.send_test_event(runtime.store, current_principal(), known(webhook_id), sender, audit_context())
    return success(as_json(outcome))


@api.get("/webhooks/<webhook_id>/deliveries", endpoint="webhook_deliveries")
def webhook_deliveries_route(webhook_id: str):
    """The webhook's delivery log, newest first: status, attempts, last HTTP status, latency and error."""
    page, per_page = page_numbers()
    status = request.args.get("status") or None
    if status is not None and status not in WEBHOOK_DELIVERY_STATUSES:
        raise BadRequest(f"status is one of {', '.join(WEBHOOK_DELIVERY_STATUSES)}.",
                         [{"field": "status", "message": "one of " + ", ".join(WEBHOOK_DELIVERY_STATUSES)}])
    found, total = service.list_deliveries(current_runtime().store, current_principal(), known(webhook_id),
                                           limit=per_page, offset=(page - 1) * per_page, status=status)
    paging = {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}
    return success(as_json(found), pagination=paging)


def known(webhook_id: str) -> str:
    """The id if it has a webhook id's form; a 404 without a query otherwise."""
    if not WEBHOOK_ID.fullmatch(webhook_id):
        raise NotFound(f"No webhook {webhook_id}.")
    return webhook_id
