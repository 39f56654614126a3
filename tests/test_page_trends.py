"""Trends page without a browser: callbacks, figures and service checked against plain SQL + pandas."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import pandas as pd
import pytest
import sqlalchemy as sa

ROWS_SQL = sa.text(
    "SELECT v.created_at, v.quality, v.speedup, v.domain_id, a.type "
    "FROM validations v JOIN algorithms a ON a.id = v.algorithm_id"
)



def local_rows(store, tz: str) -> pd.DataFrame:
    """Every validation with its local (naive) timestamp in ``tz``."""
    rows = store.read(ROWS_SQL)
    rows["local"] = rows["created_at"].dt.tz_convert(tz).dt.tz_localize(None)
    return rows


def as_series(trace) -> pd.Series:
    """A trace's points as a Series indexed by timestamp."""
    return pd.Series(list(trace.y), index=pd.to_datetime(list(trace.x)), dtype="float64")


def test_daily_counts_and_means_in_tokyo_time(settled):
    from helios_dash.pages import trends

    today = datetime.now().date()
    start, end = today - timedelta(days=40), today - timedelta(days=20)
    view = {"domain": ["quantum"], "granularity": ["day"], "tz": ["Asia/Tokyo"],
            "start": [start.isoformat()], "end": [end.isoformat()]}
    quality, speedup, count = trends.update_trends(view, 1)
    rows = local_rows(settled, "Asia/Tokyo")
    days = rows["local"].dt.normalize()
    rows = rows[(rows["domain_id"] == "quantum") & (days >= str(start)) & (days <= str(end))]
    by_day = rows.groupby(rows["local"].dt.normalize()).agg(n=("quality", "size"), quality=("quality", "mean"),
                                                            speedup=("speedup", "mean"))
    assert by_day["n"].sum() > 100  # enough data for the comparison to mean something
    shown_counts = as_series(count.data[0])
    assert shown_counts[shown_counts > 0].to_dict() == by_day["n"].astype("float64").to_dict()
    assert as_series(quality.data[0]).dropna().to_numpy() == pytest.approx(by_day["quality"].to_numpy())
    assert as_series(speedup.data[0]).dropna().to_numpy() == pytest.approx(by_day["speedup"].to_numpy())
    assert count.layout.xaxis.title.text == "Day (Asia/Tokyo)"


def test_split_by_type_with_monthly_rolling_mean(settled):
    from helios_dash.pages import trends

    view = {"split": ["type"], "rolling": ["4"], "granularity": ["month"]}
    quality, _, count = trends.update_trends(view, 1)
    rows = local_rows(settled, "UTC")
    rows["month"] = rows["local"].dt.to_period("M").dt.to_timestamp()
    sums = rows.groupby(["type", "month"])["quality"].agg(["sum", "size"])
    lines = {trace.name: trace for trace in quality.data}
    assert len(lines) == 8  # four types, each raw and smoothed
    for algorithm_type, monthly in sums.groupby(level="type"):
        monthly = monthly.droplevel("type")
        window = monthly.rolling(4, min_periods=1).sum()
        smoothed = as_series(lines[algorithm_type.capitalize()])
        assert smoothed.to_numpy() == pytest.approx((window["sum"] / window["size"]).to_numpy())
        assert as_series(lines[f"{algorithm_type.capitalize()}, each month"]).to_numpy() == pytest.approx(
            (monthly["sum"] / monthly["size"]).to_numpy())
    assert sum(sum(trace.y) for trace in count.data) == len(rows)  # stacked bars add up to every validation
    assert count.layout.barmode == "stack"


def test_split_by_domain_names_each_line(settled):
    from helios_dash.pages import trends

    quality, speedup, count = trends.update_trends({"split": ["domain"]}, 1)
    names = sorted(settled.read(sa.text(
        "SELECT DISTINCT d.name FROM validations v JOIN domains d ON d.id = v.domain_id"))["name"])
    for figure in (quality, speedup, count):
        assert [trace.name for trace in figure.data] == names
    assert [t.marker.color for t in quality.data] == [t.marker.color for t in count.data]  # one colour per domain


def test_empty_view_shows_the_empty_state(settled):
    from helios_dash.figures.common import NO_DATA
    from helios_dash.pages import trends

    view = {"start": ["1990-01-01"], "end": ["1990-12-31"], "split": ["domain"], "rolling": ["3"]}
    for figure in trends.update_trends(view, 1):
        assert figure.data == ()
        assert figure.layout.annotations[0].text == NO_DATA
        assert figure.layout.title.text


@pytest.mark.parametrize("query, notice", [
    ({"rolling": "abc"}, "rolling='abc'"),
    ({"rolling": "1"}, "rolling='1'"),
    ({"rolling": "500"}, "rolling='500'"),
    ({"split": "sideways"}, "split='sideways'"),
    ({"granularity": "hour"}, "granularity='hour'"),
])
def test_bad_url_values_become_notices(dash_app, query, notice):
    import dash_bootstrap_components as dbc
    from dash import dcc

    from helios_dash.pages import trends

    page = trends.layout(**query)
    notices = [c.children for c in page._traverse() if isinstance(c, dbc.Alert)]
    assert len(notices) == 1 and notice in notices[0]
    view = next(c for c in page._traverse() if isinstance(c, dcc.Store) and c.id["type"] == "view-state")
    assert view.data == {}  # the bad value is not part of the view


