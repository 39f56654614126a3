"""One set of DataFrame dtypes whichever database answered.

DuckDB and PostgreSQL type the same statement differently: SUM of integers is a
HUGEINT (float64 in pandas) on one and a bigint or a numeric (Decimal objects)
on the other; INTEGER comes back as int32. Callers see one shape instead:
whole numbers int64 (Int64 when NULLs occur), measures float64, timestamps
datetime64[us, UTC], dates datetime64[us], text pandas' default string dtype.
A column's SQLAlchemy type decides where the statement declares one (``count()``,
``sum(tests)`` are Integer; ``sum(quality)`` is Double); otherwise the values do.
"""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa

WHOLE, MEASURE, MOMENT, TEXT = "whole", "measure", "moment", "text"


def declared_kinds(stmt) -> dict[str, str]:
    """``{column name: kind}`` for the statement's columns whose SQLAlchemy type says what they hold."""
    kinds = {}
    for column in getattr(stmt, "selected_columns", ()):
        kind = _kind_of(column.type)
        name = getattr(column, "key", None) or getattr(column, "name", None)
        if kind and name:
            kinds[name] = kind
    return kinds


# DuckDB types whose pandas form is not int64: HUGEINT (SUM of integers) arrives as float64
# (or Decimal from Arrow), smaller integers as int32/int16.
_DUCKDB_WHOLE = {"HUGEINT", "UHUGEINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"}


def duckdb_kinds(columns) -> dict[str, str]:
    """``{name: kind}`` for DuckDB result columns ``(name, type)`` whose pandas dtype needs correcting."""
    return {name: WHOLE for name, type_ in columns if str(type_) in _DUCKDB_WHOLE}


def _kind_of(type_: sa.types.TypeEngine) -> str | None:
    if isinstance(type_, sa.Integer):
        return WHOLE
    if isinstance(type_, (sa.Float, sa.Numeric)):
        return MEASURE
    if isinstance(type_, sa.DateTime) and type_.timezone:
        return MOMENT
    if isinstance(type_, sa.String):
        return TEXT
    return None


def normalise(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The frame with every column in the canonical dtype of its kind (declared, or read from the values)."""
    for name in frame.columns:
        frame[name] = _normalised(frame[name], kinds.get(name))
    return frame


def _normalised(column: pd.Series, kind: str | None) -> pd.Series:
    kind = kind or _kind_from_values(column)
    if kind == WHOLE:
        return _whole(column)
    if kind == MEASURE:
        return _measure(column)
    if kind == MOMENT:
        return _moment(column)
    if kind == TEXT:
        return column if column.dtype == "str" else column.astype("str")
    if kind == "date":
        return pd.to_datetime(column).astype("datetime64[us]")
    return column


def _kind_from_values(column: pd.Series) -> str | None:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return WHOLE
    if isinstance(dtype, pd.DatetimeTZDtype):
        return MOMENT
    if dtype != object:
        return None
    sample = column.dropna()
    if sample.empty:
        return None
    first = sample.iloc[0]
    if isinstance(first, decimal.Decimal):
        return MEASURE
    if isinstance(first, dt.datetime):
        return MOMENT if first.tzinfo is not None else None
    if isinstance(first, dt.date):
        return "date"
    if isinstance(first, (int, np.integer)) and not isinstance(first, bool):
        return WHOLE
    return None


def _whole(column: pd.Series) -> pd.Series:
    if column.isna().any():
        return column.astype("Int64") if column.dtype != object else pd.array(
            [None if pd.isna(v) else int(v) for v in column], dtype="Int64")
    if column.dtype == "int64":
        return column
    return column.astype("int64") if column.dtype != object else column.map(int).astype("int64")


def _measure(column: pd.Series) -> pd.Series:
    if column.dtype == "float64":
        return column
    if column.dtype == object:
        return pd.Series([np.nan if v is None else float(v) for v in column], index=column.index,
                         dtype="float64")
    return column.astype("float64")


def _moment(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype) and str(column.dtype) == "datetime64[us, UTC]":
        return column
    return pd.to_datetime(column, utc=True).astype("datetime64[us, UTC]")
