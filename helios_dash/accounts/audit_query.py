"""The audit log's filters and page, read from a query string: one parser for the API and the admin page.

Public names: ``actor`` (user:7, cli:ada or an e-mail), ``action`` (``auth.sign_in``, or a
prefix such as ``auth.*``), ``resource_type``, ``start`` and ``end`` (ISO dates, both days
included, or ISO times; UTC unless an offset is given), ``page`` and ``per_page``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from typing import Mapping

from ..errors import BadRequest

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
MAX_TEXT = 200  # longer than any actor, e-mail, action or resource type
CONTROL = re.compile("[\x00-\x1f\x7f]")
UNENCODED_PLUS = re.compile(r"(:\d\d(?:\.\d+)?) (\d\d:?\d\d)$")  # a time, a space, an offset


@dataclass(frozen=True)
class AuditQuery:
    """Which entries (filters) and which page of them."""

    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    start: date | datetime | None = None
    end: date | datetime | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_query(cls, params: Mapping) -> "AuditQuery":
        """Parse ``params``; BadRequest naming every bad field at once."""
        values, problems = {}, []
        for name in ("actor", "action", "resource_type"):
            text = (params.get(name) or "").strip()
            if len(text) > MAX_TEXT:
                problems.append({"field": name, "message": f"at most {MAX_TEXT} characters"})
            elif CONTROL.search(text):  # PostgreSQL refuses NUL in text: a 400, not its DataError's 500
                problems.append({"field": name, "message": "contains control characters"})
            elif text:
                values[name] = text
        for name in ("start", "end"):
            text = (params.get(name) or "").strip()
            if text:
                try:
                    values[name] = _instant_or_day(text)
                except ValueError:
                    problems.append({"field": name, "message": f"not an ISO date or time: {text[:40]!r}"})
        for name, default, top in (("page", 1, MAX_PAGE), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
            text = (params.get(name) or "").strip()
            number = _whole(text) if text else default
            if number is None or not 1 <= number <= top:
                problems.append({"field": name, "message": f"a whole number from 1 to {top:,}"})
            else:
                values[name] = number
        query = cls(**values)
        if not problems and query.since and query.until and query.since >= query.until:
            problems.append({"field": "end", "message": "must not be before start"})
        if problems:
            raise BadRequest("Some audit log filters are not valid: "
                             + "; ".join(f"{p['field']}: {p['message']}" for p in problems) + ".", problems)
        return query

    @property
    def since(self) -> datetime | None:
        """The first instant included (UTC)."""
        return None if self.start is None else _as_instant(self.start)

    @property
    def until(self) -> datetime | None:
        """The first instant excluded: the day after a date ``end``, a microsecond after a time."""
        if self.end is None:
            return None
        step = timedelta(days=1) if not isinstance(self.end, datetime) else timedelta(microseconds=1)
        return _as_instant(self.end) + step

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def filters(self) -> dict:
        """Keyword arguments of ``audit.list_entries`` and ``audit.iter_entries``."""
        return {"actor": self.actor, "action": self.action, "resource_type": self.resource_type,
                "since": self.since, "until": self.until}

    def to_query(self, **changes) -> dict[str, str]:
        """The query string of this query (with ``changes``), defaults left out: for links."""
        changed = replace(self, **changes)
        default = AuditQuery()
        query = {}
        for field in fields(self):
            value = getattr(changed, field.name)
            if value != getattr(default, field.name):
                query[field.name] = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        return query

    def pages(self, total: int) -> int:
        """How many pages ``total`` entries fill (at least 1)."""
        return max(1, -(-total // self.per_page))


def _instant_or_day(text: str) -> date | datetime:
    if len(text) == 10:
        return date.fromisoformat(text)
    # An offset's "+" typed into a URL unencoded arrives as a space: 10:00:00 05:30 meant +05:30.
    return datetime.fromisoformat(UNENCODED_PLUS.sub(r"\1+\2", text))


def _as_instant(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
