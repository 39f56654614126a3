"""The leaderboard: algorithms ranked by mean quality, with intervals and rank change."""
from __future__ import annotations

import pandas as pd

from ..filters import Filters
from ..store import Store
from .algorithms import RANKING_MEASURES, select_algorithm_metrics

RANK_ORDER = [("mean_quality", False), ("mean_speedup", False), ("tests", False), ("algorithm_id", True)]
LEADERBOARD_COLUMNS = [
    "rank", "algorithm_id", "name", "domain_id", "domain", "type", "mean_quality", "ci_low", "ci_high",
    "mean_speedup", "tests", "validations", "success_rate", "previous_rank", "rank_change", "tied",
]


def select_leaderboard(store: Store, filters: Filters) -> pd.DataFrame:
    """Rank the view's algorithms by quality, then speedup, then tests.

    For a view with a closed date range, ``previous_rank`` is the rank in the
    period of equal length just before it and ``rank_change`` how many places
    the algorithm rose (negative: fell); both are missing for an open range or
    an algorithm absent before. ``tied`` marks an algorithm whose quality
    interval overlaps the one ranked just above it (or that has no interval).
    A leaderboard for one domain is the same call with ``filters.domains`` set.
    """
    previous = filters.previous_period()
    metrics = select_algorithm_metrics(store, filters, RANKING_MEASURES, previous)
    if previous:
        before = metrics[metrics["period"] == "previous"]
        metrics = metrics[metrics["period"] == "current"]
        previous_ranks = rank(before).set_index("algorithm_id")["rank"]
    else:
        previous_ranks = pd.Series(dtype="int64")
    board = rank(metrics)
    board["previous_rank"] = board["algorithm_id"].map(previous_ranks).astype("Int64")
    board["rank_change"] = board["previous_rank"] - board["rank"]
    board["tied"] = mark_ties(board)
    return board[LEADERBOARD_COLUMNS]


def rank(metrics: pd.DataFrame) -> pd.DataFrame:
    """Sort by the ranking keys and number the rows from 1."""
    columns, ascending = zip(*RANK_ORDER)
    ranked = metrics.sort_values(list(columns), ascending=list(ascending), ignore_index=True)
    ranked.insert(0, "rank", pd.Series(range(1, len(ranked) + 1), dtype="int64"))
    return ranked


def mark_ties(board: pd.DataFrame) -> pd.Series:
    """True where the interval reaches the interval of the row ranked just above."""
    above_low = board["ci_low"].shift(1)
    overlaps = board["ci_high"] >= above_low
    unknown = board["ci_high"].isna() | above_low.isna()
    has_above = pd.Series(board.index > 0, index=board.index)
    return (overlaps | unknown) & has_above
