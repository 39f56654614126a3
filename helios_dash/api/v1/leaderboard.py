"""GET /api/v1/leaderboard and /api/v1/leaderboard/{domain}: algorithms ranked as the Leaderboard page ranks them."""
from __future__ import annotations

from ...errors import NotFound
from ...services.catalog import domain_options
from ...services.leaderboard import rank_algorithms
from ..blueprint import api
from .answer import answer, pagination
from .plain import records
from .query import read_list_query

BOARD_FIELDS = ["rank", "rank_best", "rank_worst", "tier", "tied", "algorithm_id", "name", "domain_id", "domain",
                "type", "mean_quality", "ci_low", "ci_high", "mean_speedup", "tests", "validations", "success_rate",
                "previous_rank", "rank_change"]


@api.get("/leaderboard", endpoint="leaderboard")
def get_leaderboard():
    """The view's leaderboard in ``sort`` order (rank by default, ties broken by rank: a stable order)."""
    filters, page = read_list_query()
    return board_answer(filters, page)


@api.get("/leaderboard/<domain>", endpoint="domain_leaderboard")
def get_domain_leaderboard(domain: str):
    """One domain's leaderboard; the path's domain replaces any ``domain`` parameter."""
    filters, page = read_list_query()
    if domain not in {option["value"] for option in domain_options()}:
        raise NotFound(f"No domain {domain!r}.", [{"field": "domain", "message": "unknown domain"}])
    return board_answer(filters.replace(domains=(domain,)), page)


def board_answer(filters, page):
    board = rank_algorithms(filters)  # a bad ``sort`` is a BadRequest naming the field
    rows = board.iloc[page.offset: page.offset + page.size]
    return answer(records(rows, BOARD_FIELDS), pagination(page, len(board)))
