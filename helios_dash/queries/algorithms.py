"""Per-algorithm metrics: the aggregate behind the leaderboard and the comparison."""
from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats

from ..filters import Filters
from ..schema import algorithms, domains, validations as v
from ..store import Store
from ._conditions import success_count, validation_conditions

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


def select_algorithm_metrics(store: Store, filters: Filters, measures=tuple(MEASURES),
                             previous: Filters | None = None) -> pd.DataFrame:
    """One row per algorithm with validations in the view, with its 95% quality interval.

    With ``previous`` (the period just before ``filters``), both periods are
    aggregated in one scan and a ``period`` column says "current" or "previous".
    """
    scanned = filters.replace(start=previous.start) if previous else filters
    keys = [v.c.algorithm_id]
    if previous:
        keys.append(sa.case((v.c.created_at >= filters.utc_bounds()[0], "current"), else_="previous").label("period"))
    per_algorithm = (
        sa.select(*keys, *[MEASURES[name]().label(name) for name in measures])
        .where(*validation_conditions(scanned))
        .group_by(*keys)
        .subquery()
    )
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


def add_quality_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``ci_low``/``ci_high``: Student-t 95% interval of the mean quality (NaN below 2 runs).

    The interval is clipped to the 0-100 scale: a mean quality cannot leave it.
    """
    n = frame["validations"].astype("float64")
    counts = [c for c in ("validations", "tests", "successes") if c in frame]
    frame = frame.astype(dict.fromkeys(counts, "int64"))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + CONFIDENCE_LEVEL / 2, n - 1)
        half_width = t * frame["std_quality"].astype("float64") / np.sqrt(n)
    half_width = half_width.where(n >= 2)
    frame["ci_low"] = (frame["mean_quality"] - half_width).clip(lower=0)
    frame["ci_high"] = (frame["mean_quality"] + half_width).clip(upper=100)
    if "successes" in frame:
        frame["success_rate"] = frame["successes"] / frame["validations"]
    return frame
