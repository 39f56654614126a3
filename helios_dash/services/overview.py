"""The Overview page's numbers: a period against the one before, a small trend, the top five."""
from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..runtime import get_store
from ..filters import DATE_MIN, Filters, text_problem
from ..queries import select_algorithm_metrics, select_leaderboard, select_performance_trends, select_period_report
from .cached import per_data_version


@per_data_version
def compare_months(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """The KPIs of the view's period (``current``) and of the period it is compared with (``previous``).

    Without a start date that is this month so far against the same days of last
    month (a month in progress against a whole month would always show a fall),
    the month being that of ``filters.end`` when one is given. With a start date it
    is start to end (or today) against the as many days just before. Days are in
    ``filters.tz``; ``period`` labels each row, ``start`` and ``end`` bound it;
    ``std_quality`` (sample standard deviation of quality) and ``hours`` (how much of
    the period has passed, for a rate) serve ``significant_changes``.
    """
    now = datetime.now(filters.zone)
    spans = comparison_spans(filters, today or now.date())
    rows = [_period_report(filters, start, end).assign(period=_label(start, end), start=start, end=end,
                                                       hours=_elapsed_hours(start, end, filters.zone, now))
            for start, end in spans.values()]
    return pd.concat(rows, ignore_index=True).set_axis(list(spans))


def _period_report(filters: Filters, start: date, end: date) -> pd.DataFrame:
    # Before the first day a view can name (1970) there is no data: an empty period, not an error.
    if end < DATE_MIN:
        return pd.DataFrame([{"total_validations": 0}])
    span = filters.replace(start=max(start, DATE_MIN), end=end)
    return select_period_report(get_store(), span).assign(std_quality=_std_quality(span))


def _std_quality(filters: Filters) -> float:
    """The sample standard deviation of quality over the view, pooled exactly from per-algorithm figures."""
    per = select_algorithm_metrics(get_store(), filters, measures=("validations", "mean_quality", "std_quality"))
    n = per["validations"].astype("float64")
    if n.sum() < 2:
        return float("nan")
    mean = (per["mean_quality"] * n).sum() / n.sum()
    squares = ((n - 1) * per["std_quality"].fillna(0.0) ** 2).sum() + (n * (per["mean_quality"] - mean) ** 2).sum()
    return float(np.sqrt(squares / (n.sum() - 1)))


def _elapsed_hours(start: date, end: date, zone, now: datetime) -> float:
    """Hours of start..end (whole days in ``zone``) that have passed by ``now``: a day in progress counts in part."""
    lower = datetime.combine(start, time.min, tzinfo=zone)
    upper = min(datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone), now)
    return max((upper - lower).total_seconds() / 3600, 0.0)


SIGNIFICANCE = 0.05  # two-sided, i.e. a 95% interval
MIN_EXPECTED = 5  # successes and failures expected on each side before a proportion test is trusted


def significant_changes(months: pd.DataFrame) -> dict[str, bool | None]:
    """Whether each KPI's change is significant at the 95% level; None when there is too little to judge.

    - ``mean_quality``: Welch's t-test (unequal variances, Welch-Satterthwaite degrees
      of freedom), i.e. the 95% interval of the difference of means excludes zero;
      needs at least 2 validations and some spread on each side.
    - ``success_rate``: two-proportion z-test with the pooled rate; needs an expected
      count of at least 5 successes and 5 failures on each side.
    - ``total_validations``: exact conditional test of two Poisson rates: given both
      counts' sum, the current count is Binomial(sum, share of the elapsed hours) when
      the rate per hour is unchanged. A month or day still in progress is thus compared
      fairly (11 hours of a 1st against a whole 1st is not a fall); the direction is
      that of the rate per hour. Needs at least one validation and elapsed time on each side.
    - ``best_speedup``: a maximum has no such test: never significant (None).
    """
    now, before = months.loc["current"], months.loc["previous"]
    return {"total_validations": _rate_test(now, before), "mean_quality": _welch_test(now, before),
            "success_rate": _proportion_test(now, before), "best_speedup": None}


def rate_change(months: pd.DataFrame) -> float | None:
    """The relative change of validations per elapsed hour (0.1 = 10% more), or None without both rates."""
    now, before = months.loc["current"], months.loc["previous"]
    if not (now.get("hours", 0) > 0 and before.get("hours", 0) > 0 and before["total_validations"] > 0):
        return None
    return (now["total_validations"] / now["hours"]) / (before["total_validations"] / before["hours"]) - 1


