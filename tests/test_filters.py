"""Filters: parsing the URL's query string, writing it back, time bounds."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from helios_dash.filters import Filters


def test_defaults_leave_the_query_string_empty():
    assert Filters().to_query() == []


def test_round_trip_through_the_query_string():
    filters = Filters(domains=("quantum", "crypto"), types=("novel",), start=date(2026, 1, 1),
                      end=date(2026, 3, 31), granularity="month", algorithms=("a", "b"),
                      sort="speedup", tz="Europe/Paris")
    pairs = filters.to_query()
    assert ("domain", "quantum") in pairs and ("algorithms", "a,b") in pairs
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        query.setdefault(key, []).append(value)
    parsed, notices = Filters.from_query(query)
    assert parsed == filters and notices == []


@pytest.mark.parametrize("query, notice", [
    ({"start": "yesterday"}, "start"),
    ({"granularity": "hour"}, "granularity"),
    ({"type": "magic"}, "magic"),
    ({"tz": "Mars/Olympus"}, "timezone"),
    ({"start": "2026-05-01", "end": "2026-01-01"}, "start is after end"),
])
def test_bad_values_are_ignored_with_a_notice(query, notice):
    filters, notices = Filters.from_query(query)
    assert filters == Filters()
    assert len(notices) == 1 and notice in notices[0]


def test_single_values_are_accepted_as_strings():
    filters, _ = Filters.from_query({"domain": "quantum", "algorithms": "x,,y"})
    assert filters.domains == ("quantum",) and filters.algorithms == ("x", "y")


def test_utc_bounds_cover_whole_local_days():
    # Paris is UTC+2 in summer: 1 June 00:00 local is 31 May 22:00 UTC
    lower, upper = Filters(start=date(2026, 6, 1), end=date(2026, 6, 30), tz="Europe/Paris").utc_bounds()
    assert lower == datetime(2026, 5, 31, 22, tzinfo=timezone.utc)
    assert upper == datetime(2026, 6, 30, 22, tzinfo=timezone.utc)


def test_previous_period_has_equal_length():
    current = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    previous = current.previous_period()
    assert (previous.start, previous.end) == (date(2026, 1, 29), date(2026, 2, 28))  # 31 days
    assert Filters(start=date(2026, 3, 1)).previous_period() is None


def test_invalid_construction_is_refused():
    with pytest.raises(ValueError):
        Filters(granularity="hour")
    with pytest.raises(ValueError):
        Filters(tz="Nowhere/Land")
