"""A view's validations one page at a time, with their total: the API's validation list."""
from __future__ import annotations

import pandas as pd

from ..filters import Filters
from ..queries.validation_page import count_validations, select_validation_page
from ..runtime import get_store
from .cached import per_data_version


@per_data_version
def page_validations(filters: Filters, offset: int, limit: int) -> tuple[pd.DataFrame, int]:
    """Validations ``offset`` to ``offset + limit`` of the view, newest first, and how many the view holds."""
    total = count_validations_of(filters)
    if offset >= total:  # beyond the last page: no need to ask the store
        return select_validation_page(get_store(), filters, 0, 0), total
    return select_validation_page(get_store(), filters, offset, limit), total


@per_data_version
def count_validations_of(filters: Filters) -> int:
    """How many validations the view holds (one count per view and data version, whatever the page)."""
    return count_validations(get_store(), filters)
