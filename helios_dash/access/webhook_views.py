"""/admin/webhooks: every webhook (with why a disabled one was turned off) and the delivery log, no JavaScript.

Admins only: the guard's table says so; this view does not check access itself.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..errors import BadRequest, NotFound
from ..runtime import get_store
from ..webhooks.service import get_webhook, list_deliveries, list_webhooks, shown_url
from .current import current_principal

webhooks_admin = Blueprint("webhooks_admin", __name__)
DELIVERIES_SHOWN = 50


@webhooks_admin.get("/admin/webhooks", endpoint="index")
def index():
    """The webhooks, and the latest deliveries of the one chosen with ``?webhook=`` (else of the first)."""
    store, principal = get_store(), current_principal()
    found = list_webhooks(store, principal)
    chosen_id, problem = request.args.get("webhook") or (found[0]["id"] if found else None), None
    chosen, deliveries, total = None, [], 0
    if chosen_id:
        try:
            chosen = get_webhook(store, principal, chosen_id)
            deliveries, total = list_deliveries(store, principal, chosen_id, limit=DELIVERIES_SHOWN)
        except (NotFound, BadRequest) as error:
            problem = error
    page = render_template("admin_webhooks.html", principal=principal, webhooks=found, chosen=chosen,
                           deliveries=deliveries, total=total, problem=problem, shown_url=shown_url)
    return page, 404 if problem else 200, {"Cache-Control": "no-store"}


def init_webhook_views(server) -> None:
    """Mount /admin/webhooks on ``server``."""
    server.register_blueprint(webhooks_admin)
