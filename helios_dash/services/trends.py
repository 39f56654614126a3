"""The Trends page's numbers: quality, speedup and counts per calendar period."""
from __future__ import annotations

import pandas as pd

from ..runtime import get_store
from ..filters import Filters
from ..queries import select_performance_trends
from .cached import per_data_version
from .catalog import domain_options

UNSPLIT_LABEL = "All validations"


@per_data_version
def track_performance(filters: Filters, rolling: int | None = None, split: str | None = None) -> pd.DataFrame:
    """The view's trends (see ``select_performance_trends``) with a readable ``series`` label per row."""
    trends = select_performance_trends(get_store(), filters, rolling=rolling, split_by=split)
    trends["series"] = _series_labels(trends, split)
    return trends


def _series_labels(trends: pd.DataFrame, split: str | None) -> pd.Series:
    if split == "domain":
        names = {option["value"]: option["label"] for option in domain_options()}
        return trends["split"].map(names).fillna(trends["split"])
    if split == "type":
        return trends["split"].astype(str).str.capitalize()
    return pd.Series(UNSPLIT_LABEL, index=trends.index, dtype=object)
