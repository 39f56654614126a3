"""The Overview's period control and significance colouring (issue 8, item 10).

Expected figures come from plain SQL over the store, from hand calculation, or from
scipy's own tests (``ttest_ind_from_stats``), never from the code under test.
"""
from __future__ import annotations

import base64
import io
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from helios_dash.schema import validations as v


from tests.test_page_overview import _walk  # noqa: E402  every component dict of a layout


def _cards(cards) -> dict[str, dict]:
    """Per KPI: its shown value, and the note below it with its class."""
    found = {}
    for component in _walk(cards):
        body = component.get("props", {}).get("children")
        if component.get("type") == "CardBody":
            value, note = body[1].to_plotly_json()["props"], body[2].to_plotly_json()["props"]
            found[value["data-kpi"]] = {"value": value["children"], "note": note["children"],
                                        "class": note["className"]}
    return found


def _sides(cards) -> str:
    return next(c["props"]["children"] for c in _walk(cards) if "data-kpi-sides" in c.get("props", {}))


def _rows(store, start: date, end: date, domain: str | None = None) -> pd.DataFrame:
    lower = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    upper = datetime(end.year, end.month, end.day, tzinfo=timezone.utc) + timedelta(days=1)
    stmt = sa.select(v.c.quality).where(v.c.created_at >= lower, v.c.created_at < upper)
    if domain:
        stmt = stmt.where(v.c.domain_id == domain)
    return store.read(stmt)


# -- the URL's period ---------------------------------------------------------------------------
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("query, period, start, end, notices", [
    ({}, "month", None, None, 0),
    ({"period": ["month"]}, "month", None, None, 0),
    ({"period": ["7d"]}, "7d", date(2026, 11, 25), TODAY, 0),
    ({"period": "30d"}, "30d", date(2026, 11, 2), TODAY, 0),
    ({"start": ["2026-10-01"], "end": ["2026-10-31"]}, "custom", date(2026, 10, 1), date(2026, 10, 31), 0),
    ({"period": ["custom"], "start": ["2026-10-01"], "end": ["2026-10-31"]}, "custom", date(2026, 10, 1),
     date(2026, 10, 31), 0),
    ({"period": ["7d"], "start": ["2026-10-01"]}, "7d", date(2026, 11, 25), TODAY, 1),  # the period wins, said so
    ({"period": ["week"]}, "month", None, None, 1),
    ({"period": ["custom"]}, "month", None, None, 1),
    ({"period": ["x" * 500]}, "month", None, None, 1),
])
def test_read_period(dash_app, query, period, start, end, notices):
    from helios_dash.filters import Filters
    from helios_dash.services.overview import read_period

    filters, _ = Filters.from_query(query)
    name, dated, said = read_period(query, filters, today=TODAY)
    assert (name, dated.start, dated.end, len(said)) == (period, start, end, notices)


def test_period_links_leave_out_the_default(dash_app):
    from helios_dash.services.overview import period_extras

    assert period_extras("month") == {} and period_extras("custom") == {}
    assert period_extras("7d") == {"period": "7d"}


def test_a_bad_period_is_a_notice_on_the_page(dash_app):
    from helios_dash.pages.overview import layout

    page = str(layout(period="fortnight").to_plotly_json())
    assert "Ignored period=&#x27;fortnight&#x27;" in page or "Ignored period='fortnight'" in page


# -- significance ---------------------------------------------------------------------------------
def _months(**sides) -> pd.DataFrame:
    current, previous = ({k: v[i] for k, v in sides.items()} for i in (0, 1))
    frame = pd.DataFrame([current, previous], index=["current", "previous"])
    return frame.assign(period=["this", "before"], best_speedup=[2.0, 1.0])


@pytest.mark.parametrize("means, expected", [((70.0, 68.0), False), ((70.0, 67.0), True)])
def test_mean_quality_uses_welch(dash_app, means, expected):
    from helios_dash.services.overview import significant_changes

    # By hand: n = 100 and sd = 10 on both sides: se = sqrt(1 + 1) = 1.414; t = 2/1.414 = 1.41 or 3/1.414 = 2.12,
    # against t(0.975, 198) = 1.972.
    months = _months(total_validations=[100, 100], mean_quality=list(means), std_quality=[10.0, 10.0],
                     success_rate=[0.5, 0.5], hours=[24.0, 24.0])
    scipy_p = stats.ttest_ind_from_stats(means[0], 10.0, 100, means[1], 10.0, 100, equal_var=False).pvalue
    assert bool(scipy_p < 0.05) is expected
    assert significant_changes(months)["mean_quality"] is expected


