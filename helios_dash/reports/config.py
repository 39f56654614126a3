"""The export configuration of the feature guide, checked field by field.

    {"format": "pdf", "include": ["leaderboard", "metadata"],
     "filters": {"domain": "quantum", "type": "novel", "start": "2026-01-01", "end": "2026-03-31"},
     "options": {"sort_by": "quality", "sort_order": "desc", "include_charts": true}}

Options also carry what a page's URL adds to the filters: ``search`` (the Leaderboard's
``q``), ``split`` ("domain" or "type") and ``rolling`` (2 to 60 periods) of Trends.
Without ``include``, a CSV holds the first table of the default sections, as the
page's Download menu does.

Every bad field is reported at once, as ``BadRequest.details``: a value of the wrong
shape (not text, too long, too many) as ``filters.<name>``; a value the view's parser
refuses (not a date, out of range, unknown timezone) as ``filters``, its message
naming the parameter, as on the pages.
"""
from __future__ import annotations

import reprlib
from collections.abc import Collection
from dataclasses import dataclass

from flask import has_app_context

from ..errors import BadRequest
from ..exports.model import ViewOptions
from ..filters import MAX_ALGORITHM_IDS, MAX_REPEATS, MAX_TEXT_LENGTH, Filters, text_problem
from ..services.algorithms import SORT_KEYS
from ..services.catalog import domain_options
from .vocabulary import EXPORT_FORMATS, RECORDS, SECTIONS, default_sections

FILTER_KEYS = {"domain": "domain", "domains": "domain", "type": "type", "types": "type", "start": "start",
               "end": "end", "algorithms": "algorithms", "tz": "tz", "granularity": "granularity"}
OPTION_KEYS = ("sort_by", "sort_order", "include_charts", "search", "split", "rolling")
SPLITS = ("domain", "type")
MAX_ROLLING = 60  # periods, as the Trends page allows
LIST_LIMITS = {"domain": MAX_REPEATS, "type": MAX_REPEATS, "algorithms": MAX_ALGORITHM_IDS}


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
    split: str | None = None  # Trends: one series per domain or per algorithm type
    rolling: int | None = None  # Trends: rolling mean over this many periods

    def view_options(self) -> ViewOptions:
        """What the report needs beyond the filters to be the page's view."""
        return ViewOptions(self.sort_by, self.descending, self.search, self.split, self.rolling)


def parse_export_config(payload, default_include: tuple[str, ...],
                        known_domains: Collection[str] | None = None) -> ExportRequest:
    """The request described by ``payload`` (a JSON object); ``BadRequest`` naming every bad field.

    Domains are checked against ``known_domains``, by default the store's catalog
    while the app serves a request (the command line checks before opening the store).
    """
    if not isinstance(payload, dict):
        raise BadRequest("The export configuration must be a JSON object.", [{"field": "body", "message": "not an object"}])
    problems: list[dict] = [{"field": key, "message": "unknown field"} for key in payload
                            if key not in ("format", "include", "filters", "options")]
    fmt = _format(payload.get("format", "json"), problems)
    include = _include(payload.get("include", list(default_sections(default_include, fmt))), fmt, problems)
    known = known_domains if known_domains is not None else _catalog_domains()
    filters = _filters(payload.get("filters") or {}, known, problems)
    options = _options(payload.get("options") or {}, problems)
    if problems:
        described = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise BadRequest(f"Invalid export configuration ({described}).", problems)
    return ExportRequest(fmt, include, filters, **options)


def parse_view_options(view: dict) -> tuple[str | None, int | None]:
    """``split`` and ``rolling`` of a page's view (a parsed query string); bad or default values are None.

    The page has already turned a bad value into a notice and shows the view without it;
    the export of that view does the same.
    """
    split, rolling = (_first(view.get(key)) for key in ("split", "rolling"))
    split = split if split in SPLITS else None
    try:
        rolling = int(rolling) if isinstance(rolling, str) and rolling.isdigit() else None
    except ValueError:
        rolling = None
    return split, rolling if rolling is not None and 2 <= rolling <= MAX_ROLLING else None


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _format(value, problems: list[dict]) -> str:
    if not isinstance(value, str) or value not in EXPORT_FORMATS:  # a list is unhashable
        problems.append({"field": "format", "message": f"must be one of {', '.join(EXPORT_FORMATS)}"})
    return value


