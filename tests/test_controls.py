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
