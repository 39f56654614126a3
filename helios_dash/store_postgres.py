"""PostgreSQL's fast paths: COPY for whole results and bulk writes, typed columns for streams.

``pd.read_sql`` builds every row as an SQLAlchemy Row and lets pandas infer each
column's type from Python objects. ``read_frame`` instead has the server write CSV
through ``COPY (query) TO STDOUT`` and Arrow's C++ reader parse it, typed by the
result's PostgreSQL types. Measured with bench/store_reads.py (200,000 records, 12
columns, 2 cores): 0.59 s against 0.83 s for ``pd.read_sql`` on an idle machine
(2.97 s against 3.69 s at load average 9); a binary psycopg cursor with columns built
from its tuples took 4.0 s against read_sql's 4.6 s in one loaded run (the Python
objects cost more than the server's CSV). ``copy_in`` appends with COPY FROM STDIN,
5.2x faster than executemany on 20,000 rows.
"""
from __future__ import annotations

import io
import uuid
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

# PostgreSQL type oids (pg_type.oid) and the dtype a column of that type becomes.
_BOOL, _INT8, _INT2, _INT4, _TEXT, _FLOAT4, _FLOAT8, _VARCHAR, _DATE, _TIMESTAMP, _TIMESTAMPTZ, _NUMERIC = (
    16, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1184, 1700)
_INTEGERS = {_INT8, _INT2, _INT4}
_FLOATS = {_FLOAT4, _FLOAT8, _NUMERIC}

_ARROW_TYPES = {**{oid: pa.int64() for oid in _INTEGERS}, **{oid: pa.float64() for oid in _FLOATS},
                _BOOL: pa.bool_(), _TIMESTAMPTZ: pa.timestamp("us", "UTC"), _TIMESTAMP: pa.timestamp("us"),
                _DATE: pa.date32()}

COPY_CHUNK_ROWS = 200_000  # rows turned into CSV at a time while copying in


def read_frame(connection, sql: str, params: dict) -> pd.DataFrame:
    """Run ``sql`` on a psycopg connection and return its whole result as a typed DataFrame.

    The rows travel as CSV through COPY and Arrow's C++ reader parses them, typed by
    the result's PostgreSQL types (asked for first with LIMIT 0): no Python object per value.
    """
    with connection.cursor() as cursor:
        description = _described(cursor, sql, params)
        with cursor.copy(*_copy_out(sql, params)) as copy:
            data = b"".join(copy)
    if not data:
        return frame_of(description, [])
    return _parsed(data, description)


_DESCRIPTIONS: dict[tuple, list] = {}  # (SQL text, parameter types) -> result columns
_DESCRIBED_AT_MOST = 512


def _described(cursor, sql: str, params: dict) -> list:
    """The result's columns (names, type oids), asked once per SQL text and parameter types with LIMIT 0.

    Pages send the same few statements with other parameters; remembering their shape
    saves a round trip per read (10% of a small aggregate's time in bench/store_reads.py).
    """
    key = (sql, tuple(type(value).__name__ for value in params.values()))  # an untyped :x may vary
    known = _DESCRIPTIONS.get(key)
    if known is None:
        cursor.execute(f"SELECT * FROM ({sql}) AS helios_shape LIMIT 0", params)
        known = [_Column(column.name, column.type_code) for column in cursor.description]
        if len(_DESCRIPTIONS) >= _DESCRIBED_AT_MOST:
            _DESCRIPTIONS.clear()
        _DESCRIPTIONS[key] = known
    return known


class _Column:
    """A result column's name and PostgreSQL type oid (what psycopg's description gives)."""

    __slots__ = ("name", "type_code")

    def __init__(self, name: str, type_code: int):
        self.name, self.type_code = name, type_code


