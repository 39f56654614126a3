"""The leaderboard view: ranked algorithms in the order the viewer sorted them, and its summary."""
from __future__ import annotations

import pandas as pd

from ..errors import BadRequest
from ..extensions import get_store
from ..filters import Filters
from ..queries import select_leaderboard
from .cached import per_data_version

# Columns a leaderboard may be sorted by, in the ``sort`` parameter: ``column:asc|desc``,
# comma-separated for several keys (``mean_speedup:desc,tests:desc``).
SORTABLE = ("rank", "tied", "rank_change", "name", "domain", "type", "mean_quality", "ci_low",
            "mean_speedup", "tests", "validations", "success_rate")
DIRECTIONS = {"asc": True, "desc": False}
DEFAULT_SORT = [("rank", True)]


@per_data_version
def rank_algorithms(filters: Filters) -> pd.DataFrame:
    """The view's leaderboard (see ``select_leaderboard``) in ``filters.sort`` order, rank by default."""
    board = select_leaderboard(get_store(), filters)
    return sort_board(board, parse_sort(filters.sort))


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
    if pd.isna(row["ci_high"]):  # a single validation has no interval
        return f"{row['mean_quality']:.1f} (one validation, no interval)"
    return f"{row['mean_quality']:.1f} ± {(row['ci_high'] - row['ci_low']) / 2:.1f}"
