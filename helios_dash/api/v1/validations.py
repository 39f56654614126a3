"""GET /api/v1/validations (the view's records, newest first, a page at a time) and POST (batch ingestion)."""
from __future__ import annotations

import json

from flask import request

from ...access.current import audit_context, current_principal
from ...errors import BadRequest
from ...exports.json import envelope_meta
from ...request_ids import request_id
from ...runtime import get_store
from ...services.ingest import ingest_records
from ...services.validation_pages import page_validations
from ..blueprint import api, json_body
from ..models import batch_records
from .answer import answer, pagination
from .plain import records
from .query import read_list_query


@api.get("/validations", endpoint="validations")
def list_validations():
    """Validations of the view (``sort`` does not apply: newest first, ids breaking ties)."""
    filters, page = read_list_query()
    rows, total = page_validations(filters.replace(sort=None), page.offset, page.size)
    return answer(records(rows, tz=filters.tz), pagination(page, total))


NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-seq")


@api.post("/validations", endpoint="ingest_validations")
def ingest_validations():
    """Add a batch of validation records (JSON array or NDJSON), all or none, idempotent by ``id``."""
    records = batch_records(ndjson_body() if request.mimetype in NDJSON_TYPES else json_body())  # api.models
    result = ingest_records(get_store(), current_principal(), records, audit_context())
    data = {"records": result.rows_read, "inserted": result.inserted, "duplicates": result.duplicates,
            "domains_created": result.domains_created, "algorithms_created": result.algorithms_created,
            "notes": list(result.notes)}
    body = {"status": "success", "data": data, "meta": envelope_meta(request_id())}
    return body, 201 if result.inserted else 200


def ndjson_body() -> list:
    """One JSON value per non-empty line; BadRequest naming the first unreadable line."""
    records = []
    for number, line in enumerate(request.get_data(cache=False).decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (ValueError, RecursionError):
            raise BadRequest(f"Line {number} of the NDJSON body is not valid JSON.",
                             [{"field": "body", "message": f"line {number}: invalid JSON"}]) from None
    return records