@pytest.mark.parametrize("rates, expected", [((0.60, 0.50), False), ((0.65, 0.50), True)])
def test_success_rate_uses_two_proportions(dash_app, rates, expected):
    from helios_dash.services.overview import significant_changes

    # By hand: pooled 0.55: se = sqrt(.55 * .45 * (2/100)) = 0.0704, z = 1.42; pooled 0.575: se = 0.0699, z = 2.15.
    months = _months(total_validations=[100, 100], mean_quality=[70.0, 70.0], std_quality=[10.0, 10.0],
                     success_rate=list(rates), hours=[24.0, 24.0])
    assert significant_changes(months)["success_rate"] is expected


def test_eleven_hours_of_the_first_are_not_a_red_fall(dash_app):
    """The issue's case: on the 1st at 11:30, 480 validations against a whole 1st of last month with 1,000."""
    from helios_dash.pages.overview import kpi_cards
    from helios_dash.services.overview import significant_changes

    months = _months(total_validations=[480, 1000], mean_quality=[69.5, 70.0], std_quality=[12.0, 12.0],
                     success_rate=[0.49, 0.50], hours=[11.5, 24.0])
    # Same rate per hour (41.7 and 41.7): an exact binomial test of 480 of 1,480 at p = 11.5/35.5 is far from 5%.
    assert stats.binomtest(480, 1480, 11.5 / 35.5).pvalue > 0.5
    assert significant_changes(months) == {"total_validations": False, "mean_quality": False,
                                           "success_rate": False, "best_speedup": None}
    cards = kpi_cards(months, "month")
    shown = _cards(cards)
    assert shown["total_validations"]["note"].startswith("-520 vs before")
    assert all("text-danger" not in card["class"] and "text-success" not in card["class"] for card in shown.values())
    assert _sides(cards) == "This month so far (this): 480 validations vs 1,000 in before"


def test_a_real_fall_in_validations_is_red(dash_app):
    from helios_dash.pages.overview import kpi_cards

    months = _months(total_validations=[300, 1000], mean_quality=[70.0, 70.0], std_quality=[12.0, 12.0],
                     success_rate=[0.5, 0.5], hours=[11.5, 24.0])
    assert stats.binomtest(300, 1300, 11.5 / 35.5).pvalue < 0.05  # 26/h against 42/h
    assert "text-danger" in _cards(kpi_cards(months, "7d"))["total_validations"]["class"]


# -- the page and its export follow the period ----------------------------------------------------
def test_last_7_days_match_plain_sql(dash_app, settled):
    from helios_dash.pages.overview import update_overview

    today = datetime.now(timezone.utc).date()
    now, before = (_rows(settled, today - timedelta(days=6), today, "quantum"),
                   _rows(settled, today - timedelta(days=13), today - timedelta(days=7), "quantum"))
    cards, figure, _top = update_overview({"domain": ["quantum"], "period": ["7d"]}, None)
    assert len(figure.data[0].x) > 7  # the chart keeps its 90 days around the period
    shown = _cards(cards)
    assert shown["total_validations"]["value"] == f"{len(now):,}"
    assert shown["mean_quality"]["value"] == f"{now['quality'].mean():.1f}"
    assert shown["success_rate"]["value"] == f"{(now['quality'] > 70).mean():.1%}"
    assert _sides(cards).startswith("Last 7 days (")
    assert f": {len(now):,} validations vs {len(before):,} in " in _sides(cards)


def test_overview_csv_follows_the_period(dash_app, settled):
    from helios_dash.pages._downloads import export_page

    today = datetime.now(timezone.utc).date()
    now = _rows(settled, today - timedelta(days=29), today)
    before = _rows(settled, today - timedelta(days=59), today - timedelta(days=30))
    with dash_app.server.test_request_context():
        data, message = export_page("overview", "csv", {"period": ["30d"]})
    assert message == ""
    table = pd.read_csv(io.BytesIO(base64.b64decode(data["content"]))).set_index("Key figure")
    assert table.loc["Validations", "Value"] == len(now)
    assert table.loc["Validations", "Previous value"] == len(before)
    assert table.loc["Mean quality", "Value"] == pytest.approx(now["quality"].mean())
