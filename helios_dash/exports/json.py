"""JSON: a report in the API's envelope, for scripts.

``{"status": "success", "data": {...}, "meta": {"timestamp", "request_id", "version"}}``.
``data`` holds ``title``, ``metadata``, ``kpis`` (label and formatted value), ``notes``
and one list of records per table under the table's name (``leaderboard``, ...), each
record keyed by column key. Timestamps are ISO-8601 with the offset of the report's
timezone, numbers stay numbers, missing values (and infinities) are null. Text is not
neutralised: no spreadsheet evaluates JSON, and a script must get the exact value.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ..request_ids import request_id as current_request_id
from .cells import plain_column
from .model import Report, Table

API_VERSION = "1.0"


def to_json(report: Report, request_id: str | None = None) -> bytes:
    """The report in the API's success envelope, as UTF-8 JSON bytes."""
    data = {
        "title": report.title,
        "metadata": dict(report.metadata),
        "kpis": [{"label": label, "value": value} for label, value in report.kpis],
        "notes": list(report.notes),
    }
    data.update({table.name: table_records(table, report.filters.tz) for table in report.tables})
    body = {"status": "success", "data": data, "meta": envelope_meta(request_id)}
    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")


def table_records(table: Table, tz: str) -> list[dict]:
    """The table's rows as JSON-ready dicts keyed by column key, in the view's order."""
    frame = pd.DataFrame({c.key: plain_column(table.frame[c.key], c.kind, tz) for c in table.columns},
                         index=table.frame.index)
    frame = frame.replace([np.inf, -np.inf], np.nan).astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def envelope_meta(request_id: str | None = None) -> dict:
    """The envelope's ``meta``: UTC time, request id (by default the current request's), API version."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    # The request's own id, so an exported file's meta.request_id equals its X-Request-Id header.
    return {"timestamp": stamp, "request_id": request_id or current_request_id(), "version": API_VERSION}
