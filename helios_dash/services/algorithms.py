"""The algorithms of a view with their metrics: the API's and exports' algorithm list."""
from __future__ import annotations

import pandas as pd

from ..domain.principal import Principal
from ..runtime import get_store
from ..filters import Filters
from ..queries import select_algorithm_metrics
from ..queries.algorithm import select_algorithm_details
from .cached import per_data_version
from .redaction import NOBODY, redact

SORT_KEYS = {"quality": "mean_quality", "speedup": "mean_speedup", "tests": "tests",
             "validations": "validations", "name": "name", "confidence": "mean_confidence"}


def describe_algorithms(filters: Filters, sort_by: str = "quality", descending: bool = True,
                        principal: Principal = NOBODY) -> pd.DataFrame:
    """Every algorithm validated in the view, with its metrics, sorted by ``sort_by`` (a SORT_KEYS key);
    with its author and internal notes if ``principal`` sees them."""
    # Redacted after the cache: one cached frame per view, never one principal's view served to another.
    return redact(list_algorithms(filters, sort_by, descending), principal)


@per_data_version
def list_algorithms(filters: Filters, sort_by: str = "quality", descending: bool = True) -> pd.DataFrame:
    """``describe_algorithms`` unredacted: sensitive fields included (callers redact)."""
    frame = select_algorithm_metrics(get_store(), filters)
    frame = frame.merge(select_algorithm_details(get_store()), on="algorithm_id", how="left", validate="many_to_one")
    return sort_by_metric(frame, sort_by, descending)


def sort_by_metric(frame: pd.DataFrame, sort_by: str, descending: bool = True) -> pd.DataFrame:
    """Algorithms sorted by the ``sort_by`` export option (a SORT_KEYS key), ties by id."""
    return frame.sort_values([SORT_KEYS[sort_by], "algorithm_id"], ascending=[not descending, True],
                             ignore_index=True, kind="stable")