def _copy_out(sql: str, params: dict) -> tuple[str, dict | None]:
    """The COPY statement and its parameters: psycopg binds COPY's parameters only when there are some,
    so without any, the ``%%`` SQLAlchemy writes for a literal ``%`` is turned back into ``%`` here."""
    if params:
        return f"COPY ({sql}) TO STDOUT (FORMAT csv)", params
    return f"COPY ({sql.replace('%%', '%')}) TO STDOUT (FORMAT csv)", None


def _parsed(data: bytes, description) -> pd.DataFrame:
    names = [f"c{i}" for i in range(len(description))]  # result names may repeat; Arrow's must not
    table = pa_csv.read_csv(
        io.BytesIO(data),
        # Threads only pay off on large results; a page's aggregate is a few kilobytes.
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=len(data) > 1 << 20),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: _ARROW_TYPES.get(column.type_code, pa.string())
                          for name, column in zip(names, description)},
            true_values=["t"], false_values=["f"],
            # COPY writes NULL as an empty field and an empty string as "", and text such as
            # "NA" or "null" unquoted: only the empty field is NULL (Arrow's default list is longer).
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False))
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get)
    frame.columns = [column.name for column in description]
    for index, column in enumerate(description):
        values = frame.iloc[:, index]
        if values.dtype in ("Int64", "boolean") and not values.isna().any():
            frame.isetitem(index, values.astype("int64" if values.dtype == "Int64" else bool))
        elif column.type_code in (_TIMESTAMP, _DATE):
            frame.isetitem(index, values.astype("datetime64[us]"))
    return frame


def read_frames(connection, sql: str, params: dict, rows: int) -> Iterator[pd.DataFrame]:
    """Stream ``sql``'s result ``rows`` at a time through a server-side cursor (held by the open transaction)."""
    with connection.cursor(name=f"helios_{uuid.uuid4().hex[:12]}", binary=True) as cursor:
        cursor.itersize = rows
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(rows):
            yield frame_of(cursor.description, batch)


def frame_of(description, rows: list[tuple]) -> pd.DataFrame:
    """A DataFrame of ``rows``, each column typed by its PostgreSQL type (not guessed from the values)."""
    columns = list(zip(*rows)) if rows else [()] * len(description)
    return pd.DataFrame({column.name: _series(column.type_code, values)
                         for column, values in zip(description, columns)})


def _series(oid: int, values: tuple) -> pd.Series:
    has_null = None in values
    if oid in _INTEGERS:
        return pd.Series(pd.array(values, dtype="Int64") if has_null else np.array(values, dtype=np.int64))
    if oid in _FLOATS:
        # numeric (SUM of bigint, AVG of integers) arrives as Decimal: measures are float64 either way.
        return pd.Series(np.array([np.nan if v is None else float(v) for v in values] if has_null or oid == _NUMERIC
                                  else values, dtype=np.float64))
    if oid == _TIMESTAMPTZ:
        return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[us, UTC]")
    if oid in (_TIMESTAMP, _DATE):
        return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[us]")
    if oid == _BOOL:
        return pd.Series(values, dtype="boolean" if has_null else bool)
    if oid in (_TEXT, _VARCHAR):
        return pd.Series(values, dtype="str")
    return pd.Series(values, dtype=object)


def copy_in(connection, table: str, columns: list[str], frame: pd.DataFrame) -> None:
    """Append ``frame``'s ``columns`` to ``table`` with COPY FROM STDIN inside the connection's transaction."""
    names = ", ".join(f'"{name}"' for name in columns)
    with connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)') as copy:
            for start in range(0, len(frame), COPY_CHUNK_ROWS):
                copy.write(_csv(frame.iloc[start:start + COPY_CHUNK_ROWS][columns]))


def _csv(frame: pd.DataFrame) -> bytes:
    """CSV as COPY reads it: a missing value is an unquoted empty field (NULL), text is always quoted."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Categoricals (the demo generator's labels) become their plain values.
    table = table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                                  for f in table.schema]))
    out = io.BytesIO()
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()