def _include(value, fmt: str, problems: list[dict]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if (not isinstance(items, list) or not items or len(items) > MAX_REPEATS
            or not all(isinstance(i, str) for i in items)):
        problems.append({"field": "include", "message": "must be a non-empty list of section names"})
        return ()
    items = list(dict.fromkeys(items))
    unknown = [i for i in items if i not in SECTIONS + (RECORDS,)]
    if unknown:  # reprlib: a few names, each cut short
        problems.append({"field": "include", "message": f"unknown section(s) {reprlib.repr(unknown)}; "
                                                        f"use {', '.join(SECTIONS + (RECORDS,))}"})
    tables = [i for i in items if i != "metadata"]
    if fmt == "csv" and len(tables) > 1:
        problems.append({"field": "include", "message": "a CSV file holds one table: choose one section, "
                                                        "or use xlsx or json for several"})
    if RECORDS in items and (fmt != "csv" or len(tables) > 1):
        problems.append({"field": "include", "message": f"'{RECORDS}' (every record) is exported as CSV alone"})
    return tuple(items)


def _filters(value, known_domains: Collection[str] | None, problems: list[dict]) -> Filters:
    if not isinstance(value, dict):
        problems.append({"field": "filters", "message": "must be an object"})
        return Filters()
    query: dict[str, list[str]] = {}
    for key, raw in value.items():
        if key not in FILTER_KEYS:
            problems.append({"field": f"filters.{key}", "message": "unknown filter"})
            continue
        values, problem = _filter_texts(FILTER_KEYS[key], raw)
        if problem:
            problems.append({"field": f"filters.{key}", "message": problem})
        else:
            query.setdefault(FILTER_KEYS[key], []).extend(values)
    if "algorithms" in query:
        query["algorithms"] = [",".join(query["algorithms"])]
    if known_domains is not None and query.get("domain"):
        _check_domains(query["domain"], known_domains, problems)
    filters, notices = Filters.from_query(query)
    problems.extend({"field": "filters", "message": notice} for notice in notices)
    return filters


def _filter_texts(name: str, raw) -> tuple[list[str], str | None]:
    """The values of filter ``name`` as texts, or why they are not; a list's length is checked before its items."""
    if name == "algorithms" and isinstance(raw, str):  # "a,b,c": one id after another
        if raw.count(",") >= MAX_ALGORITHM_IDS:
            return [], f"at most {MAX_ALGORITHM_IDS:,} ids"
        raw = raw.split(",")
    if not isinstance(raw, list):
        return [raw], text_problem(raw)
    if name not in LIST_LIMITS:
        return [], "must be text, not a list"
    if len(raw) > LIST_LIMITS[name]:
        return [], f"at most {LIST_LIMITS[name]:,} values"
    problem = next(filter(None, map(text_problem, raw)), None)
    return raw, problem and f"a value {problem}"


def _check_domains(domains: list[str], known: Collection[str], problems: list[dict]) -> None:
    """Unknown domains are a bad request here: a script has no notice to read, only an empty report."""
    given = [d for d in dict.fromkeys(domains) if d]
    if len(given) > max(len(known), 1):  # one unknown domain is named below
        problems.append({"field": "filters.domain",
                         "message": f"{len(given):,} different domains, but there are only {len(known)}"})
        return
    unknown = [d for d in given if d not in known]
    if unknown:
        problems.append({"field": "filters.domain", "message": f"unknown domain(s) {', '.join(map(repr, unknown))}; "
                                                               f"known: {', '.join(sorted(known)) or 'none yet'}"})


def _catalog_domains() -> set[str] | None:
    """The store's domain ids while the app serves a request; None elsewhere (no store to ask)."""
    return {option["value"] for option in domain_options()} if has_app_context() else None


def _options(value, problems: list[dict]) -> dict:
    if not isinstance(value, dict):
        problems.append({"field": "options", "message": "must be an object"})
        return {}
    problems.extend({"field": f"options.{k}", "message": "unknown option"} for k in value if k not in OPTION_KEYS)
    sort_by, order, charts = value.get("sort_by"), value.get("sort_order", "desc"), value.get("include_charts", True)
    if sort_by is not None and (not isinstance(sort_by, str) or sort_by not in SORT_KEYS):  # a list is unhashable
        problems.append({"field": "options.sort_by", "message": f"must be one of {', '.join(SORT_KEYS)}"})
    if order not in ("asc", "desc"):
        problems.append({"field": "options.sort_order", "message": "must be asc or desc"})
    if not isinstance(charts, bool):
        problems.append({"field": "options.include_charts", "message": "must be true or false"})
    search = value.get("search")
    if search is not None and text_problem(search):
        problems.append({"field": "options.search", "message": f"must be text of at most {MAX_TEXT_LENGTH} "
                                                               f"characters; this {text_problem(search)}"})
    split, rolling = value.get("split"), value.get("rolling")
    if split is not None and (not isinstance(split, str) or split not in SPLITS):
        problems.append({"field": "options.split", "message": f"must be one of {', '.join(SPLITS)}"})
    if rolling is not None and (isinstance(rolling, bool) or not isinstance(rolling, int)
                                or not 2 <= rolling <= MAX_ROLLING):
        problems.append({"field": "options.rolling", "message": f"must be a whole number from 2 to {MAX_ROLLING}"})
    return {"sort_by": sort_by, "descending": order != "asc", "include_charts": charts is not False,
            "search": search or None, "split": split, "rolling": rolling}
