"""The monthly KPI report of the feature guide."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ..filters import Filters
from ..store import Store
from ._buckets import local_hour, select_slot_sums

REPORT_COLUMNS = [
    "month", "total_validations", "mean_quality", "success_rate", "best_speedup", "peak_hour",
    "peak_hour_validations",
]


def month_filters(filters: Filters, month: date) -> Filters:
    """The view narrowed to the calendar month containing ``month`` (in ``filters.tz``)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return filters.replace(start=first, end=following - timedelta(days=1))


def get_monthly_report(store: Store, filters: Filters, month: date | None = None) -> pd.DataFrame:
    """One row: validations, mean quality, success rate, best speedup and busiest local hour of a month.

    ``month`` defaults to the current month in ``filters.tz``; the view's own
    date range is replaced by that month. ``peak_hour`` (0-23, local) is the hour
    of the day with the most validations, the earliest on a tie.
    """
    month = month or datetime.now(filters.zone).date()
    report = select_period_report(store, month_filters(filters, month))
    return report.assign(month=month.strftime("%Y-%m"))[REPORT_COLUMNS]


def select_period_report(store: Store, filters: Filters) -> pd.DataFrame:
    """The KPIs of the monthly report over the view's own date range (one row, no ``month``)."""
    slots = select_slot_sums(store, filters, cut_at="hour")  # blocks within one local hour, for peak_hour
    total = int(slots["validations"].sum())
    row = {"total_validations": total}
    if total:
        by_hour = slots.groupby(local_hour(slots["slot_start"], filters.tz))["validations"].sum()
        row |= {
            "mean_quality": slots["sum_quality"].sum() / total,
            "success_rate": slots["successes"].sum() / total,
            "best_speedup": slots["max_speedup"].max(),
            "peak_hour": int(by_hour.idxmax()),
            "peak_hour_validations": int(by_hour.max()),
        }
    return pd.DataFrame([row], columns=REPORT_COLUMNS[1:])
