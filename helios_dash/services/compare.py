"""The comparison view: 2 to 8 chosen algorithms side by side, their differences and trends."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from ..runtime import get_store
from ..filters import Filters
from ..queries import pairwise_differences, select_algorithm_comparison, select_performance_trends
from .cached import per_data_version

TREND_COLUMNS = ["algorithm_id", "name", "period_start", "validations", "mean_quality"]


class Comparison(NamedTuple):
    """Metrics of the chosen algorithms (one row each, in the chosen order) and every pair's differences."""

    metrics: pd.DataFrame
    differences: pd.DataFrame


@per_data_version
def compare_algorithms(filters: Filters) -> Comparison:
    """Compare ``filters.algorithms``; raises ``BadRequest`` (not 2-8 ids) or ``NotFound`` (unknown id)."""
    metrics = select_algorithm_comparison(get_store(), filters)
    return Comparison(metrics, pairwise_differences(metrics))


@per_data_version
def compare_trends(filters: Filters) -> pd.DataFrame:
    """Mean quality per ``filters.granularity`` period, one series per chosen algorithm.

    ``algorithm_id`` is categorical with the chosen order as its categories, so an
    algorithm without validations in the range still keeps its place (and colour).
    """
    names = compare_algorithms(filters).metrics.set_index("algorithm_id")["name"]
    store = get_store()
    parts = [select_performance_trends(store, filters.replace(algorithms=(algorithm,)))
             .assign(algorithm_id=algorithm, name=name) for algorithm, name in names.items()]
    parts = [part for part in parts if not part.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TREND_COLUMNS)
    frame["algorithm_id"] = pd.Categorical(frame["algorithm_id"], categories=list(names.index))
    return frame[TREND_COLUMNS]
