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


# -- hardening (issue 7) -------------------------------------------------------

class Untouchable(list):
    """A list that fails if anything but its length is read: proof that it was refused unprocessed."""

    def __iter__(self):
        raise AssertionError("the list was processed")

    def __getitem__(self, index):
        raise AssertionError("the list was processed")


def test_list_values_are_deduplicated_in_order():
    filters, notices = Filters.from_query({"domain": ["crypto", "quantum", "crypto"],
                                           "type": ["hybrid", "novel", "hybrid"], "algorithms": ["b,a", "b"]})
    assert (filters.domains, filters.types, filters.algorithms) == (("crypto", "quantum"), ("hybrid", "novel"),
                                                                    ("b", "a"))
    assert notices == []
    assert Filters(domains=("x", "y", "x")).domains == ("x", "y")


@pytest.mark.parametrize("key", ["domain", "type", "algorithms"])
def test_a_huge_list_is_refused_before_any_work(key):
    filters, notices = Filters.from_query({key: Untouchable(["quantum"] * 200_000)})
    assert filters == Filters()
    assert notices == [f"Ignored {key}: more than 1,000 values."]


def test_more_types_than_exist_are_refused_with_one_notice():
    filters, notices = Filters.from_query({"type": ["novel", "a", "b", "c", "d"]})
    assert filters.types == ()
    assert notices == ["Ignored type: 5 different values, but there are only 4 algorithm types."]


def test_algorithm_ids_are_capped_at_a_thousand():
    thousand = ",".join(f"a{i}" for i in range(1000))
    assert len(Filters.from_query({"algorithms": thousand})[0].algorithms) == 1000
    filters, notices = Filters.from_query({"algorithms": [thousand, "one-more"]})
    assert filters.algorithms == () and notices == ["Ignored algorithms: more than 1,000 ids."]


@pytest.mark.parametrize("key, value", [
    ("end", "9999-12-31"), ("start", "0001-01-01"), ("start", "1969-12-31"), ("end", "2200-01-01")])
def test_dates_outside_the_supported_range_become_a_notice(key, value):
    filters, notices = Filters.from_query({key: value})
    assert filters == Filters()
    assert notices == [f"Ignored {key}={value!r}: dates run from 1970-01-01 to 2199-12-31."]


def test_the_edges_of_the_date_range_have_utc_bounds():
    # Tokyo is UTC+9 all year: 1 Jan 1970 00:00 there is 31 Dec 1969 15:00 UTC
    lower, _ = Filters(start=date(1970, 1, 1), tz="Asia/Tokyo").utc_bounds()
    assert lower == datetime(1969, 12, 31, 15, tzinfo=timezone.utc)
    # Los Angeles is UTC-8 in winter: the day after 31 Dec 2199 starts at 08:00 UTC
    _, upper = Filters(end=date(2199, 12, 31), tz="America/Los_Angeles").utc_bounds()
    assert upper == datetime(2200, 1, 1, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("changes", [{"start": date(1, 1, 1)}, {"end": date(9999, 12, 31)},
                                     {"start": date(1969, 12, 31)}, {"end": date(2200, 1, 1)}])
def test_construction_refuses_dates_out_of_range(changes):
    with pytest.raises(ValueError, match="1970-01-01"):
        Filters(**changes)


def test_previous_period_never_reaches_before_1970():
    assert Filters(start=date(1970, 1, 1), end=date(1970, 1, 31)).previous_period() is None
    assert Filters(start=date(1970, 1, 1), end=date(2199, 12, 31)).previous_period() is None
    # 14 days, 15-28 Jan 1970: the 14 days before are exactly 1-14 Jan
    previous = Filters(start=date(1970, 1, 15), end=date(1970, 1, 28)).previous_period()
    assert (previous.start, previous.end) == (date(1970, 1, 1), date(1970, 1, 14))


@pytest.mark.parametrize("tz", ["America", "__pycache__", pytest.param("a" * 5000, id="5000-letters"),
                                "Europe/../UTC", "UTC\x00"])
def test_odd_timezones_become_a_notice(tz):
    filters, notices = Filters.from_query({"tz": tz})
    assert filters == Filters() and len(notices) == 1 and ("tz" in notices[0] or "timezone" in notices[0])
    with pytest.raises(ValueError):
        Filters(tz=tz)


@pytest.mark.parametrize("value, problem", [
    ("quan\x00tum", "control characters"), ("quantum\x85", "control characters"), ("\ud800", "invalid Unicode"),
    pytest.param("q" * 201, "longer than 200 characters", id="201-letters"), ({"a": 1}, "not text"),
    ([["nested"]], "not text"), (True, "not text"), pytest.param(10**5000, "not text", id="a-5000-digit-number"),
])
def test_values_that_are_not_plain_text_become_a_notice(value, problem):
    filters, notices = Filters.from_query({"domain": [value, "quantum"], "start": value})
    assert filters == Filters(domains=("quantum",))
    assert len(notices) == 2 and all(problem in n for n in notices)
    assert "domain" in notices[0] and "start" in notices[1]
