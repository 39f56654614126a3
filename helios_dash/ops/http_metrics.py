"""helios_http_request_duration_seconds: every request timed, labelled by its URL rule template."""
from __future__ import annotations

import time

from flask import Flask, request, request_started

from .metrics import HTTP_REQUEST_DURATION

STARTED = "helios.metrics.started"  # WSGI environ key: when Flask began this request
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # 404s and 405s: a raw path would make a time series per URL anyone types


def init_http_metrics(server: Flask) -> None:
    """Time every request of ``server``, refused ones too (the guard answers before any view)."""
    # request_started fires before every before_request hook, so the guard's refusals are timed
    # too; after_request runs for every response, including a hook's own answer and error pages.
    request_started.connect(mark_start, server, weak=False)
    server.after_request(observe_request)


def mark_start(_sender, **_extra) -> None:
    request.environ[STARTED] = time.perf_counter()


def observe_request(response):
    """Observe the request's duration by route template, method and status (until the body is returned)."""
    started = request.environ.get(STARTED)
    if started is not None:
        HTTP_REQUEST_DURATION.labels(route=route_label(), method=method_label(),
                                     status=str(response.status_code)).observe(time.perf_counter() - started)
    return response


def route_label() -> str:
    """The matched URL rule as written ("/api/v1/algorithms/<algorithm_id>"), never the path sent."""
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED


def method_label() -> str:
    return request.method if request.method in METHODS else "other"
