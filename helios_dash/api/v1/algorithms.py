"""GET /api/v1/algorithms and /api/v1/algorithms/{id}: what the algorithm list and the algorithm page show."""
from __future__ import annotations

from ...access.current import current_principal
from ...domain.principal import SENSITIVE_FIELDS
from ...errors import BadRequest, NotFound
from ...queries.algorithms import CONFIDENCE_LEVEL
from ...services.algorithm import profile_algorithm
from ...services.algorithms import SORT_KEYS, describe_algorithms
from ..blueprint import api
from .answer import answer, pagination
from .domains import stats_by_domain
from .plain import plain, records
from .query import read_list_query, read_view

LIST_FIELDS = ["algorithm_id", "name", "domain_id", "domain", "type", "validations", "mean_quality", "ci_low",
               "ci_high", "std_quality", "mean_confidence", "mean_speedup", "max_speedup", "tests", "successes",
               "success_rate", "first_validation", "last_validation", *SENSITIVE_FIELDS]
DEFAULT_ORDER = ("name", False)  # by name, ids breaking ties: a stable order
TREND_PERIODS = 12  # the recent trend: the algorithm's last periods of the view's granularity
LATEST = 10


@api.get("/algorithms", endpoint="algorithms")
def list_algorithms():
    """Algorithms validated in the view with their metrics; ``sort=<quality|speedup|...>:<asc|desc>``."""
    filters, page = read_list_query()
    sort_by, descending = algorithm_order(filters.sort)
    frame = describe_algorithms(filters.replace(sort=None), sort_by, descending, current_principal())
    rows = frame.iloc[page.offset: page.offset + page.size]
    return answer(records(rows, LIST_FIELDS), pagination(page, len(frame)))


@api.get("/algorithms/<algorithm_id>", endpoint="algorithm")
def get_algorithm(algorithm_id: str):
    """One algorithm as its page shows it: metrics, 95% interval, rank and rank range, recent trend, domain stats."""
    filters = read_view()
    profile = profile_algorithm(algorithm_id, filters, current_principal())
    if profile is None:
        raise NotFound(f"No algorithm {algorithm_id!r}.", [{"field": "id", "message": "unknown algorithm"}])
    about = profile.about
    domain_view = filters.replace(domains=(about["domain_id"],), types=(), algorithms=(), sort=None)
    data = {**plain(about),
            "interval_level": CONFIDENCE_LEVEL,
            "standing": None if profile.standing is None else plain(profile.standing),
            "peers": profile.peers,
            # Periods start at local midnight of the view's timezone: shown with its offset.
            "trend": records(profile.history.tail(TREND_PERIODS), tz=filters.tz),
            "latest_validations": records(profile.latest.head(LATEST), tz=filters.tz),
            "domain_stats": stats_by_domain(domain_view).get(about["domain_id"])}
    return answer(data)


def algorithm_order(sort: str | None) -> tuple[str, bool]:
    """``quality:desc`` -> ("quality", True); the default is by name. ``BadRequest`` naming ``sort`` otherwise."""
    if not sort:
        return DEFAULT_ORDER
    key, _, direction = sort.partition(":")
    direction = direction or "desc"
    if key not in SORT_KEYS or direction not in ("asc", "desc"):
        raise BadRequest(f"Cannot sort algorithms by {sort!r}: use <key>:asc or <key>:desc with a key among "
                         f"{', '.join(SORT_KEYS)}.", [{"field": "sort", "message": sort}])
    return key, direction == "desc"
