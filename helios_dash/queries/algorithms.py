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


def select_algorithm_metrics(store: Store, filters: Filters) -> pd.DataFrame:
    """One row per algorithm with validations in the view, with its 95% quality interval."""
    per_algorithm = (
        sa.select(
            v.c.algorithm_id,
            sa.func.count().label("validations"),
            sa.func.avg(v.c.quality).label("mean_quality"),
            sa.func.stddev_samp(v.c.quality).label("std_quality"),
            sa.func.avg(v.c.confidence).label("mean_confidence"),
            sa.func.avg(v.c.speedup).label("mean_speedup"),
            sa.func.max(v.c.speedup).label("max_speedup"),
            sa.func.sum(v.c.tests).label("tests"),
            success_count().label("successes"),
            sa.func.min(v.c.created_at).label("first_validation"),
            sa.func.max(v.c.created_at).label("last_validation"),
        )
        .where(*validation_conditions(filters))
        .group_by(v.c.algorithm_id)
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
    """Add ``ci_low``/``ci_high``: Student-t 95% interval of the mean quality (NaN below 2 runs)."""
    n = frame["validations"].astype("float64")
    frame = frame.astype({"validations": "int64", "tests": "int64", "successes": "int64"})
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + CONFIDENCE_LEVEL / 2, n - 1)
        half_width = t * frame["std_quality"].astype("float64") / np.sqrt(n)
    half_width = half_width.where(n >= 2)
    frame["ci_low"] = frame["mean_quality"] - half_width
    frame["ci_high"] = frame["mean_quality"] + half_width
    frame["success_rate"] = frame["successes"] / frame["validations"]
    return frame
