"""The algorithms of a view with their metrics: the API's and exports' algorithm list."""
from __future__ import annotations

import pandas as pd

from ..runtime import get_store
from ..filters import Filters
from ..queries import select_algorithm_metrics
from .cached import per_data_version

SORT_KEYS = {"quality": "mean_quality", "speedup": "mean_speedup", "tests": "tests",
             "validations": "validations", "name": "name", "confidence": "mean_confidence"}


@per_data_version
def describe_algorithms(filters: Filters, sort_by: str = "quality", descending: bool = True) -> pd.DataFrame:
    """Every algorithm validated in the view, with its metrics, sorted by ``sort_by`` (a SORT_KEYS key)."""
    return sort_by_metric(select_algorithm_metrics(get_store(), filters), sort_by, descending)


def sort_by_metric(frame: pd.DataFrame, sort_by: str, descending: bool = True) -> pd.DataFrame:
    """Algorithms sorted by the ``sort_by`` export option (a SORT_KEYS key), ties by id."""
    return frame.sort_values([SORT_KEYS[sort_by], "algorithm_id"], ascending=[not descending, True],
                             ignore_index=True, kind="stable")
