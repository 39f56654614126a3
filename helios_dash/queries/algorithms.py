"""Per-algorithm metrics: the aggregate behind the leaderboard and the comparison.

Read from the rollups by default (``source="rollup"``, or whatever ``_rollups.reading_from``
set); ``source="raw"`` aggregates the validations table itself, the reference the rollup
path is tested and benchmarked against.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats

from ..filters import Filters
from ..schema import algorithms, domains, validations as v
from ..store import Store
from ._conditions import success_count, validation_conditions
from ._plan import local_cuts, plan_blocks, to_us
from ._rollups import SUM_COLUMNS, plan_parts, resolve_source, union

CONFIDENCE_LEVEL = 0.95

# Every aggregate costs time over 10M rows, so callers ask only for what they show.
MEASURES = {
    "validations": lambda: sa.func.count(),
    "mean_quality": lambda: sa.func.avg(v.c.quality),
    "std_quality": lambda: sa.func.stddev_samp(v.c.quality),
    "mean_confidence": lambda: sa.func.avg(v.c.confidence),
    "mean_speedup": lambda: sa.func.avg(v.c.speedup),
    "max_speedup": lambda: sa.func.max(v.c.speedup),
    "tests": lambda: sa.func.sum(v.c.tests),
    "successes": success_count,
    "first_validation": lambda: sa.func.min(v.c.created_at),
    "last_validation": lambda: sa.func.max(v.c.created_at),
}
RANKING_MEASURES = ("validations", "mean_quality", "std_quality", "mean_speedup", "tests", "successes")
# The rollup sums each measure is computed from: parts select only what the measures need.
SUMS_NEEDED = {
    "validations": ("validations",),
    "mean_quality": ("validations", "sum_quality"),
    "std_quality": ("validations", "sum_quality", "sum_square_quality"),
    "mean_confidence": ("validations", "sum_confidence"),
    "mean_speedup": ("validations", "sum_speedup"),
    "max_speedup": ("max_speedup",),
    "tests": ("tests",),
    "successes": ("successes",),
    "first_validation": ("first_at",),
    "last_validation": ("last_at",),
}


def _count(sums) -> sa.ColumnElement:
    return sa.cast(sa.func.sum(sums.c.validations), sa.Double)


def _mean(name: str):
    return lambda s: sa.func.sum(s.c[name]) / _count(s)


def _std_quality(s) -> sa.ColumnElement:
    """Sample standard deviation from Σq, Σq² and n (NULL below 2 validations, as stddev_samp)."""
    n = _count(s)
    variance = (sa.func.sum(s.c.sum_square_quality) - sa.func.sum(s.c.sum_quality) * sa.func.sum(s.c.sum_quality) / n) / (n - 1)
    # Rounding can leave a tiny negative variance where every value is equal.
    return sa.case((n >= 2, sa.func.sqrt(sa.func.greatest(variance, 0.0))))


# The same measures over rollup sums (columns of ``_rollups.SUM_COLUMNS``).
SUM_MEASURES = {
    "validations": lambda s: sa.cast(sa.func.sum(s.c.validations), sa.BigInteger),
    "mean_quality": _mean("sum_quality"),
    "std_quality": _std_quality,
    "mean_confidence": _mean("sum_confidence"),
    "mean_speedup": _mean("sum_speedup"),
    "max_speedup": lambda s: sa.func.max(s.c.max_speedup),
    "tests": lambda s: sa.cast(sa.func.sum(s.c.tests), sa.BigInteger),
    "successes": lambda s: sa.cast(sa.func.sum(s.c.successes), sa.BigInteger),
    "first_validation": lambda s: sa.func.min(s.c.first_at),
    "last_validation": lambda s: sa.func.max(s.c.last_at),
}


def select_algorithm_metrics(store: Store, filters: Filters, measures=tuple(MEASURES),
                             previous: Filters | None = None, source: str | None = None) -> pd.DataFrame:
    """One row per algorithm with validations in the view, with its 95% quality interval.

    With ``previous`` (the period just before ``filters``), both periods are
    aggregated in one statement and a ``period`` column says "current" or "previous".
    """
    if resolve_source(source) == "raw":
        per_algorithm = _raw_metrics(filters, measures, previous)
    else:
        per_algorithm = _rollup_metrics(filters, measures, previous)
    stmt = sa.select(
        per_algorithm,
        algorithms.c.name,
        algorithms.c.type,
        algorithms.c.domain_id,
        domains.c.name.label("domain"),
    ).select_from(
        per_algorithm.join(algorithms, algorithms.c.id == per_algorithm.c.algorithm_id)
        .join(domains, domains.c.id == algorithms.c.domain_id)
    )
    return add_quality_interval(store.read(stmt))


def _raw_metrics(filters: Filters, measures, previous: Filters | None) -> sa.Subquery:
    scanned = filters.replace(start=previous.start) if previous else filters
    keys = [v.c.algorithm_id]
    if previous:
        keys.append(sa.case((v.c.created_at >= filters.utc_bounds()[0], "current"), else_="previous").label("period"))
    return (
        sa.select(*keys, *[MEASURES[name]().label(name) for name in measures])
        .where(*validation_conditions(scanned))
        .group_by(*keys)
        .subquery()
    )


def _rollup_metrics(filters: Filters, measures, previous: Filters | None) -> sa.Subquery:
    needed = tuple(dict.fromkeys(column for name in measures for column in SUMS_NEEDED[name]))
    sums = algorithm_sums(filters, previous, needed)
    keys = [sums.c.algorithm_id] + ([sums.c.period] if previous else [])
    return (sa.select(*keys, *[SUM_MEASURES[name](sums).label(name) for name in measures])
            .group_by(*keys).subquery())


def algorithm_sums(filters: Filters, previous: Filters | None = None, columns=SUM_COLUMNS) -> sa.Subquery:
    """Rollup sums (``columns``) of the view's blocks, one row per block and algorithm (``period`` with ``previous``)."""
    scanned = filters.replace(start=previous.start) if previous else filters
    lower, upper = (to_us(bound) for bound in scanned.utc_bounds())
    split = to_us(filters.utc_bounds()[0]) if previous else None
    plan = plan_blocks(lower, upper, [split] if split is not None else [])
    keys = {"algorithm_id": lambda t, _seconds: t.c.algorithm_id}
    raw_keys = dict(keys)
    if previous:
        # No block straddles the split, so a block's start says its period.
        keys["period"] = lambda t, seconds: sa.case((t.c.bucket * seconds * 1_000_000 >= split, "current"),
                                                   else_="previous")
        raw_keys["period"] = lambda t, _s: sa.case((t.c.created_at >= filters.utc_bounds()[0], "current"),
                                                  else_="previous")
    return union(plan_parts(plan, "algorithm", scanned, keys, raw_keys, columns))


def add_quality_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``ci_low``/``ci_high``: Student-t 95% interval of the mean quality (NaN below 2 runs).

    The interval is clipped to the 0-100 scale: a mean quality cannot leave it.
    """
    # Plain numpy: the same steps through pandas cost about 3 times as much on every page view.
    frame = frame.copy()
    for column in ("validations", "tests", "successes"):
        if column in frame:
            frame[column] = frame[column].to_numpy(dtype="int64")
    n = frame["validations"].to_numpy(dtype="float64")
    mean = frame["mean_quality"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + CONFIDENCE_LEVEL / 2, n - 1)
        half_width = np.where(n >= 2, t * frame["std_quality"].to_numpy(dtype="float64") / np.sqrt(n), np.nan)
        frame["ci_low"] = np.maximum(mean - half_width, 0.0)
        frame["ci_high"] = np.minimum(mean + half_width, 100.0)
        if "successes" in frame:
            frame["success_rate"] = frame["successes"].to_numpy(dtype="float64") / n
    return frame
