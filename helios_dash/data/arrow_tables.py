"""Whole tables in and out as Arrow batches, on DuckDB and PostgreSQL, inside a caller's transaction.

DuckDB reads with its native Arrow reader and writes by registering a batch. PostgreSQL
reads through ``COPY (SELECT ...) TO STDOUT`` as CSV parsed by Arrow, and writes through
``COPY ... FROM STDIN`` as CSV written by Arrow: no Python object per value either way.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import BadRequest

Batch = pa.RecordBatch | pa.Table


def read_batches(driver, dialect: sa.Dialect, table: sa.Table, rows: int) -> Iterator[Batch]:
    """``table``'s rows, ``rows`` at a time, in the metadata's column order, through a driver connection."""
    if dialect.name == "duckdb":
        _complete(driver)
        yield from driver.sql(str(sa.select(*table.c).compile(dialect=dialect))).to_arrow_reader(rows)
    else:
        yield from _postgres_batches(driver, dialect, table, rows)


@contextmanager
def raw_driver(engine: Engine):
    """A driver connection (DuckDB or psycopg) from ``engine``'s pool, discarded if left mid-result."""
    raw = engine.raw_connection()
    finished = False
    try:
        yield raw.driver_connection
        finished = True
    finally:
        if not finished:
            raw.invalidate()  # an open result would otherwise go back to the pool
        raw.close()


@contextmanager
def table_writer(conn: Connection, table: sa.Table):
    """A function appending Arrow batches to ``table`` inside ``conn``'s transaction."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in table.c.keys())
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
            yield lambda batch: copy.write(to_csv(batch))
    elif conn.dialect.name == "duckdb":
        def write(batch: Batch) -> None:
            driver.register("_helios_copy_batch", batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]))
            try:
                driver.execute(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM _helios_copy_batch")
                _complete(driver)
            finally:
                driver.unregister("_helios_copy_batch")
        yield write
    else:
        raise BadRequest(f"migrate-store copies into PostgreSQL or DuckDB, not {conn.dialect.name}.")


def to_csv(batch: Batch) -> bytes:
    """CSV as COPY reads it: NULL is an unquoted empty field, text is always quoted (so '' stays '')."""
    out = pa.BufferOutputStream()
    pa_csv.write_csv(batch, out, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue().to_pybytes()


def _complete(driver) -> None:
    # A statement SQLAlchemy ran on this DuckDB connection (a count, a max) may still hold
    # its result, and DuckDB runs nothing else on the connection until it is finished.
    if hasattr(driver, "complete"):
        driver.complete()


def _postgres_batches(driver, dialect: sa.Dialect, table: sa.Table, rows: int) -> Iterator[pa.Table]:
    """``table``'s rows through ``COPY ... TO STDOUT`` as CSV, parsed by Arrow (no Python object per value)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in table.c.keys())
    with driver.cursor() as cursor:
        # Text that reads back exactly: UTC timestamps, ISO dates, floats to the last bit.
        for setting in ("TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "extra_float_digits = 3"):
            cursor.execute(f"SET LOCAL {setting}")
        with cursor.copy(f"COPY (SELECT {names} FROM {quote(table.name)}) TO STDOUT (FORMAT csv)") as copy:
            pending: list = []
            for row in copy:  # libpq hands over one row at a time
                pending.append(row)
                if len(pending) == rows:
                    yield _parse_csv(pending, table)
                    pending = []
            if pending:
                yield _parse_csv(pending, table)


def _parse_csv(rows: list, table: sa.Table) -> pa.Table:
    names = list(table.c.keys())
    return pa_csv.read_csv(
        pa.py_buffer(b"".join(rows)),
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 26),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        # PostgreSQL writes NULL as an unquoted empty field and '' as "".
        convert_options=pa_csv.ConvertOptions(
            column_types={column.name: _arrow_type(column.type) for column in table.c},
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"]))


def _arrow_type(kind: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type a column's PostgreSQL text is read as (text when in doubt: compared as text)."""
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if kind.timezone else None)
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()
