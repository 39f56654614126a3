"""One algorithm's page: its standing in its domain, its trend, its rank over time, its latest validations.

The page, its export and any API twin call ``profile_algorithm``. The domain is the
algorithm's own and its type is its own, so the view's ``domain`` and ``type`` do not
apply here (as on Compare); its dates, granularity and timezone do. Its author and internal
notes are in ``about`` only for a principal who sees them (``services.redaction``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..domain.principal import Principal
from ..runtime import get_store
from ..filters import Filters
from ..queries.algorithm import select_algorithm, select_algorithm_slot_sums, select_latest_validations
from ..queries.algorithms import add_quality_interval
from ..queries._buckets import local_period_start
from ..queries.leaderboard import RANK_ORDER
from .cached import TTL_ALGORITHM, per_data_version
from .leaderboard import rank_algorithms
from .redaction import NOBODY, redact

LATEST_ROWS = 20
SUMS = ["validations", "sum_quality", "sum_square_quality", "sum_speedup", "tests", "successes"]
HISTORY_COLUMNS = ["period_start", "validations", "mean_quality", "ci_low", "ci_high", "mean_speedup",
                   "success_rate", "rank", "rank_best", "rank_worst", "peers", "domain_mean_quality"]


@dataclass(frozen=True)
class AlgorithmProfile:
    """Everything the algorithm page shows."""

    about: dict  # id, name, type, domain_id, domain, description (+ author_email, internal_notes if seen)
    standing: dict | None  # its leaderboard row in its domain (rank, rank_best, ...); None without validations
    peers: int  # algorithms of its domain with validations in the period
    history: pd.DataFrame  # one row per period (HISTORY_COLUMNS), periods without its validations left out
    latest: pd.DataFrame  # its latest validations, newest first


def profile_algorithm(algorithm_id: str, filters: Filters, principal: Principal = NOBODY) -> AlgorithmProfile | None:
    """The page of ``algorithm_id`` for the view's period as ``principal`` may see it; None if no such algorithm."""
    about = find_algorithm(algorithm_id, principal)
    if about is None:
        return None
    standing, peers = rank_in_domain(about, filters)
    history = track_rank(about["id"], about["domain_id"], filters)
    return AlgorithmProfile(about, standing, peers, history, latest_validations(about["id"], filters))


def find_algorithm(algorithm_id: str, principal: Principal = NOBODY) -> dict | None:
    """The algorithm's catalog entry as ``principal`` may see it, or None if the id is unknown."""
    found = read_algorithm(algorithm_id)
    # Redacted after the cache: the cached entry is whole, and each caller gets its own view of it.
    return None if found is None else redact(found, principal)


@per_data_version(ttl=TTL_ALGORITHM)
def read_algorithm(algorithm_id: str) -> dict | None:
    """The whole catalog entry, sensitive fields included (callers redact: ``find_algorithm``)."""
    found = select_algorithm(get_store(), algorithm_id)
    if found.empty:
        return None
    return {key: (None if pd.isna(value) else value) for key, value in found.iloc[0].items()}


def domain_view(domain_id: str, filters: Filters) -> Filters:
    """The view an algorithm is ranked in: its domain, every type, the view's dates, granularity and zone."""
    return filters.replace(domains=(domain_id,), types=(), algorithms=(), sort=None)


def rank_in_domain(about: dict, filters: Filters) -> tuple[dict | None, int]:
    """The algorithm's row of its domain's leaderboard (None if it has no validations then), and the board's size."""
    board = rank_algorithms(domain_view(about["domain_id"], filters))
    mine = board[board["algorithm_id"] == about["id"]]
    if mine.empty:
        return None, len(board)
    row = mine.iloc[0]
    return {key: (None if pd.isna(value) else value) for key, value in row.items()}, len(board)


@per_data_version(ttl=TTL_ALGORITHM)
def track_rank(algorithm_id: str, domain_id: str, filters: Filters) -> pd.DataFrame:
    """Per period of ``filters.granularity`` (local to ``filters.tz``): the algorithm's means, interval and rank.

    Each period ranks its domain's algorithms as the leaderboard does (mean quality,
    then speedup, then tests), with the rank range of the leaderboard; ``peers`` is how
    many were ranked, ``domain_mean_quality`` the mean over all of their validations.
    """
    slots = select_algorithm_slot_sums(get_store(), domain_view(domain_id, filters))
    if slots.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    slots["period_start"] = local_period_start(slots["slot_start"], filters.tz, filters.granularity)
    sums = slots.groupby(["period_start", "algorithm_id"], as_index=False)[SUMS].sum()
    return rank_periods(sums, algorithm_id)


def rank_periods(sums: pd.DataFrame, algorithm_id: str) -> pd.DataFrame:
    """Every period's board at once (one row per period and algorithm), reduced to the algorithm's rows.

    Vectorized across periods: a loop of one small board per period cost about 75 ms
    each (pandas overhead), 4 s for a year of weeks.
    """
    n = sums["validations"].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (sums["sum_square_quality"] - sums["sum_quality"] ** 2 / n) / (n - 1)
    board = add_quality_interval(sums.assign(
        mean_quality=sums["sum_quality"] / n, mean_speedup=sums["sum_speedup"] / n,
        std_quality=np.sqrt(variance.clip(lower=0)).where(n >= 2)))
    columns, ascending = zip(*RANK_ORDER)
    board = board.sort_values(["period_start", *columns], ascending=[True, *ascending], ignore_index=True)
    period = board.groupby("period_start", sort=False)
    board["rank"] = period.cumcount() + 1
    board["peers"] = period["algorithm_id"].transform("size")
    board["domain_mean_quality"] = period["sum_quality"].transform("sum") / period["validations"].transform("sum")
    mine = board[board["algorithm_id"] == algorithm_id]
    if mine.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    # Rank range as services.leaderboard.rank_ranges, within each period: a missing interval is unbounded.
    low, high = board["ci_low"].fillna(-np.inf), board["ci_high"].fillna(np.inf)
    own = mine.set_index("period_start")
    own_low = board["period_start"].map(own["ci_low"].fillna(-np.inf))
    own_high = board["period_start"].map(own["ci_high"].fillna(np.inf))
    above = (low > own_high).groupby(board["period_start"]).sum()  # NaN (period without it) compares False
    not_below = (~(high < own_low) & own_low.notna()).groupby(board["period_start"]).sum()
    mine = mine.assign(rank_best=1 + mine["period_start"].map(above).astype("int64"),
                       rank_worst=mine["period_start"].map(not_below).astype("int64"))
    return mine[HISTORY_COLUMNS].reset_index(drop=True)


@per_data_version
def latest_validations(algorithm_id: str, filters: Filters, limit: int = LATEST_ROWS) -> pd.DataFrame:
    """The algorithm's ``limit`` most recent validations in the view's period, newest first."""
    return select_latest_validations(get_store(), filters.replace(domains=(), types=(), algorithms=(algorithm_id,),
                                                                 sort=None), limit)
