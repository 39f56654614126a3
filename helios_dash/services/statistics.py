"""Domain statistics for pages, API and exports."""
from __future__ import annotations

import pandas as pd

from ..extensions import get_store
from ..filters import Filters
from ..queries import select_domain_stats


def summarize_domains(filters: Filters) -> pd.DataFrame:
    """Per-domain statistics of the view."""
    return select_domain_stats(get_store(), filters)
