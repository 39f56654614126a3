"""The Domains page's numbers: statistics per research domain."""
from __future__ import annotations

import pandas as pd

from ..runtime import get_store
from ..filters import Filters
from ..queries import select_domain_stats
from .cached import per_data_version


@per_data_version
def compare_domains(filters: Filters) -> pd.DataFrame:
    """One row per domain with validations in the view, best mean quality first."""
    return select_domain_stats(get_store(), filters)
