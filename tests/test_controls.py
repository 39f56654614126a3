"""From controls to the view: a page changes only what it has controls for."""
from __future__ import annotations

from datetime import date

from helios_dash.filters import Filters
from helios_dash.ui.controls import filters_from_controls
from helios_dash.ui.url import read_view, view_search


def test_fields_without_a_control_keep_the_urls_value():
    base = Filters(domains=("quantum",), granularity="month", start=date(2026, 1, 1), tz="Asia/Tokyo")
    changed = filters_from_controls(base, domains=["crypto", "quantum"], tz="UTC")
    assert changed == Filters(domains=("crypto", "quantum"), granularity="month", start=date(2026, 1, 1))


def test_a_cleared_control_clears_its_field():
    base = Filters(domains=("quantum",), types=("novel",))
    assert filters_from_controls(base, domains=[], types=None) == Filters()


def test_dates_from_the_picker_and_readable_search():
    filters = filters_from_controls(start="2026-02-01T00:00:00", end="2026-02-28", algorithms=["a", "b"],
                                    tz="Europe/Paris")
    assert view_search(filters) == "?start=2026-02-01&end=2026-02-28&algorithms=a,b&tz=Europe/Paris"


def test_unknown_domains_are_dropped_with_a_notice():
    filters, notices = read_view({"domain": ["quantum", "atlantis"]}, {"quantum", "crypto"})
    assert filters.domains == ("quantum",)
    assert notices == ["Ignored unknown domain(s): atlantis."]


def test_a_typed_date_outside_the_supported_range_is_dropped_not_raised():
    from helios_dash.ui.controls import date_control, filters_from_controls

    view = filters_from_controls(Filters(), start="0001-01-01", end="9999-12-31T00:00:00")
    assert (view.start, view.end) == (None, None)
    kept = filters_from_controls(Filters(), start="1970-01-01", end="2199-12-31")
    assert (kept.start, kept.end) == (date(1970, 1, 1), date(2199, 12, 31))
    picker = date_control("trends", Filters()).children[1]
    assert (picker.min_date_allowed, picker.max_date_allowed) == (date(1970, 1, 1), date(2199, 12, 31))


def test_a_range_typed_backwards_is_the_same_days_in_order():
    view = filters_from_controls(Filters(), start="2026-11-30", end="2026-09-01")
    assert (view.start, view.end) == (date(2026, 9, 1), date(2026, 11, 30))


def test_the_calendar_is_told_to_open_on_its_dates_not_on_the_earliest_month():
    from helios_dash.ui.controls import date_control

    # an explicit null: the picker then opens on the dates it holds, else today (left out: January 1970)
    props = date_control("trends", Filters()).children[1].to_plotly_json()["props"]
    assert "initial_visible_month" in props and props["initial_visible_month"] is None
