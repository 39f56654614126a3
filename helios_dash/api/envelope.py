"""The error envelope of the feature guide (successes are rendered by ``exports.json``)."""
from __future__ import annotations

import uuid

from flask import g, jsonify

from ..exports.json import envelope_meta


def request_id() -> str:
    """This request's id (``req_`` + hex), made once per request."""
    if "request_id" not in g:
        g.request_id = f"req_{uuid.uuid4().hex[:12]}"
    return g.request_id


def failure(code: str, message: str, details: list[dict] | None = None, status: int = 400,
            headers: dict[str, str] | None = None):
    """``{"status": "error", "error": {"code", "message", "details"}, "meta": ...}``."""
    error = {"code": code, "message": message, "details": details or []}
    body = {"status": "error", "error": error, "meta": envelope_meta(request_id())}
    return jsonify(body), status, headers or {}
