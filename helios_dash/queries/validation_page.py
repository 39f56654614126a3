"""One page of a view's validations, newest first, and how many there are: the API's validation list."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..filters import Filters
from ..schema import validations as v
from ..store import Store
from ._conditions import validation_conditions
from .validations import select_records

VALIDATION_PAGE_COLUMNS = ["id", "created_at", "algorithm_id", "algorithm", "domain_id", "domain", "quality",
                           "confidence", "speedup", "tests", "validator", "hypothesis_id"]


def select_validation_page(store: Store, filters: Filters, offset: int, limit: int) -> pd.DataFrame:
    """The view's validations ``offset`` to ``offset + limit``, newest first (ids break ties: a stable order)."""
    stmt = select_records(filters).order_by(v.c.created_at.desc(), v.c.id.desc()).offset(offset).limit(limit)
    return store.read(stmt)[VALIDATION_PAGE_COLUMNS]


def count_validations(store: Store, filters: Filters) -> int:
    """How many validations the view covers."""
    return int(store.scalar(sa.select(sa.func.count()).select_from(v).where(*validation_conditions(filters))))
