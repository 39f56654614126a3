"""Turning a ``Filters`` into WHERE conditions on the validations fact table."""
from __future__ import annotations

import sqlalchemy as sa

from ..filters import Filters
from ..schema import algorithms, validations as v


def key_conditions(table: sa.Table | sa.TableClause, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """The view's domain, algorithm and type filters on validations or on a rollup table."""
    conditions = []
    if filters.domains:
        conditions.append(table.c.domain_id.in_(filters.domains))
    if filters.algorithms:
        conditions.append(table.c.algorithm_id.in_(filters.algorithms))
    if filters.types:
        typed = sa.select(algorithms.c.id).where(algorithms.c.type.in_(filters.types))
        conditions.append(table.c.algorithm_id.in_(typed))
    return conditions


def validation_conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Bound conditions selecting the validations a view covers."""
    conditions = key_conditions(v, filters)
    lower, upper = filters.utc_bounds()
    if lower is not None:
        conditions.append(v.c.created_at >= lower)
    if upper is not None:
        conditions.append(v.c.created_at < upper)
    return conditions


def success_count() -> sa.ColumnElement:
    """Validations with quality above 70: the numerator of the success rate."""
    return sa.func.sum(sa.case((v.c.quality > 70, 1), else_=0))
