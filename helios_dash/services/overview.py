"""The Overview page's numbers: this month against last month, a small trend, the top five."""
from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta

import pandas as pd

from ..extensions import get_store
from ..filters import Filters
from ..queries import select_leaderboard, select_performance_trends, select_period_report
from .cached import per_data_version


@per_data_version
def compare_months(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """The KPIs of the view's period (``current``) and of the period it is compared with (``previous``).

    Without a start date that is this month so far against the same days of last
    month (a month in progress against a whole month would always show a fall),
    the month being that of ``filters.end`` when one is given. With a start date it
    is start to end (or today) against the as many days just before. Days are in
    ``filters.tz``; ``period`` labels each row, ``start`` and ``end`` bound it.
    """
    spans = comparison_spans(filters, today or datetime.now(filters.zone).date())
    rows = [select_period_report(get_store(), filters.replace(start=start, end=end))
            .assign(period=_label(start, end), start=start, end=end) for start, end in spans.values()]
    return pd.concat(rows, ignore_index=True).set_axis(list(spans))


def comparison_spans(filters: Filters, today: date) -> dict[str, tuple[date, date]]:
    """The view's period and the one its KPIs are compared with (see ``compare_months``)."""
    if filters.start is None:
        return month_to_date_spans(filters.end or today)
    end = filters.end or max(today, filters.start)
    days = timedelta(days=(end - filters.start).days + 1)
    return {"current": (filters.start, end), "previous": (filters.start - days, filters.start - timedelta(days=1))}


def describe_comparison(months: pd.DataFrame) -> str:
    """What the KPIs compare, e.g. "01-15 Dec 2026 against 01-15 Nov 2026"."""
    return f"{months.loc['current', 'period']} against {months.loc['previous', 'period']}"


def month_to_date_spans(today: date) -> dict[str, tuple[date, date]]:
    """This month up to ``today``, and last month up to the same day (or its last day)."""
    previous_first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last_day = monthrange(previous_first.year, previous_first.month)[1]
    return {"current": (today.replace(day=1), today),
            "previous": (previous_first, previous_first.replace(day=min(today.day, last_day)))}


def _label(start: date, end: date) -> str:
    if start == end:
        return f"{start:%d %b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%d}-{end:%d %b %Y}"
    return f"{start:%d %b %Y} to {end:%d %b %Y}"


@per_data_version
def recent_quality_trend(filters: Filters, days: int = 90) -> pd.DataFrame:
    """Daily validations and mean quality over the last ``days`` days of the view."""
    end = filters.end or datetime.now(filters.zone).date()
    start = max(filters.start or date.min, end - timedelta(days=days - 1))
    return select_performance_trends(get_store(), filters.replace(start=start, end=end, granularity="day"))


@per_data_version
def top_algorithms(filters: Filters, count: int = 5) -> pd.DataFrame:
    """The first ``count`` rows of the view's leaderboard."""
    return select_leaderboard(get_store(), filters).head(count)
