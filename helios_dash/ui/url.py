"""The view <-> query string mapping used by every page."""
from __future__ import annotations

from urllib.parse import urlencode

from ..filters import Filters, text_problem

# Filters fields that follow the user from page to page (the navbar keeps them).
SHARED_KEYS = ("domain", "type", "start", "end", "granularity", "tz")


def view_search(filters: Filters, extras: dict[str, object] | None = None) -> str:
    """``?domain=quantum&start=...`` for this view; defaults and empty extras left out."""
    pairs = filters.to_query() + [(k, str(v)) for k, v in (extras or {}).items() if v not in (None, "", [])]
    return "?" + urlencode(pairs, safe=",:/") if pairs else ""  # a,b and Asia/Tokyo stay readable


def first(query: dict, key: str, default: str | None = None) -> str | None:
    """The first value of ``key`` in a parsed query (Dash passes a str or a list)."""
    value = query.get(key, default)
    return value[0] if isinstance(value, list) and value else value


def read_search(query: dict) -> tuple[str, list[str]]:
    """The Leaderboard's quick search ``q``: plain text of limited length, or "" with a notice."""
    value = first(query, "q") or ""
    problem = text_problem(value)
    return ("", [f"Ignored the search (q): it {problem}."]) if problem else (value, [])


def listed(values: list[str], shown: int = 5) -> str:
    """``a, b, c`` for a few values; the first ``shown`` and a count for many (a URL may carry 1,000)."""
    more = len(values) - shown
    return ", ".join(values[:shown]) + (f" and {more:,} more" if more > 0 else "")


def bounded_int(text, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or None; never parses more digits than ``high`` has."""
    # isdecimal() alone would accept 5,000 digits (int() then raises) and non-ASCII digits such as "٥".
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    return int(text) if low <= int(text) <= high else None


def query_dict(filters: Filters, extras: dict[str, object] | None = None) -> dict[str, list[str]]:
    """The view as a parsed query string (``{"domain": ["quantum"], ...}``), defaults left out."""
    parsed: dict[str, list[str]] = {}
    for key, value in filters.to_query() + [(k, str(v)) for k, v in (extras or {}).items() if v not in (None, "")]:
        parsed.setdefault(key, []).append(value)
    return parsed


def read_view(query: dict, known_domains: set[str]) -> tuple[Filters, list[str]]:
    """The view in the URL, and notices for what was ignored (bad values, unknown domains).

    An unknown domain must be dropped here, with a notice: the domain dropdown
    would otherwise drop it silently and rewrite the URL. More domains than
    exist is no view at all: the domain filter is ignored as a whole.
    """
    filters, notices = Filters.from_query(query)
    if len(filters.domains) > max(len(known_domains), 1):  # one unknown domain is named below
        notices.append(f"Ignored domain: {len(filters.domains):,} different values, "
                       f"but there are only {len(known_domains)} domains.")
        return filters.replace(domains=()), notices
    unknown = [d for d in filters.domains if d not in known_domains]
    if unknown:
        notices.append(f"Ignored unknown domain(s): {', '.join(unknown)}.")
        filters = filters.replace(domains=tuple(d for d in filters.domains if d in known_domains))
    return filters, notices
