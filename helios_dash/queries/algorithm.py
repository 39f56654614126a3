"""One algorithm's page: who it is, its domain's sums per quarter hour, its latest validations."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..data.rollups import squared_quality
from ..filters import Filters
from ..schema import algorithms, domains, validations as v
from ..store import Store
from ._buckets import SLOT_SECONDS, select_block_sums
from ._rollups import resolve_source
from ._conditions import success_count, validation_conditions

ALGORITHM_SLOT_MEASURES = ("validations", "sum_quality", "sum_square_quality", "sum_speedup", "tests", "successes")
LATEST_COLUMNS = ["id", "created_at", "quality", "confidence", "speedup", "tests", "validator", "hypothesis_id"]


def select_algorithm(store: Store, algorithm_id: str) -> pd.DataFrame:
    """The algorithm's catalog row (id, name, type, domain_id, domain, description, author_email,
    internal_notes): one row, or none if unknown. Services redact the last two (services.redaction)."""
    stmt = (sa.select(algorithms.c.id, algorithms.c.name, algorithms.c.type, algorithms.c.domain_id,
                      domains.c.name.label("domain"), algorithms.c.description,
                      algorithms.c.author_email, algorithms.c.internal_notes)
            .join(domains, domains.c.id == algorithms.c.domain_id)
            .where(algorithms.c.id == algorithm_id))
    return store.read(stmt)


def select_algorithm_details(store: Store) -> pd.DataFrame:
    """Every algorithm's author and internal notes (``algorithm_id``, ``author_email``, ``internal_notes``):
    sensitive, so services join them only to redact them (services.redaction)."""
    return store.read(sa.select(algorithms.c.id.label("algorithm_id"), algorithms.c.author_email,
                                algorithms.c.internal_notes).order_by(algorithms.c.id))


def select_algorithm_slot_sums(store: Store, filters: Filters, source: str | None = None) -> pd.DataFrame:
    """Per algorithm and UTC block: counts and sums, squares of quality included (for intervals).

    The blocks of ``_buckets.select_slot_sums`` (see there why): none straddles a local
    boundary of ``filters.granularity``, one series per algorithm.
    """
    if resolve_source(source) == "rollup":
        return select_block_sums(store, filters, "algorithm", {"algorithm_id": "algorithm"}, ALGORITHM_SLOT_MEASURES,
                                 filters.granularity)
    slot = sa.cast(sa.func.floor(sa.extract("epoch", v.c.created_at) / SLOT_SECONDS), sa.BigInteger)
    stmt = (
        sa.select(
            v.c.algorithm_id, slot.label("slot"),
            sa.func.count().label("validations"),
            sa.func.sum(v.c.quality).label("sum_quality"),
            sa.func.sum(squared_quality()).label("sum_square_quality"),
            sa.func.sum(v.c.speedup).label("sum_speedup"),
            sa.cast(sa.func.sum(v.c.tests), sa.BigInteger).label("tests"),
            sa.cast(success_count(), sa.BigInteger).label("successes"),
        )
        .where(*validation_conditions(filters))
        .group_by(v.c.algorithm_id, slot)
    )
    frame = store.read(stmt)
    frame["slot_start"] = pd.to_datetime(frame.pop("slot") * SLOT_SECONDS, unit="s", utc=True)
    return frame


def select_latest_validations(store: Store, filters: Filters, limit: int) -> pd.DataFrame:
    """The view's ``limit`` most recent validations, newest first."""
    stmt = (sa.select(*[v.c[name] for name in LATEST_COLUMNS])
            .where(*validation_conditions(filters))
            .order_by(v.c.created_at.desc(), v.c.id.desc())
            .limit(limit))
    return store.read(stmt)
