"""The Overview page's numbers: this month against last month, a small trend, the top five."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ..extensions import get_store
from ..filters import Filters
from ..queries import get_monthly_report, select_leaderboard, select_performance_trends
from .cached import per_data_version

KPI_FIELDS = ["total_validations", "mean_quality", "success_rate", "best_speedup"]


@per_data_version
def compare_months(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """Two rows, ``current`` and ``previous`` calendar month (in ``filters.tz``), of the KPIs."""
    today = today or datetime.now(filters.zone).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    store = get_store()
    rows = [get_monthly_report(store, filters, day) for day in (today, last_month)]
    return pd.concat(rows, ignore_index=True).set_axis(["current", "previous"])


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
