"""The store being copied: opened so that it cannot be written to, checked, and read as Arrow batches.

A DuckDB file is opened read-only. DuckDB still refuses any second process while one has
the file open for writing (a running dashboard), and the error says so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import BadRequest, StoreError
from ..schema import metadata
from .arrow_tables import Batch, raw_driver, read_batches


def open_source(url: str) -> Engine:
    """An engine on the source store that cannot write to it (read-only where the database allows)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "duckdb":
        engine = sa.create_engine(url, connect_args=_read_only_args(parsed.get_backend_name()))
        return _checked(engine, url)
    path = parsed.database or ""
    if path in ("", ":memory:") or not Path(path).is_file():
        raise BadRequest(f"There is no store at {path or url}; set HELIOS_DATABASE_URL to the DuckDB file to copy.")
    engine = sa.create_engine(url, connect_args={"read_only": True})
    sa.event.listen(engine, "connect", _duckdb_utc)
    try:
        return _checked(engine, url)
    except _SameProcess:
        # This process has the file open for writing already (a test, a script): DuckDB
        # refuses a second configuration in one process, and that open copy is safe to read.
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _duckdb_utc)
        return _checked(engine, url)


def _read_only_args(backend: str) -> dict:
    if backend == "postgresql":
        return {"options": "-c default_transaction_read_only=on"}
    return {}


class _SameProcess(Exception):
    pass


def _checked(engine: Engine, url: str) -> Engine:
    try:
        with engine.connect():
            return engine
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        text = str(exc.orig)
        if "different configuration" in text:
            raise _SameProcess from None
        where = sa.engine.make_url(url).database or url
        if "Could not set lock" in text:
            raise StoreError(
                f"The source database {where} is open in another process (a running dashboard?), and DuckDB "
                "lets no other process read a file while one has it open, even read-only; stop that process "
                "or migrate a copy of the file.") from None
        first_line = text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__
        raise StoreError(f"Cannot open the source database {where}: {first_line}") from None


def _duckdb_utc(dbapi_connection, _record) -> None:
    dbapi_connection.execute("SET TimeZone = 'UTC'")
    dbapi_connection.execute("SET enable_progress_bar = false")


def check_source_tables(source: Engine, tables: list[sa.Table], bookkeeping: frozenset[str]) -> None:
    """Refuse a source that is not a HELIOS store, lacks a table or column to copy, or holds rows we would leave behind."""
    present = set(sa.inspect(source).get_table_names())
    if "store_state" not in present:
        raise BadRequest("The source database was not written by HELIOS Analytics (it has no store_state table).")
    for table in tables:
        missing = [table.name] if table.name not in present else sorted(set(table.c.keys()) - _columns(source, table))
        if missing:
            what = f"table {table.name}" if missing == [table.name] else f"{table.name}.{', '.join(missing)}"
            raise StoreError(f"The source store is older than this HELIOS (it has no {what}); run "
                             "`helios-dash init-db` on it once, then migrate again.")
    _refuse_unknown_data(source, present - set(metadata.tables) - bookkeeping)


def _refuse_unknown_data(source: Engine, names: set[str]) -> None:
    """Refuse a source whose rows would be left behind: a table with rows that no copied table declares."""
    quote = source.dialect.identifier_preparer.quote
    with source.connect() as conn:
        for name in sorted(names):
            rows = conn.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar_one()
            if rows:
                raise StoreError(f"The source has a table this HELIOS does not declare ({name}, {rows:,} rows), "
                                 "so a copy would leave it behind; migrate with the HELIOS version that wrote it.")


def _columns(source: Engine, table: sa.Table) -> set[str]:
    # Not the inspector: duckdb_engine's get_columns queries pg_catalog tables DuckDB lacks.
    quoted = source.dialect.identifier_preparer.quote(table.name)
    with source.connect() as conn:
        return set(conn.exec_driver_sql(f"SELECT * FROM {quoted} LIMIT 0").keys())


def source_batches(source: Engine, table: sa.Table, rows: int) -> Iterator[Batch]:
    """The source table's rows, ``rows`` at a time, as Arrow batches in the metadata's column order."""
    with raw_driver(source) as driver:
        yield from read_batches(driver, source.dialect, table, rows)


def source_count(source: Engine, table: sa.Table) -> int:
    """Rows in the source table."""
    with source.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
