"""The leaderboard view: ranked algorithms in the order the viewer sorted them, and its summary."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.metrics import MEAN_QUALITY
from ..errors import BadRequest
from ..runtime import get_store
from ..filters import Filters
from ..queries import select_leaderboard
from .cached import TTL_LEADERBOARD, per_data_version

# Columns a leaderboard may be sorted by, in the ``sort`` parameter: ``column:asc|desc``,
# comma-separated for several keys (``mean_speedup:desc,tests:desc``).
SORTABLE = ("rank", "rank_best", "rank_worst", "tier", "tied", "rank_change", "name", "domain", "type",
            "mean_quality", "ci_low", "mean_speedup", "tests", "validations", "success_rate")
DIRECTIONS = {"asc": True, "desc": False}
DEFAULT_SORT = [("rank", True)]


@per_data_version(ttl=TTL_LEADERBOARD)
def rank_algorithms(filters: Filters) -> pd.DataFrame:
    """The view's leaderboard (see ``select_leaderboard``) in ``filters.sort`` order, rank by default."""
    board = add_rank_ranges(select_leaderboard(get_store(), filters))
    return sort_board(board, parse_sort(filters.sort))


def add_rank_ranges(board: pd.DataFrame) -> pd.DataFrame:
    """``board`` with ``rank_best``, ``rank_worst`` (see ``rank_ranges``) and ``tier`` (see ``rank_tiers``)."""
    best, worst = rank_ranges(board["ci_low"], board["ci_high"])
    ranged = board.copy()
    at = ranged.columns.get_loc("rank") + 1
    ranged.insert(at, "rank_best", pd.Series(best, index=board.index, dtype="int64"))
    ranged.insert(at + 1, "rank_worst", pd.Series(worst, index=board.index, dtype="int64"))
    ranged.insert(at + 2, "tier", rank_tiers(board))
    return ranged


