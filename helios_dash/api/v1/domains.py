"""GET /api/v1/domains and /api/v1/domains/{domain}: the research domains and their statistics."""
from __future__ import annotations

from ...errors import NotFound
from ...services.catalog import domain_options
from ...services.domains import compare_domains
from ...services.leaderboard import rank_algorithms
from ..blueprint import api
from .answer import answer, pagination
from .plain import plain, records
from .query import read_list_query, read_view

STAT_FIELDS = ["algorithms", "validations", "mean_quality", "min_quality", "mean_speedup", "max_speedup",
               "success_rate"]
LEADERS = 5  # the top of the domain's leaderboard shown with its details
LEADER_FIELDS = ["rank", "rank_best", "rank_worst", "algorithm_id", "name", "type", "mean_quality", "ci_low",
                 "ci_high", "mean_speedup", "tests", "validations"]


@api.get("/domains", endpoint="domains")
def list_domains():
    """Every domain (or those named by ``domain``) by id, with its statistics in the view (null without validations)."""
    filters, page = read_list_query()
    catalog = sorted(domain_options(), key=lambda option: option["value"])  # by id: a stable order
    if filters.domains:
        catalog = [option for option in catalog if option["value"] in filters.domains]
    chosen = catalog[page.offset: page.offset + page.size]
    stats = stats_by_domain(filters)
    data = [{"id": option["value"], "name": option["label"], "stats": stats.get(option["value"])} for option in chosen]
    return answer(data, pagination(page, len(catalog)))


@api.get("/domains/<domain>", endpoint="domain")
def get_domain(domain: str):
    """One domain: its statistics in the view and the top of its leaderboard."""
    filters = read_view()
    name = {option["value"]: option["label"] for option in domain_options()}.get(domain)
    if name is None:
        raise NotFound(f"No domain {domain!r}.", [{"field": "domain", "message": "unknown domain"}])
    view = filters.replace(domains=(domain,), algorithms=(), sort=None)
    board = rank_algorithms(view)
    data = {"id": domain, "name": name, "stats": stats_by_domain(view).get(domain),
            "leaders": records(board.head(LEADERS), LEADER_FIELDS)}
    return answer(data)


def stats_by_domain(filters) -> dict[str, dict]:
    """The Domains page's statistics of the view, by domain id."""
    frame = compare_domains(filters.replace(sort=None))
    return {row["domain_id"]: {field: plain(row[field]) for field in STAT_FIELDS} for _, row in frame.iterrows()}