def test_url_options_reach_view_and_controls(dash_app):
    from dash import dcc

    from helios_dash.pages import trends
    from helios_dash.ui import ids

    page = trends.layout(rolling="5", split="domain", tz="Europe/Paris", granularity="day")
    components = {getattr(c, "id", None): c for c in page._traverse() if isinstance(getattr(c, "id", None), str)}
    view = next(c for c in page._traverse() if isinstance(c, dcc.Store) and c.id["type"] == "view-state")
    assert view.data == {"granularity": ["day"], "tz": ["Europe/Paris"], "split": ["domain"], "rolling": ["5"]}
    assert components[ids.TRENDS_ROLLING].value == "5"  # a window not in the list is offered too
    assert {"label": "5 days", "value": "5"} in components[ids.TRENDS_ROLLING].options
    assert components[ids.TRENDS_SPLIT].value == "domain"
    assert components[ids.TRENDS_TZ_NOTE].children == "Times in Europe/Paris; days run from midnight to midnight."


def test_controls_become_the_query_string(dash_app):
    from helios_dash.pages import trends

    search = trends.update_trends_query(["quantum"], [], None, None, "month", "Europe/Paris", "type", "4", {})
    assert search.startswith("?") and parse_qsl(search[1:]) == [
        ("domain", "quantum"), ("granularity", "month"), ("tz", "Europe/Paris"), ("split", "type"), ("rolling", "4")]
    assert trends.update_trends_query([], [], None, None, "week", "UTC", "none", "off", {}) == ""


def test_timezone_note_names_zone_and_week_start(dash_app):
    from helios_dash.filters import Filters
    from helios_dash.pages import trends

    assert trends.timezone_note(Filters(tz="America/Chicago")) == (
        "Times in America/Chicago; weeks start on Monday at midnight.")


def test_trend_charts_from_a_small_frame():
    from helios_dash.figures.trends import count_trend_chart, quality_trend_chart

    weeks = pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-05", "2026-01-12"])
    trends = pd.DataFrame({
        "period_start": weeks, "validations": [2, 0, 3, 1], "mean_quality": [70.0, None, 50.0, 90.0],
        "mean_speedup": [1.0, None, 2.0, 3.0], "rolling_quality": [70.0, 70.0, 50.0, 60.0],
        "rolling_speedup": [1.0, 1.0, 2.0, 2.25], "series": ["Novel", "Novel", "Hybrid", "Hybrid"],
    })
    quality = quality_trend_chart(trends, granularity="week", tz="Europe/Paris", rolling=2)
    assert [t.name for t in quality.data] == ["Hybrid, each week", "Hybrid", "Novel, each week", "Novel"]
    assert [t.showlegend for t in quality.data] == [False, None, False, None]  # the legend names the means
    assert list(quality.data[1].y) == [50.0, 60.0]
    assert "2-week rolling mean" in quality.layout.title.subtitle.text
    assert quality.layout.xaxis.title.text == "Week starting Monday (Europe/Paris)"
    assert quality.layout.yaxis.title.text == "Mean quality (score 0-100)"
    assert "validations" in quality.data[0].hovertemplate
    count = count_trend_chart(trends)
    assert [list(t.y) for t in count.data] == [[3, 1], [2, 0]]
    assert count.layout.yaxis.title.text == "Validations (count)"


def test_a_period_still_running_is_labelled_so_far():
    from datetime import date

    import plotly.graph_objects as go

    from helios_dash.figures.trends import mark_period_in_progress

    trends = pd.DataFrame({"period_start": pd.to_datetime(["2026-11-16", "2026-11-23"])})
    running = mark_period_in_progress(go.Figure(), trends, "week", "UTC", today=date(2026, 11, 27))
    assert [a.text for a in running.layout.annotations] == ["this week so far"]
    ended = mark_period_in_progress(go.Figure(), trends, "week", "UTC", today=date(2026, 11, 30))
    assert ended.layout.annotations == ()  # the week of 23 Nov ended on Sunday 29 Nov


def test_today_is_labelled_on_a_daily_chart():
    from datetime import date

    import plotly.graph_objects as go

    from helios_dash.figures.trends import mark_period_in_progress

    trends = pd.DataFrame({"period_start": pd.to_datetime(["2026-11-26", "2026-11-27"])})
    marked = mark_period_in_progress(go.Figure(), trends, "day", "Asia/Tokyo", today=date(2026, 11, 27))
    assert [a.text for a in marked.layout.annotations] == ["today so far"]


def test_the_timezone_note_follows_the_view(dash_app):
    from helios_dash.pages import trends

    assert "Europe/Paris" in trends.update_trends_note({"tz": ["Europe/Paris"]})


def test_rolling_options_follow_the_granularity_at_once(dash_app):
    from helios_dash.pages.trends import update_rolling_options

    labels = [o["label"] for o in update_rolling_options("day", "7")]
    assert labels == ["Off", "3 days", "4 days", "7 days", "12 days"]
    # a window from the URL outside the usual choices stays offered, in the new unit
    assert [o["label"] for o in update_rolling_options("month", "5")][-3:] == ["5 months", "7 months", "12 months"]
    assert [o["value"] for o in update_rolling_options("week", "off")] == ["off", "3", "4", "7", "12"]
