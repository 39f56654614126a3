"""The validation records of a view, one by one: the raw export."""
from __future__ import annotations

from typing import Iterator

import pandas as pd
import sqlalchemy as sa

from ..domain.records import RECORD_COLUMNS  # noqa: F401 (re-exported by queries)
from ..filters import Filters
from ..schema import algorithms, domains, validations as v
from ..store import Store
from ._conditions import validation_conditions


def select_validation_records(store: Store, filters: Filters, batch_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """The view's validations in time order, ``batch_rows`` at a time, with algorithm and domain names."""
    return store.read_batches(select_records(filters).order_by(v.c.created_at, v.c.id), batch_rows)


def select_records(filters: Filters) -> sa.Select:
    """The view's validations with their algorithm and domain names (the record columns), unordered."""
    return (
        sa.select(v.c.id, v.c.created_at, v.c.algorithm_id, algorithms.c.name.label("algorithm"), v.c.domain_id,
                  domains.c.name.label("domain"), v.c.quality, v.c.confidence, v.c.speedup, v.c.tests,
                  v.c.validator, v.c.hypothesis_id)
        .join(algorithms, algorithms.c.id == v.c.algorithm_id)
        .join(domains, domains.c.id == v.c.domain_id)
        .where(*validation_conditions(filters))
    )
