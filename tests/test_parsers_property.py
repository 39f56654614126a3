"""Property tests: whatever a URL or an export body holds, the parsers answer with a view or a BadRequest.

Never another exception; and every view they produce has UTC bounds, a previous period
and a query string that parses back to the same view.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helios_dash.errors import BadRequest
from helios_dash.reports.config import parse_export_config
from helios_dash.filters import DATE_MAX, DATE_MIN, Filters

QUERY_KEYS = ["domain", "type", "start", "end", "granularity", "algorithms", "sort", "tz"]
CONFIG_KEYS = ["format", "include", "filters", "options"]
FILTER_KEYS = ["domain", "domains", "type", "types", "start", "end", "algorithms", "tz", "granularity"]
OPTION_KEYS = ["sort_by", "sort_order", "include_charts", "search"]
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Odd text: every code point, lone surrogates and control characters included.
any_text = st.text(st.characters(exclude_categories=()), max_size=12)
plausible = st.sampled_from([
    "quantum", "novel", "hybrid", "day", "month", "UTC", "Asia/Tokyo", "America", "__pycache__", "quality",
    "speedup:asc", "a,b,,c", "", "leaderboard", "metadata", "csv", "json", "asc", "desc", "\ud800", "a\x00b",
])
any_date = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
edge_dates = st.sampled_from(["1970-01-01", "2199-12-31", "1969-12-31", "2200-01-01", "0001-01-01", "9999-12-31"])
huge = st.builds(pow, st.just(10), st.sampled_from([400, 4300, 5000]))  # built lazily: str() of 10**5000 raises
numbers = st.one_of(st.integers(), st.floats(), huge, huge.map(lambda n: -n), st.sampled_from([2**63, -1, 0]))
texts = st.one_of(any_text, plausible, any_date, edge_dates, st.text(max_size=300))
scalars = st.one_of(texts, numbers)
query_values = st.one_of(scalars, st.lists(scalars, max_size=6), st.none())
queries = st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), any_text), query_values, max_size=8)

json_values = st.recursive(st.one_of(st.none(), st.booleans(), numbers, texts),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(any_text, inner, max_size=4)),
                           max_leaves=12)
filter_values = st.one_of(texts, st.lists(texts, max_size=4), json_values)  # mostly text, as a real body
filters_objects = st.dictionaries(st.one_of(st.sampled_from(FILTER_KEYS), any_text), filter_values, max_size=6)
options_objects = st.dictionaries(st.one_of(st.sampled_from(OPTION_KEYS), any_text), json_values, max_size=5)
wild_configs = st.fixed_dictionaries({}, optional={
    "format": st.one_of(st.sampled_from(["pdf", "csv", "json", "xlsx"]), json_values),
    "include": json_values, "filters": st.one_of(filters_objects, json_values),
    "options": st.one_of(options_objects, json_values), "colour": json_values,
})
dates = st.one_of(any_date, edge_dates)
plausible_filters = st.fixed_dictionaries({}, optional={  # often accepted, so the views they give are checked too
    "domain": st.one_of(plausible, st.lists(plausible, max_size=3)), "type": st.lists(plausible, max_size=3),
    "start": dates, "end": dates, "algorithms": st.one_of(plausible, st.lists(plausible, max_size=3)),
    "tz": st.sampled_from(["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "America"]),
    "granularity": st.sampled_from(["day", "week", "month", "hour"]),
})
configs = st.one_of(wild_configs, st.fixed_dictionaries({"format": st.just("json"), "filters": plausible_filters}))
known_domains = st.one_of(st.none(), st.sets(st.one_of(plausible, any_text), max_size=4))


def assert_usable(filters: Filters) -> None:
    """Bounds and the previous period compute, and the query string parses back to the same view."""
    filters.utc_bounds()
    previous = filters.previous_period()
    if previous is not None:
        previous.utc_bounds()
    query: dict[str, list[str]] = {}
    for key, value in filters.to_query():
        query.setdefault(key, []).append(value)
    assert Filters.from_query(query) == (filters, [])


@EXAMPLES
@given(queries)
def test_any_query_gives_a_view_and_notices(query):
    filters, notices = Filters.from_query(query)
    assert all(isinstance(notice, str) for notice in notices)
    assert_usable(filters)


@EXAMPLES
@given(configs, known_domains)
def test_any_export_body_gives_a_request_or_a_bad_request(payload, known):
    try:
        request = parse_export_config(payload, ("leaderboard", "metadata"), known)
    except BadRequest as error:
        assert error.details and all(set(d) == {"field", "message"} for d in error.details)
        return
    assert_usable(request.filters)


@EXAMPLES
@given(st.one_of(json_values, st.lists(json_values)))
def test_any_json_document_gives_a_request_or_a_bad_request(payload):
    try:
        request = parse_export_config(payload, ("leaderboard",), set())
    except BadRequest:
        return
    assert_usable(request.filters)  # an accepted document gives a view every query can use


@EXAMPLES
@given(st.dates(DATE_MIN, DATE_MAX), st.dates(DATE_MIN, DATE_MAX),
       st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12", "America/Los_Angeles"]))
def test_any_range_within_the_limits_is_usable(one, other, tz):
    filters = Filters(start=min(one, other), end=max(one, other), tz=tz)
    assert_usable(filters)
    previous = filters.previous_period()
    if previous is not None:  # equal length, just before
        assert previous.end - previous.start == filters.end - filters.start
        assert previous.end + timedelta(days=1) == filters.start


@pytest.mark.parametrize("query", [
    {"start": "1970-01-01", "end": "2199-12-31", "tz": "Pacific/Kiritimati"},
    {"start": "1970-01-01", "end": "1970-01-01", "tz": "Etc/GMT-14"},
    {"end": "2199-12-31", "tz": "Etc/GMT+12"},
    {"algorithms": ",".join(str(i) for i in range(1000)), "domain": ["x" * 200] * 1000},
])
def test_the_extremes_allowed_are_usable(query):
    filters, notices = Filters.from_query(query)
    assert notices == [] and filters != Filters()
    assert_usable(filters)
