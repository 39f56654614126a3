"""/admin/audit (browse and filter the log, without JavaScript) and /admin/audit.csv (the filtered log).

Admins only: the guard's table says so; these views do not check access themselves.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Iterator

from flask import Blueprint, Response, render_template, request, stream_with_context

from ..accounts.audit import iter_entries, list_entries, record_export
from ..accounts.audit_query import AuditQuery
from ..errors import BadRequest
from ..exports.cells import safe_text
from ..runtime import get_store
from .current import audit_context, current_principal

audit_admin = Blueprint("audit_admin", __name__)
CSV_COLUMNS = ("id", "created_at", "actor", "actor_email", "action", "resource_type", "resource_id", "changes",
               "ip", "request_id", "prev_hash", "hash")
CSV_ROWS_PER_CHUNK = 1_000


@audit_admin.get("/admin/audit", endpoint="index")
def index():
    """One page of the log, newest first, with the filter form and links to the other pages."""
    try:
        query, problem = AuditQuery.from_query(request.args), None
    except BadRequest as error:
        query, problem = AuditQuery(), error
    entries, total = list_entries(get_store(), **query.filters(), limit=query.per_page, offset=query.offset)
    page = render_template("admin_audit.html", principal=current_principal(), query=query, problem=problem,
                           form=request.args if problem else query.to_query(), entries=entries, total=total,
                           pages=query.pages(total), changes_text=changes_text)
    return page, 400 if problem else 200, {"Cache-Control": "no-store"}


@audit_admin.get("/admin/audit.csv", endpoint="export")
def export():
    """The filtered log as CSV, newest first, streamed; the export itself is audited."""
    query = AuditQuery.from_query(request.args)  # a bad filter is a 400, not the whole log
    store = get_store()
    record_export(store, current_principal(), "audit", "csv", _without_paging(query), audit_context())
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    response = Response(stream_with_context(csv_chunks(iter_entries(store, **query.filters()))),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="helios-audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_chunks(entries) -> "Iterator[bytes]":
    """A header line, then the entries ``CSV_ROWS_PER_CHUNK`` at a time, as UTF-8 CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow([_cell(entry, name) for name in CSV_COLUMNS])
        count += 1
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def changes_text(changes: dict) -> str:
    """``changes`` as compact JSON, as the page and the CSV show it."""
    return json.dumps(changes, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=str)


def _cell(entry: dict, name: str) -> str:
    value = entry.get(name)
    if value is None:
        return ""
    if name == "created_at":
        return value.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if name == "changes":
        value = changes_text(value)
    # Failed sign-ins record the e-mail typed: text anyone can choose, so never a live formula.
    return safe_text(str(value))


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def _without_paging(query: AuditQuery) -> dict:
    return {k: v for k, v in query.to_query().items() if k not in ("page", "per_page")}


def init_audit_views(server) -> None:
    """Mount /admin/audit and /admin/audit.csv on ``server``."""
    server.register_blueprint(audit_admin)
