"""The response envelope of the feature guide, for successes and errors alike."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import g, jsonify

API_VERSION = "1.0"


def request_id() -> str:
    """This request's id (``req_`` + hex), made once per request."""
    if "request_id" not in g:
        g.request_id = f"req_{uuid.uuid4().hex[:12]}"
    return g.request_id


def meta() -> dict:
    return {"timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "request_id": request_id(), "version": API_VERSION}


def success(data, status: int = 200):
    """``{"status": "success", "data": ..., "meta": ...}``."""
    return jsonify({"status": "success", "data": data, "meta": meta()}), status


def failure(code: str, message: str, details: list[dict] | None = None, status: int = 400):
    """``{"status": "error", "error": {"code", "message", "details"}, "meta": ...}``."""
    body = {"status": "error", "error": {"code": code, "message": message, "details": details or []}, "meta": meta()}
    return jsonify(body), status
