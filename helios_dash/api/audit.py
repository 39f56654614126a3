"""GET /api/v1/audit: the audit log, filtered and paginated, for admins (the guard's rule says so)."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify, request

from ..accounts.audit import list_entries
from ..accounts.audit_query import AuditQuery
from ..exports.json import envelope_meta
from ..runtime import get_store
from .blueprint import api
from .envelope import request_id
from .v1.answer import link_header


@api.get("/audit", endpoint="audit")
def list_audit_entries():
    """Entries newest first; filters actor, action, resource_type, start, end; page and per_page (max 200)."""
    query = AuditQuery.from_query(request.args)
    entries, total = list_entries(get_store(), **query.filters(), limit=query.per_page, offset=query.offset)
    meta = envelope_meta(request_id())
    meta["pagination"] = {"page": query.page, "per_page": query.per_page, "total": total,
                          "pages": query.pages(total)}
    response = jsonify({"status": "success", "data": [entry_json(entry) for entry in entries], "meta": meta})
    response.headers["Cache-Control"] = "no-store"  # who did what: never kept by a shared cache
    response.headers["Link"] = link_header(meta["pagination"])
    return response


def entry_json(entry: dict) -> dict:
    """An entry with its time as ISO-8601 UTC (``Z``), everything else as stored."""
    created: datetime = entry["created_at"]
    return {**entry, "created_at": created.isoformat(timespec="microseconds").replace("+00:00", "Z")}