def _rate_test(now, before) -> bool | None:
    n1, n2 = int(now["total_validations"]), int(before["total_validations"])
    e1, e2 = now.get("hours", 0), before.get("hours", 0)
    if n1 < 1 or n2 < 1 or not (e1 > 0 and e2 > 0):
        return None
    return bool(stats.binomtest(n1, n1 + n2, e1 / (e1 + e2)).pvalue < SIGNIFICANCE)


def _welch_test(now, before) -> bool | None:
    n1, n2 = now["total_validations"], before["total_validations"]
    s1, s2 = now.get("std_quality"), before.get("std_quality")
    if n1 < 2 or n2 < 2 or pd.isna(s1) or pd.isna(s2) or s1 ** 2 / n1 + s2 ** 2 / n2 == 0:
        return None
    v1, v2 = s1 ** 2 / n1, s2 ** 2 / n2
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    t = (now["mean_quality"] - before["mean_quality"]) / np.sqrt(v1 + v2)
    return bool(abs(t) > stats.t.ppf(1 - SIGNIFICANCE / 2, df))


def _proportion_test(now, before) -> bool | None:
    n1, n2 = now["total_validations"], before["total_validations"]
    if n1 < 1 or n2 < 1:
        return None
    p1, p2 = now["success_rate"], before["success_rate"]
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    if min(n * p for n in (n1, n2) for p in (pooled, 1 - pooled)) < MIN_EXPECTED:
        return None
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return bool(abs(z) > stats.norm.ppf(1 - SIGNIFICANCE / 2))


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
    """Daily validations and mean quality over the ``days`` days up to the view's end (or today).

    Whatever the KPIs' period (7 days, a month), the chart keeps its 90 days: the context of the period.
    """
    end = filters.end or datetime.now(filters.zone).date()
    start = max(DATE_MIN, end - timedelta(days=days - 1))
    return select_performance_trends(get_store(), filters.replace(start=start, end=end, granularity="day"))


@per_data_version
def top_algorithms(filters: Filters, count: int = 5) -> pd.DataFrame:
    """The first ``count`` rows of the view's leaderboard."""
    return select_leaderboard(get_store(), filters).head(count)


PERIODS = {"month": "This month so far", "7d": "Last 7 days", "30d": "Last 30 days", "custom": "Custom dates"}
DEFAULT_PERIOD = "month"
PERIOD_DAYS = {"7d": 7, "30d": 30}


def read_period(query: Mapping, filters: Filters, today: date | None = None) -> tuple[str, Filters, list[str]]:
    """The Overview's period from the URL: its name, the filters holding its dates, and notices.

    ``period=7d`` or ``30d``: the 7 or 30 days up to today (in ``filters.tz``), a link
    that stays current; ``month`` (the default, left out of links): this month so far;
    ``start``/``end`` without ``period``: custom dates (``period=custom`` may say so).
    A bad value, dates beside ``7d``/``30d``/``month``, or ``custom`` without dates
    become notices, and the rest of the view stands.
    """
    given = query.get("period")
    value = given[0] if isinstance(given, (list, tuple)) and given else given
    notices: list[str] = []
    problem = text_problem(value) if value is not None else None
    if problem or (value is not None and value not in PERIODS):
        notices.append(f"Ignored period: a value {problem}." if problem else
                       f"Ignored period={value!r}: use 7d, 30d, month, or start and end for custom dates.")
        value = None
    dated = filters.start is not None or filters.end is not None
    if value == "custom" and not dated:
        notices.append("Ignored period=custom: give start and end; showing this month so far.")
        value = None
    if value is None:
        return ("custom" if dated else DEFAULT_PERIOD), filters, notices
    if value != "custom" and dated:
        notices.append(f"Ignored start and end: period={value} sets the dates.")
    if value in PERIOD_DAYS:
        today = today or datetime.now(filters.zone).date()
        return value, filters.replace(start=today - timedelta(days=PERIOD_DAYS[value] - 1), end=today), notices
    return value, (filters if value == "custom" else filters.replace(start=None, end=None)), notices


def period_extras(period: str) -> dict[str, str]:
    """The page parameter for ``period`` in a link: left out for the default and for custom (its dates say it)."""
    return {"period": period} if period in PERIOD_DAYS else {}
