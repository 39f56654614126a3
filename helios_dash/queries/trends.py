"""Performance over time: calendar buckets in the viewer's timezone."""
from __future__ import annotations

import pandas as pd

from ..errors import BadRequest
from ..filters import Filters
from ..store import Store
from ._buckets import SPLIT_COLUMNS, local_period_start, select_slot_sums

TREND_COLUMNS = ["period_start", "validations", "mean_quality", "mean_speedup", "success_rate"]
_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def select_performance_trends(
    store: Store, filters: Filters, rolling: int | None = None, split_by: str | None = None
) -> pd.DataFrame:
    """Mean quality, mean speedup and count per ``filters.granularity`` bucket.

    ``period_start`` is the bucket's first local day (naive, in ``filters.tz``);
    periods without validations inside the data's span appear with a count of 0.
    ``rolling=N`` adds ``rolling_quality``/``rolling_speedup``: means over the last
    N buckets weighted by their validation counts. ``split_by`` ("domain" or
    "type") adds a ``split`` column with one series per value.
    """
    if split_by is not None and split_by not in SPLIT_COLUMNS:
        raise BadRequest(f"split_by must be one of {', '.join(SPLIT_COLUMNS)}")
    if rolling is not None and rolling < 1:
        raise BadRequest("rolling must be a positive number of buckets")
    slots = select_slot_sums(store, filters, split_by)
    columns = TREND_COLUMNS + (["split"] if split_by else [])
    if slots.empty:
        return pd.DataFrame(columns=columns + (["rolling_quality", "rolling_speedup"] if rolling else []))
    slots["period_start"] = local_period_start(slots["slot_start"], filters.tz, filters.granularity)
    series = [_one_series(part, filters.granularity, rolling) for _, part in _groups(slots, split_by)]
    frame = pd.concat(series, ignore_index=True)
    return frame.sort_values(["period_start"] + (["split"] if split_by else [])).reset_index(drop=True)


def _groups(slots: pd.DataFrame, split_by: str | None):
    return slots.groupby("split", sort=True) if split_by else [(None, slots)]


def _one_series(slots: pd.DataFrame, granularity: str, rolling: int | None) -> pd.DataFrame:
    sums = slots.groupby("period_start")[["validations", "sum_quality", "sum_speedup", "successes"]].sum()
    full_range = pd.date_range(sums.index.min(), sums.index.max(), freq=_FREQ[granularity])
    sums = sums.reindex(full_range, fill_value=0)
    frame = _means(sums)
    if rolling:
        window = sums.rolling(rolling, min_periods=1).sum()
        frame["rolling_quality"] = (window["sum_quality"] / window["validations"]).to_numpy()
        frame["rolling_speedup"] = (window["sum_speedup"] / window["validations"]).to_numpy()
    if "split" in slots:
        frame["split"] = slots["split"].iloc[0]
    return frame


def _means(sums: pd.DataFrame) -> pd.DataFrame:
    count = sums["validations"].where(sums["validations"] > 0)  # NaN, not 0/0 warnings
    return pd.DataFrame({
        "period_start": sums.index,
        "validations": sums["validations"].astype("int64").to_numpy(),
        "mean_quality": (sums["sum_quality"] / count).to_numpy(),
        "mean_speedup": (sums["sum_speedup"] / count).to_numpy(),
        "success_rate": (sums["successes"] / count).to_numpy(),
    })