def rank_ranges(ci_low, ci_high) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank each algorithm could hold given the 95% quality intervals (Chatbot Arena's rule).

    Interval B lies *entirely above* interval A when ``B.ci_low > A.ci_high`` and
    *entirely below* it when ``B.ci_high < A.ci_low``: strict inequalities, so
    intervals that merely touch at an end overlap (neither is ahead of the other).

    - best  = 1 + the number of algorithms whose interval lies entirely above;
    - worst = the number of algorithms whose interval does not lie entirely below
      (the algorithm itself included, as no interval lies below itself).

    A missing interval (a single validation) is unknown, so it is taken as
    unbounded: such an algorithm may rank anywhere (1 to n) and is never
    entirely above or below another. Because every mean lies inside its own
    interval, ``rank_best <= rank <= rank_worst`` for the board's ``rank``
    (mean quality first, whatever breaks the ties). O(n log n): two sorts and
    two binary searches.
    """
    low, high = _bounds(ci_low, ci_high)
    n = len(low)
    above = n - np.searchsorted(np.sort(low), high, side="right")  # how many lows exceed this high
    below = np.searchsorted(np.sort(high), low, side="left")  # how many highs fall short of this low
    return (1 + above).astype("int64"), (n - below).astype("int64")


def rank_tiers(board: pd.DataFrame) -> pd.Series:
    """Tier 1, 2, ... of each row: a tie cue that only breaks where the order is certain.

    Walking down the ranks, a new tier starts below rank k when every interval
    ranked k or better lies entirely above (``ci_low >`` the other's ``ci_high``)
    every interval ranked below k. Within a tier the order is not settled; across
    tiers it is, so the rank ranges of two tiers never overlap. Missing intervals
    are unbounded, as in ``rank_ranges``.
    """
    ordered = board.sort_values("rank")
    low, high = _bounds(ordered["ci_low"], ordered["ci_high"])
    lowest_so_far = np.minimum.accumulate(low)  # the lowest low at this rank or better
    highest_after = np.maximum.accumulate(high[::-1])[::-1]  # the highest high at this rank or worse
    breaks = lowest_so_far[:-1] > highest_after[1:]  # a break between position i and i + 1
    tiers = np.concatenate([[1], 1 + np.cumsum(breaks)]) if len(ordered) else np.array([], dtype="int64")
    return pd.Series(tiers, index=ordered.index, dtype="int64").reindex(board.index)


def _bounds(ci_low, ci_high) -> tuple[np.ndarray, np.ndarray]:
    """The intervals as float arrays, a missing interval (one validation) unbounded both ways."""
    low, high = (pd.to_numeric(pd.Series(bound)).to_numpy(dtype="float64", na_value=np.nan)
                 for bound in (ci_low, ci_high))
    return np.where(np.isnan(low), -np.inf, low), np.where(np.isnan(high), np.inf, high)


def parse_sort(text: str | None) -> list[tuple[str, bool]]:
    """``"mean_speedup:desc,tests:asc"`` -> ``[("mean_speedup", False), ("tests", True)]``.

    Raises ``BadRequest`` naming the first key that is not ``column:asc|desc``.
    """
    keys = []
    for part in (text or "").split(","):
        if not part:
            continue
        column, _, direction = part.partition(":")
        if column not in SORTABLE or direction not in DIRECTIONS:
            raise BadRequest(f"Cannot sort by {part!r}: use column:asc or column:desc with a column among "
                             f"{', '.join(SORTABLE)}.", [{"field": "sort", "message": part}])
        keys.append((column, DIRECTIONS[direction]))
    return keys or DEFAULT_SORT


def format_sort(keys: list[tuple[str, bool]]) -> str | None:
    """The inverse of ``parse_sort``; the default order (by rank) is ``None`` to keep links short."""
    if not keys or keys == DEFAULT_SORT:
        return None
    return ",".join(f"{column}:{'asc' if ascending else 'desc'}" for column, ascending in keys)


def sort_board(board: pd.DataFrame, keys: list[tuple[str, bool]]) -> pd.DataFrame:
    """``board`` sorted by ``keys``, rank breaking the remaining ties; missing values last."""
    columns = [c for c, _ in keys] + ["rank"]
    ascending = [a for _, a in keys] + [True]
    return board.sort_values(columns, ascending=ascending, na_position="last", kind="stable",
                             ignore_index=True)


def search_board(board: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """The rows whose name, domain or type contains every word of ``text`` (any case).

    The grid's quick search does the same on screen, so a download of a searched
    board holds the rows the user sees.
    """
    words = (text or "").casefold().split()
    if not words:
        return board
    haystack = (board["name"] + " " + board["domain"] + " " + board["type"]).str.casefold()
    keep = pd.Series(True, index=board.index)
    for word in words:
        keep &= haystack.str.contains(word, regex=False)
    return board[keep].reset_index(drop=True)


def summarize_leaderboard(board: pd.DataFrame) -> str:
    """One sentence on who leads the board and whether the lead is statistically clear."""
    if board.empty:
        return "No validations match these filters."
    ranked = board.sort_values("rank")
    leader, scope = ranked.iloc[0], _scope(ranked)
    if len(ranked) == 1:
        return f"{leader['name']} is the only algorithm in {scope}, at {_quality(leader)}."
    second = ranked.iloc[1]
    verdict = "not significantly ahead of" if second["tied"] else "significantly ahead of"
    return (f"{leader['name']} leads {scope} at {_quality(leader)}; "
            f"{verdict} #2 {second['name']} ({_quality(second)}).")


def _scope(board: pd.DataFrame) -> str:
    domains = board["domain"].unique()
    if len(domains) == 1:
        return domains[0]
    return f"{len(board)} algorithms across {len(domains)} domains"


def _quality(row: pd.Series) -> str:
    mean = MEAN_QUALITY.show(row["mean_quality"])
    if pd.isna(row["ci_high"]):  # a single validation has no interval
        return f"{mean} (one validation, no interval)"
    return f"{mean} ± {MEAN_QUALITY.show((row['ci_high'] - row['ci_low']) / 2)}"
