"""The export configuration of the feature guide, checked field by field.

    {"format": "pdf", "include": ["leaderboard", "metadata"],
     "filters": {"domain": "quantum", "type": "novel", "start": "2026-01-01", "end": "2026-03-31"},
     "options": {"sort_by": "quality", "sort_order": "desc", "include_charts": true}}

Every bad field is reported at once, as ``BadRequest.details``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadRequest
from ..filters import Filters
from ..services.algorithms import SORT_KEYS
from .views import SECTIONS

FORMATS = ("pdf", "csv", "json", "xlsx")
RECORDS = "validations"  # raw records: CSV only, streamed
FILTER_KEYS = {"domain": "domain", "domains": "domain", "type": "type", "types": "type", "start": "start",
               "end": "end", "algorithms": "algorithms", "tz": "tz", "granularity": "granularity"}
OPTION_KEYS = ("sort_by", "sort_order", "include_charts", "search")


@dataclass(frozen=True)
class ExportRequest:
    """A checked export configuration."""

    format: str
    include: tuple[str, ...]
    filters: Filters
    sort_by: str | None = None
    descending: bool = True
    include_charts: bool = True
    search: str | None = None  # the Leaderboard's quick search: only rows matching every word


def parse_export_config(payload, default_include: tuple[str, ...]) -> ExportRequest:
    """The request described by ``payload`` (a JSON object); ``BadRequest`` naming every bad field."""
    if not isinstance(payload, dict):
        raise BadRequest("The export configuration must be a JSON object.", [{"field": "body", "message": "not an object"}])
    problems: list[dict] = [{"field": key, "message": "unknown field"} for key in payload
                            if key not in ("format", "include", "filters", "options")]
    fmt = _format(payload.get("format", "json"), problems)
    include = _include(payload.get("include", list(default_include)), fmt, problems)
    filters = _filters(payload.get("filters") or {}, problems)
    options = _options(payload.get("options") or {}, problems)
    if problems:
        described = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise BadRequest(f"Invalid export configuration ({described}).", problems)
    return ExportRequest(fmt, include, filters, **options)


def _format(value, problems: list[dict]) -> str:
    if value not in FORMATS:
        problems.append({"field": "format", "message": f"must be one of {', '.join(FORMATS)}"})
    return value


def _include(value, fmt: str, problems: list[dict]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        problems.append({"field": "include", "message": "must be a non-empty list of sections"})
        return ()
    unknown = [i for i in items if i not in SECTIONS + (RECORDS,)]
    if unknown:
        problems.append({"field": "include", "message": f"unknown section(s) {unknown}; "
                                                        f"use {', '.join(SECTIONS + (RECORDS,))}"})
    tables = [i for i in items if i != "metadata"]
    if fmt == "csv" and len(tables) > 1:
        problems.append({"field": "include", "message": "a CSV file holds one table: choose one section, "
                                                        "or use xlsx or json for several"})
    if RECORDS in items and (fmt != "csv" or len(tables) > 1):
        problems.append({"field": "include", "message": f"'{RECORDS}' (every record) is exported as CSV alone"})
    return tuple(dict.fromkeys(items))


def _filters(value, problems: list[dict]) -> Filters:
    if not isinstance(value, dict):
        problems.append({"field": "filters", "message": "must be an object"})
        return Filters()
    query: dict[str, list[str]] = {}
    for key, raw in value.items():
        if key not in FILTER_KEYS:
            problems.append({"field": f"filters.{key}", "message": "unknown filter"})
            continue
        values = raw if isinstance(raw, list) else [raw]
        if key == "algorithms":
            values = [",".join(str(v) for v in values)]
        query.setdefault(FILTER_KEYS[key], []).extend(str(v) for v in values)
    filters, notices = Filters.from_query(query)
    problems.extend({"field": "filters", "message": notice} for notice in notices)
    return filters


def _options(value, problems: list[dict]) -> dict:
    if not isinstance(value, dict):
        problems.append({"field": "options", "message": "must be an object"})
        return {}
    problems.extend({"field": f"options.{k}", "message": "unknown option"} for k in value if k not in OPTION_KEYS)
    sort_by, order, charts = value.get("sort_by"), value.get("sort_order", "desc"), value.get("include_charts", True)
    if sort_by is not None and sort_by not in SORT_KEYS:
        problems.append({"field": "options.sort_by", "message": f"must be one of {', '.join(SORT_KEYS)}"})
    if order not in ("asc", "desc"):
        problems.append({"field": "options.sort_order", "message": "must be asc or desc"})
    if not isinstance(charts, bool):
        problems.append({"field": "options.include_charts", "message": "must be true or false"})
    search = value.get("search")
    if search is not None and not isinstance(search, str):
        problems.append({"field": "options.search", "message": "must be text"})
    return {"sort_by": sort_by, "descending": order != "asc", "include_charts": charts is not False,
            "search": search or None}
