"""The Overview page's numbers: this month against last month, a small trend, the top five."""
from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta

import pandas as pd

from ..extensions import get_store
from ..filters import DATE_MIN, Filters
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
    rows = [_period_report(filters, start, end).assign(period=_label(start, end), start=start, end=end)
            for start, end in spans.values()]
    return pd.concat(rows, ignore_index=True).set_axis(list(spans))


def _period_report(filters: Filters, start: date, end: date) -> pd.DataFrame:
    # Before the first day a view can name (1970) there is no data: an empty period, not an error.
    if end < DATE_MIN:
        return pd.DataFrame([{"total_validations": 0}])
    return select_period_report(get_store(), filters.replace(start=max(start, DATE_MIN), end=end))


def comparison_spans(filters: Filters, today: date) -> dict[str, tuple[date, date]]:
    """The view's period and the one its KPIs are compared with (see ``compare_months``).

    Whole calendar months (2020-01-01 to 2020-12-31) are compared with as many whole
    months before (2019), any other range with as many days just before.
    """
    if filters.start is None:
        return month_to_date_spans(filters.end or today)
    start, end = filters.start, filters.end or max(today, filters.start)
    months = _whole_months(start, end)
    if months:
        previous_start = _add_months(start, -months)
        return {"current": (start, end), "previous": (previous_start, start - timedelta(days=1))}
    days = timedelta(days=(end - start).days + 1)
    return {"current": (start, end), "previous": (start - days, start - timedelta(days=1))}


def _whole_months(start: date, end: date) -> int:
    """How many calendar months start..end spans if it is whole months, else 0."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


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
