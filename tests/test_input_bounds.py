"""Hardening (issue 7): every list, date, number and text a page URL carries is bounded.

A bad value becomes a notice and the default is used (the export body: test_export_config_bounds.py).
"""
from __future__ import annotations

import pytest
from test_filters import Untouchable  # a list that fails if read: proof it was refused unprocessed

from helios_dash.ui.url import bounded_int, read_view

DEMO_DOMAINS = ["quantum", "optimization", "machine-learning", "cryptography", "bioinformatics",
                "materials-science", "climate-modelling", "graph-algorithms", "signal-processing",
                "computational-finance"]  # the demo catalog: 10 domains


def page_notices(page) -> list[str]:
    import dash_bootstrap_components as dbc

    return [c.children for c in page._traverse() if isinstance(c, dbc.Alert)]


def page_view(page) -> dict:
    from dash import dcc

    return next(c for c in page._traverse() if isinstance(c, dcc.Store) and c.id["type"] == "view-state").data


# -- URL helpers ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2", 2), ("60", 60), ("05", 5), ("1", None), ("61", None), ("", None), ("+5", None), (" 5", None),
    ("5.0", None), ("٥", None), ("-3", None), (5, None), (None, None), (["5"], None),
    pytest.param("9" * 5000, None, id="5000-digits"),
])
def test_bounded_int_reads_only_short_ascii_digits_in_range(text, expected):
    assert bounded_int(text, 2, 60) == expected


def test_more_domains_than_the_catalog_holds_are_refused():
    filters, notices = read_view({"domain": ["quantum", "crypto", "atlantis"]}, {"quantum", "crypto"})
    assert filters.domains == ()
    assert notices == ["Ignored domain: 3 different values, but there are only 2 domains."]


def test_repeated_domains_count_once():
    filters, notices = read_view({"domain": ["quantum", "crypto", "quantum"]}, {"quantum", "crypto"})
    assert filters.domains == ("quantum", "crypto") and notices == []


# -- pages -----------------------------------------------------------------------

@pytest.mark.parametrize("query, notice", [
    ({"rolling": "9" * 5000}, "Ignored rolling: a value is longer than 200 characters."),
    ({"rolling": "1" + "0" * 30}, f"Ignored rolling={'1' + '0' * 30!r}: use a whole number of periods"),
    ({"rolling": [["5"]]}, "Ignored rolling: a value is not text."),
    ({"split": [["domain"]]}, "Ignored split: a value is not text."),
    ({"rolling": "٥"}, "Ignored rolling='٥'"),
    ({"end": "9999-12-31"}, "Ignored end='9999-12-31': dates run from 1970-01-01 to 2199-12-31."),
    ({"start": "0001-01-01"}, "Ignored start='0001-01-01': dates run from 1970-01-01 to 2199-12-31."),
    ({"domain": DEMO_DOMAINS + ["atlantis"]}, "Ignored domain: 11 different values, but there are only 10"),
    ({"domain": Untouchable(["quantum"] * 200_000)}, "Ignored domain: more than 1,000 values."),
    ({"tz": "America"}, "Ignored unknown timezone 'America'."),
])
def test_trends_turns_out_of_bounds_values_into_notices(dash_app, query, notice):
    from helios_dash.pages import trends

    page = trends.layout(**query)
    notices = page_notices(page)
    assert len(notices) == 1 and notices[0].startswith(notice)
    assert page_view(page) == {}  # the default is used


@pytest.mark.parametrize("view", [
    {"rolling": ["9" * 5000]}, {"end": ["9999-12-31"]}, {"start": ["0001-01-01"], "end": ["0001-01-31"]},
    {"rolling": [["5"]], "split": [{"a": 1}]}, {"tz": ["America"]},
])
def test_trends_callbacks_survive_out_of_bounds_views(settled, view):
    from helios_dash.pages import trends

    shown, default = trends.update_trends(view, 1), trends.update_trends({}, 1)
    assert [figure.to_json() for figure in shown] == [figure.to_json() for figure in default]  # defaults used
    assert "UTC" in trends.update_trends_note(view)


def test_the_longest_rolling_window_is_accepted(dash_app):
    from helios_dash.pages import trends
    from helios_dash.ui import ids

    page = trends.layout(rolling="60")
    rolling = next(c for c in page._traverse() if getattr(c, "id", None) == ids.TRENDS_ROLLING)
    assert rolling.value == "60" and page_notices(page) == []


def test_a_search_that_is_not_plain_short_text_is_ignored_with_a_notice(dash_app):
    from helios_dash.pages.leaderboard import layout
    from helios_dash.ui.url import read_search

    assert read_search({"q": ["kem"]}) == ("kem", [])
    assert read_search({"q": "x" * 201})[0] == "" and "longer than 200" in read_search({"q": "x" * 201})[1][0]
    assert read_search({"q": "a\x00b"})[0] == ""
    page = str(layout(q="y" * 5000))
    assert "Ignored the search (q)" in page and "y" * 201 not in page


def test_many_unknown_algorithm_ids_are_counted_not_listed(dash_app):
    from helios_dash.pages.compare import compare_view

    ids_ = [f"nope-{i}" for i in range(1000)]
    _, notices = compare_view({"algorithms": ",".join(ids_)}, known=set())
    assert notices == ["Ignored unknown algorithm id(s): nope-0, nope-1, nope-2, nope-3, nope-4 and 995 more."]
