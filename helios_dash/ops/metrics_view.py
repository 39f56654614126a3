"""GET /metrics (the access table opens it to admins and HELIOS_METRICS_ALLOW), and the HTTP timing hook."""
from __future__ import annotations

from flask import Blueprint, Flask, request

from ..runtime import current_runtime
from .exposition import render
from .http_metrics import init_http_metrics

metrics = Blueprint("metrics", __name__)


@metrics.get("/metrics")
def exposition():
    """The Prometheus exposition of this deployment (who may read it: access/rules.py METRICS)."""
    body, content_type = render(current_runtime().store, request.headers.get("Accept"))
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}


def init_metrics(server: Flask) -> None:
    """Serve /metrics on ``server`` and time its every request."""
    server.register_blueprint(metrics)
    init_http_metrics(server)
