"""Reading sums from the rollups: one UNION ALL over the blocks of a plan, the same columns as raw rows.

Each part selects rollup rows of one grain (bucket ranges from ``_plan``) or, for edges
off the 15-minute grid, raw validations shaped as one-row sums. Callers aggregate the
union (per algorithm, per domain, per slot) exactly as they would the raw table.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..data.rollups import GRAINS, ROLLUPS, SUCCESS_QUALITY, squared_quality
from ..filters import Filters
from ..schema import validations as v
from ._conditions import key_conditions
from ._plan import GRAIN_US, US, Plan

SUM_COLUMNS = ("validations", "sum_quality", "sum_square_quality", "sum_confidence", "sum_speedup",
               "max_speedup", "min_quality", "successes", "tests", "first_at", "last_at")
SOURCES = ("rollup", "raw")
_OR_LIMIT = 16  # bucket ranges written as OR-ed conditions; more become a hull filtered in pandas
QUARTERS_PER_DAY = 96


# Which source a query without an explicit ``source`` reads: the benchmark and the tests switch
# whole services (leaderboard, trends, comparison) to the raw table with ``reading_from("raw")``.
_DEFAULT_SOURCE: ContextVar[str] = ContextVar("helios_read_source", default="rollup")


@contextmanager
def reading_from(source: str):
    """Within the block, queries not given a ``source`` read ``source`` ("rollup" or "raw")."""
    token = _DEFAULT_SOURCE.set(resolve_source(source))
    try:
        yield
    finally:
        _DEFAULT_SOURCE.reset(token)


def resolve_source(source: str | None) -> str:
    """``source``, or the one in force when None; ValueError for an unknown one."""
    source = source or _DEFAULT_SOURCE.get()
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    return source


def level_for(filters: Filters, split_by: str | None = None, per_algorithm: bool = False) -> str:
    """The smallest rollup that answers the view: all validations, per domain, or per algorithm."""
    if per_algorithm or filters.algorithms or filters.types or split_by == "type":
        return "algorithm"
    if filters.domains or split_by == "domain":
        return "domain"
    return "all"


def rollup_part(level: str, grain: str, ranges, filters: Filters, keys: dict, exact: bool = True,
                columns=SUM_COLUMNS):
    """SELECT of one grain's rollup rows in ``ranges``; ``keys`` maps names to f(table, bucket seconds).

    Only the sum ``columns`` a caller needs are selected. Returns (select, ranges a caller
    must still filter by in pandas, or None).
    """
    table = ROLLUPS[(level, grain)]
    where, leftover = bucket_condition(table.c.bucket, ranges, exact, grain)
    selected = [fn(table, GRAINS[grain]).label(name) for name, fn in keys.items()]
    selected += [table.c[name] for name in columns]
    return sa.select(*selected).where(where, *key_conditions(table, filters)), leftover


def raw_part(ranges: list[tuple[int, int]], filters: Filters, keys: dict, columns=SUM_COLUMNS) -> sa.Select:
    """Raw validations in microsecond ``ranges``, each shaped as a one-validation rollup row."""
    inside = sa.or_(*[sa.and_(v.c.created_at >= _utc(lo), v.c.created_at < _utc(hi)) for lo, hi in ranges])
    as_sums = {
        "validations": sa.cast(sa.literal(1), sa.BigInteger),
        "sum_quality": v.c.quality,
        "sum_square_quality": squared_quality(),
        "sum_confidence": v.c.confidence,
        "sum_speedup": v.c.speedup,
        "max_speedup": v.c.speedup,
        "min_quality": v.c.quality,
        "successes": sa.cast(sa.case((v.c.quality > SUCCESS_QUALITY, 1), else_=0), sa.BigInteger),
        "tests": sa.cast(v.c.tests, sa.BigInteger),
        "first_at": v.c.created_at,
        "last_at": v.c.created_at,
    }
    return sa.select(
        *[fn(v, None).label(name) for name, fn in keys.items()],
        *[as_sums[name].label(name) for name in columns],
    ).where(inside, *key_conditions(v, filters))


def plan_parts(plan: Plan, level: str, filters: Filters, keys: dict, raw_keys: dict | None = None,
               columns=SUM_COLUMNS) -> list[sa.Select]:
    """Every part of an exact plan: grains whose bucket ranges are OR-ed conditions, then raw edges."""
    parts = [rollup_part(level, grain, ranges, filters, keys, columns=columns)[0]
             for grain, ranges in plan.buckets.items() if ranges]
    if plan.raw:
        parts.append(raw_part(plan.raw, filters, raw_keys or keys, columns))
    return parts


def union(parts: list[sa.Select]) -> sa.Subquery:
    """The parts as one subquery named ``sums`` (a plan of a non-empty range has at least one part)."""
    return (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("sums")


def bucket_condition(bucket: sa.ColumnElement, ranges, exact: bool = True, grain: str | None = None):
    """A WHERE condition selecting ``ranges`` of buckets, and the ranges still to filter by afterwards.

    Exact: OR-ed ranges. Otherwise, with many ranges, their hull, narrowed for quarter hours
    to the few quarters of the UTC day the ranges use (the hours a local boundary cuts
    recur at the same UTC time each day, or two with DST); pandas keeps the planned buckets.
    """
    if exact or len(ranges) <= _OR_LIMIT:
        return sa.or_(*[_between(bucket, lo, hi) for lo, hi in ranges]), None
    hull = _between(bucket, ranges[0][0], ranges[-1][1])
    if grain == "quarter" and all(lo is not None and hi is not None for lo, hi in ranges):
        of_day = {_c_modulo(b, QUARTERS_PER_DAY) for lo, hi in ranges for b in range(lo, hi)}
        if len(of_day) <= QUARTERS_PER_DAY // 4:
            return sa.and_(hull, (bucket % QUARTERS_PER_DAY).in_(sorted(of_day))), ranges
    return hull, ranges


def _c_modulo(value: int, divisor: int) -> int:
    """``value % divisor`` as SQL computes it (the sign of the dividend), unlike Python's."""
    return int(math.fmod(value, divisor))


def _between(bucket, lo, hi) -> sa.ColumnElement[bool]:
    conditions = ([bucket >= lo] if lo is not None else []) + ([bucket < hi] if hi is not None else [])
    return sa.and_(sa.true(), *conditions)


def in_ranges(buckets: pd.Series, ranges) -> np.ndarray:
    """True where a bucket lies in one of the sorted, disjoint ``ranges``."""
    starts = np.array([-(2**62) if a is None else a for a, _ in ranges], dtype=np.int64)
    stops = np.array([2**62 if b is None else b for _, b in ranges], dtype=np.int64)
    values = buckets.to_numpy(dtype=np.int64)
    index = np.searchsorted(starts, values, side="right") - 1
    return (index >= 0) & (values < stops[np.clip(index, 0, None)])


def data_span(store) -> tuple[int, int] | None:
    """[first, last] validation instant in microseconds (from the day rollup), or None when empty."""
    table = ROLLUPS[("all", "day")]
    first, last = store.read(sa.select(sa.func.min(table.c.first_at).label("first"),
                                       sa.func.max(table.c.last_at).label("last"))).iloc[0]
    if pd.isna(first):
        return None
    return _us(first), _us(last)


def bucket_seconds(grain: str) -> int:
    return GRAIN_US[grain] // US


def _utc(us: int) -> datetime:
    return pd.Timestamp(us, unit="us", tz="UTC").to_pydatetime()


def _us(moment) -> int:
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return (stamp - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
