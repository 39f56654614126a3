"""The query string of a v1 read: the view (``Filters``'s public names), the page, and nothing else.

Bad values are 400 VALIDATION_ERROR naming the field (``Filters.from_query`` turns them into
notices; here every notice is refused, as ``reports.config`` refuses them for exports), and a
parameter no endpoint reads (a typo such as ``domian``) is refused too rather than ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request

from ...errors import BadRequest
from ...filters import Filters
from ...services.catalog import domain_options

VIEW_KEYS = ("domain", "type", "start", "end", "granularity", "algorithms", "sort", "tz")
PAGE_KEYS = ("page", "per_page")
CREDENTIAL_KEYS = ("api_key",)  # read by the guard
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200  # more is a 400 naming the maximum, not a silent clamp: a client learns its real page size
MAX_PAGE = 1_000_000
# Which parameter a notice of Filters.from_query is about.
_NOTICE_FIELDS = [(re.compile(r"^Ignored (domain|type|algorithms|start|end|granularity|tz|sort)\b"), None),
                  (re.compile(r"unknown algorithm type"), "type"), (re.compile(r"unknown timezone"), "tz"),
                  (re.compile(r"date range"), "start")]


@dataclass(frozen=True)
class Page:
    """Which page of a list: 1-based ``number`` and ``size``."""

    number: int = 1
    size: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def read_view(extra_keys: tuple[str, ...] = ()) -> Filters:
    """The request's view; ``BadRequest`` naming every unknown parameter and every refused value."""
    problems = [{"field": key, "message": "unknown parameter"} for key in request.args
                if key not in VIEW_KEYS + CREDENTIAL_KEYS + extra_keys]
    filters, notices = Filters.from_query({key: request.args.getlist(key) for key in VIEW_KEYS if key in request.args})
    problems += [{"field": notice_field(notice), "message": notice} for notice in notices]
    known = {option["value"] for option in domain_options()}
    problems += [{"field": "domain", "message": f"unknown domain {domain!r}"}
                 for domain in filters.domains if domain not in known]
    refuse(problems)
    return filters


def read_page() -> Page:
    """``page`` (from 1) and ``per_page`` (1 to MAX_PER_PAGE); ``BadRequest`` naming the bad one."""
    problems, values = [], {}
    for key, default, top in (("page", 1, MAX_PAGE), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        text = request.args.get(key, "").strip()
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
        if not text:
            values[key] = default
        elif number is None or not 1 <= number <= top:
            problems.append({"field": key, "message": f"a whole number from 1 to {top:,}"})
        else:
            values[key] = number
    refuse(problems)
    return Page(values["page"], values["per_page"])


def read_list_query() -> tuple[Filters, Page]:
    """The view and the page of a list endpoint, every problem of both reported at once."""
    problems = []
    results = []
    for read in (lambda: read_view(PAGE_KEYS), read_page):
        try:
            results.append(read())
        except BadRequest as error:
            problems += error.details
    refuse(problems)
    return results[0], results[1]


def notice_field(notice: str) -> str:
    """The public parameter a ``Filters.from_query`` notice is about."""
    for pattern, field in _NOTICE_FIELDS:
        found = pattern.search(notice)
        if found:
            return field or found.group(1)
    return "query"


def refuse(problems: list[dict]) -> None:
    if problems:
        described = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise BadRequest(f"Invalid query parameters ({described}).", problems)
