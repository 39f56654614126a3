"""The error envelope of the feature guide (successes are rendered by ``exports.json``)."""
from __future__ import annotations

from flask import jsonify

from ..exports.json import envelope_meta
from ..request_ids import request_id  # noqa: F401 (the API's one source of request ids)


def failure(code: str, message: str, details: list[dict] | None = None, status: int = 400,
            headers: dict[str, str] | None = None):
    """``{"status": "error", "error": {"code", "message", "details"}, "meta": ...}``."""
    error = {"code": code, "message": message, "details": details or []}
    body = {"status": "error", "error": error, "meta": envelope_meta(request_id())}
    return jsonify(body), status, headers or {}
