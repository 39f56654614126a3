"""Batch ingestion of validation records through the API: how labs push results live.

A batch goes through the importer itself (its checks, its all-or-nothing write, its
idempotence by ``id``), from a temporary CSV written here: one set of rules for files and
for the API. While the dashboard holds the embedded store, this is the only way in.
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from ..accounts import audit
from ..domain.principal import Principal
from ..errors import BadRequest, Forbidden
from ..importer import COLUMNS, ImportResult, import_file
from ..store import Store
from ..webhooks.events import validations_ingested

MAX_RECORDS = 10_000  # per batch; larger sets go in several batches (or a file import)


def ingest_records(store: Store, principal: Principal, records, context: audit.Context | None = None) -> ImportResult:
    """Import ``records`` (a list of objects with the importer's columns), all or none; editors only."""
    if not principal.has_role("editor"):
        raise Forbidden("Adding validations needs the editor role.")
    rows = check_records(records)
    with tempfile.TemporaryDirectory(prefix="helios-ingest-") as folder:
        path = Path(folder) / "batch.csv"
        write_csv(path, rows)
        try:
            result = import_file(store, path, in_transaction=validations_ingested)  # one event per batch
        except BadRequest as error:
            raise as_records_error(error, len(rows)) from None
    with store.records() as conn:
        audit.record(conn, principal, "validations.ingest", "validations", None,
                     {"records": len(rows), "inserted": result.inserted, "duplicates": result.duplicates,
                      "algorithms_created": result.algorithms_created}, context)
    return result


def check_records(records) -> list[dict]:
    """The records as flat dicts of text; BadRequest naming the first problems (record numbers from 1)."""
    if not isinstance(records, list) or not records:
        raise BadRequest("Send a non-empty JSON array (or NDJSON) of validation records.",
                         [{"field": "body", "message": "expected a non-empty list of records"}])
    if len(records) > MAX_RECORDS:
        raise BadRequest(f"A batch holds at most {MAX_RECORDS:,} records; this one has {len(records):,}.",
                         [{"field": "body", "message": f"at most {MAX_RECORDS} records"}])
    problems, rows = [], []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append({"record": number, "field": None, "message": "not an object"})
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        problems += [{"record": number, "field": name, "message": "unknown field"} for name in unknown]
        for name, value in record.items():
            if value is not None and not isinstance(value, (str, int, float)):
                problems.append({"record": number, "field": name, "message": "must be text or a number"})
            elif isinstance(value, str) and ("\n" in value or "\r" in value):
                # One record, one CSV line: the importer's line numbers then name the record.
                problems.append({"record": number, "field": name, "message": "line breaks are not allowed"})
        rows.append(record)
    if problems:
        raise _refusal(problems, len(records))
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    """The records as the importer's CSV: every column it knows, numbers written exactly (repr)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in COLUMNS])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # JSON true/false is no column's value: let the importer say so
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def as_records_error(error: BadRequest, count: int) -> BadRequest:
    """The importer's refusal of the batch file, with its CSV lines turned into record numbers."""
    details = [{"record": detail["line"] - 1, "field": detail.get("field"), "message": detail["message"]}
               for detail in error.details if isinstance(detail, dict) and "line" in detail]
    return _refusal(details, count) if details else BadRequest(error.message, error.details)


def _refusal(problems: list[dict], count: int) -> BadRequest:
    named = "; ".join(f"record {p['record']}" + (f", field {p['field']}" if p["field"] else "") + f": {p['message']}"
                      for p in problems[:5])
    return BadRequest(f"The batch of {count} records has bad ones, so nothing was imported: {named}"
                      + ("; ..." if len(problems) > 5 else ""), problems)
