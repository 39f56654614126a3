"""The catalog behind the pickers: domains and algorithms by name."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..schema import algorithms, domains
from ..store import Store


def select_domains(store: Store) -> pd.DataFrame:
    """Every domain's ``id`` and ``name``, by name."""
    return store.read(sa.select(domains.c.id, domains.c.name).order_by(domains.c.name))


def select_algorithm_names(store: Store) -> pd.DataFrame:
    """Every algorithm's ``id``, ``name`` and its ``domain``'s name, by algorithm name."""
    stmt = (sa.select(algorithms.c.id, algorithms.c.name, domains.c.name.label("domain"))
            .join(domains, domains.c.id == algorithms.c.domain_id).order_by(algorithms.c.name))
    return store.read(stmt)
