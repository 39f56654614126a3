"""Copy a whole store into an empty one (``helios-dash migrate-store``): DuckDB to PostgreSQL, streamed.

Every table of ``schema.metadata`` is copied in foreign-key order, except the
bookkeeping that ``open_store`` creates itself (store_state, alembic_version) and the
rollups, which are rebuilt on the target from the copied validations. The source is
read in Arrow batches (DuckDB's native reader, opened read-only) and each batch goes
to PostgreSQL as CSV through one ``COPY ... FROM STDIN`` per table.

All of it happens in ONE target transaction (``Store.write()``): the copy, the
sequences moved past the copied ids, the rollups, a check of every table's row count
and checksum (``table_checksum``: computed in Python from rows read back from the
target, the same way as from the source rows), and a single data-version bump. A
failure anywhere rolls back, so an interrupted run leaves the target as it was, and
running the command again is safe: a target already holding exactly the source's
rows is reported as copied and left alone; one holding anything else is refused.

The rollups are rebuilt inside that transaction too (``rollups.clear_rollups`` and
``refresh_rollups``), so no reader ever sees validations without their rollups.

Speed (bench/copy_store.py, 1,000,000 demo validations, DuckDB file to the local
PostgreSQL 15, 2 cores shared with other work at a load average of about 12; medians of
2 runs): a bare COPY of every table took 10.5 s (95,000 rows/s); copy_store took 69 s
(14,500 rows/s): the copy with the source's checksum 12.5 s, reading back and checking
the target 10.3 s, rebuilding the rollups 45 s. Without the rollups: 24 s, 41,000 rows/s.
"""
from __future__ import annotations

import importlib
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from ..errors import BadRequest, Conflict, HeliosError, StoreError
from ..schema import metadata
from ..store import Store, open_store
from .table_checksum import TableChecksum

BATCH_ROWS = 100_000
# Tables open_store creates and fills itself on every new store: never copied.
BOOKKEEPING_TABLES = frozenset({"store_state", "alembic_version"})
_ROLLUPS_MODULE = "helios_dash.data.rollups"


@dataclass(frozen=True)
class TableCopy:
    """One table as copied and checked: its name, row count and checksum (equal on both sides)."""

    name: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class CopyResult:
    """What ``copy_store`` did: the tables, whether they were there already, and how long it took."""

    tables: tuple[TableCopy, ...]
    already_copied: bool
    seconds: float

    @property
    def rows(self) -> int:
        """Rows in all copied tables."""
        return sum(table.rows for table in self.tables)


class CopyMismatch(HeliosError):
    """The rows read back from the target differ from the source's; the copy was rolled back."""

    code = "COPY_MISMATCH"


class _AlreadyCopied(Exception):
    """Raised inside the target's write transaction to leave it untouched (no data-version bump)."""


def copy_store(source_url: str, target_url: str, progress: bool = True,
               batch_rows: int = BATCH_ROWS) -> CopyResult:
    """Copy every data table of the store at ``source_url`` into the empty store at ``target_url``."""
    started = time.perf_counter()
    _refuse_same_database(source_url, target_url)
    tables = tables_to_copy()
    source = _open_source(source_url)
    try:
        _check_source_tables(source, tables)
        target = open_store(target_url)
        try:
            copied, already = _copy_into(target, source, tables, progress, batch_rows)
        finally:
            target.close()
    finally:
        source.dispose()
    return CopyResult(tuple(copied), already, time.perf_counter() - started)


def tables_to_copy() -> list[sa.Table]:
    """The tables holding data, parents before children; bookkeeping and rollups left out."""
    derived = _rollup_table_names()
    return [table for table in metadata.sorted_tables
            if table.name not in BOOKKEEPING_TABLES and table.name not in derived]


def _copy_into(target: Store, source: Engine, tables: list[sa.Table], progress: bool,
               batch_rows: int) -> tuple[list[TableCopy], bool]:
    try:
        with target.write() as conn:
            _lock_tables(conn, tables)
            held = {table.name: _count(conn, table) for table in tables}
            if any(held.values()):
                _compare_existing(conn, source, tables, held, batch_rows)  # raises either way
            copied = [_copy_table(conn, source, table, progress, batch_rows) for table in tables]
            _advance_sequences(conn, tables)
            _analyze(conn, tables)
            for expected, table in zip(copied, tables):
                _verify(conn, table, expected, progress, batch_rows)
            _rebuild_rollups_in(conn, progress)
            return copied, False
    except _AlreadyCopied as done:
        return done.args[0], True


# -- the source ------------------------------------------------------------------
def _open_source(url: str) -> Engine:
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


def _check_source_tables(source: Engine, tables: list[sa.Table]) -> None:
    present = set(sa.inspect(source).get_table_names())
    if "store_state" not in present:
        raise BadRequest("The source database was not written by HELIOS Analytics (it has no store_state table).")
    for table in tables:
        missing = [table.name] if table.name not in present else sorted(set(table.c.keys()) - _columns(source, table))
        if missing:
            what = f"table {table.name}" if missing == [table.name] else f"{table.name}.{', '.join(missing)}"
            raise StoreError(f"The source store is older than this HELIOS (it has no {what}); run "
                             "`helios-dash init-db` on it once, then migrate again.")
    _refuse_unknown_data(source, present - set(metadata.tables) - BOOKKEEPING_TABLES)


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


def _source_batches(source: Engine, table: sa.Table, rows: int) -> Iterator[pa.RecordBatch | pa.Table]:
    """The source table's rows, ``rows`` at a time, as Arrow batches in the metadata's column order."""
    with _raw(source) as driver:
        yield from _batches(driver, source.dialect, table, rows)


def _batches(driver, dialect: sa.Dialect, table: sa.Table, rows: int) -> Iterator[pa.RecordBatch | pa.Table]:
    """``table``'s rows as Arrow batches, read through a DuckDB or psycopg connection (in its transaction)."""
    if dialect.name == "duckdb":
        _complete(driver)
        yield from driver.sql(str(sa.select(*table.c).compile(dialect=dialect))).to_arrow_reader(rows)
    else:
        yield from _postgres_batches(driver, dialect, table, rows)


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


@contextmanager
def _raw(engine: Engine):
    raw = engine.raw_connection()
    finished = False
    try:
        yield raw.driver_connection
        finished = True
    finally:
        if not finished:
            raw.invalidate()  # an open result would otherwise go back to the pool
        raw.close()


def _source_count(source: Engine, table: sa.Table) -> int:
    with source.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# -- the target ------------------------------------------------------------------
def _lock_tables(conn: Connection, tables: list[sa.Table]) -> None:
    # Store.write() already serialises HELIOS writers (a second migrate-store waits, then finds
    # the rows the first committed and reports them as copied); the lock also holds off anything
    # else writing these tables between the emptiness check and the commit. One DuckDB file
    # admits one writing process, which serialises runs there.
    if conn.dialect.name == "postgresql" and tables:
        names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
        conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def _count(conn: Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _copy_table(conn: Connection, source: Engine, table: sa.Table, progress: bool, rows: int) -> TableCopy:
    checksum = TableChecksum()
    with tqdm(total=_source_count(source, table), desc=f"copy {table.name}", unit=" rows", unit_scale=True,
              disable=not progress) as bar, _table_writer(conn, table) as write:
        for batch in _source_batches(source, table, rows):
            write(batch)
            checksum.add(batch)
            bar.update(batch.num_rows)
    return TableCopy(table.name, checksum.rows, checksum.hexdigest)


@contextmanager
def _table_writer(conn: Connection, table: sa.Table):
    """A function appending Arrow batches to ``table`` inside ``conn``'s transaction."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in table.c.keys())
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
            yield lambda batch: copy.write(_csv(batch))
    elif conn.dialect.name == "duckdb":
        def write(batch: pa.RecordBatch | pa.Table) -> None:
            driver.register("_helios_copy_batch", batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]))
            try:
                driver.execute(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM _helios_copy_batch")
                _complete(driver)
            finally:
                driver.unregister("_helios_copy_batch")
        yield write
    else:
        raise BadRequest(f"migrate-store copies into PostgreSQL or DuckDB, not {conn.dialect.name}.")


def _csv(batch: pa.RecordBatch | pa.Table) -> bytes:
    """CSV as COPY reads it: NULL is an unquoted empty field, text is always quoted (so '' stays '')."""
    out = pa.BufferOutputStream()
    pa_csv.write_csv(batch, out, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue().to_pybytes()


def _target_checksum(conn: Connection, table: sa.Table, bar: tqdm, rows: int) -> TableChecksum:
    """The checksum of ``table`` as this transaction sees it (the rows just copied included)."""
    checksum = TableChecksum()
    for batch in _batches(conn.connection.driver_connection, conn.dialect, table, rows):
        checksum.add(batch)
        bar.update(batch.num_rows)
    return checksum


def _verify(conn: Connection, table: sa.Table, expected: TableCopy, progress: bool, rows: int) -> None:
    with tqdm(total=expected.rows, desc=f"check {table.name}", unit=" rows", unit_scale=True,
              disable=not progress) as bar:
        found = _target_checksum(conn, table, bar, rows)
    if (found.rows, found.hexdigest) != (expected.rows, expected.checksum):
        raise CopyMismatch(
            f"The copy of {table.name} does not match its source ({found.rows:,} rows, checksum {found.hexdigest}; "
            f"expected {expected.rows:,} rows, checksum {expected.checksum}); nothing was written.")


def _compare_existing(conn: Connection, source: Engine, tables: list[sa.Table], held: dict[str, int],
                      rows: int) -> None:
    """Leave a target that already holds exactly the source's rows; refuse one holding anything else."""
    summary = ", ".join(f"{name}: {count:,} rows" for name, count in held.items() if count)
    refusal = Conflict(f"The target database already holds data ({summary}) that differs from the source; "
                       "migrate-store copies only into an empty database.")
    found = []
    for table in tables:
        source_sum = TableChecksum()
        for batch in _source_batches(source, table, rows):
            source_sum.add(batch)
        if source_sum.rows != held[table.name]:
            raise refusal
        with tqdm(disable=True) as bar:
            target_sum = _target_checksum(conn, table, bar, rows)
        if target_sum.hexdigest != source_sum.hexdigest:
            raise refusal
        found.append(TableCopy(table.name, source_sum.rows, source_sum.hexdigest))
    raise _AlreadyCopied(found)


def _analyze(conn: Connection, tables: list[sa.Table]) -> None:
    """Give PostgreSQL's planner statistics of the copied rows before the rollups are built from them."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}")


def _advance_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """Move every sequence that numbers a copied column past the largest copied value."""
    for table in tables:
        for column, sequence in _sequences_of(conn, table):
            largest = conn.execute(sa.select(sa.func.max(column))).scalar()
            if largest is not None:
                _advance(conn, sequence, largest)


def _sequences_of(conn: Connection, table: sa.Table) -> Iterator[tuple[sa.Column, str]]:
    for column in table.c:
        sequence = _declared_sequence(column)
        if sequence is not None:
            yield column, sequence
        elif conn.dialect.name == "postgresql" and isinstance(column.type, sa.Integer):
            # serial and identity columns own a sequence the metadata does not name.
            owned = conn.execute(sa.select(sa.func.pg_get_serial_sequence(
                conn.dialect.identifier_preparer.quote(table.name), column.name))).scalar()
            if owned:
                yield column, owned


def _declared_sequence(column: sa.Column) -> str | None:
    if isinstance(column.default, sa.Sequence):
        return column.default.name
    default = getattr(column.server_default, "arg", None)
    sequence = getattr(default, "sequence", None)  # server_default=sequence.next_value()
    return sequence.name if isinstance(sequence, sa.Sequence) else None


def _advance(conn: Connection, sequence: str, largest: int) -> None:
    # setval is not rolled back with the transaction: a failed copy leaves a gap, never a clash.
    conn.execute(sa.select(sa.func.setval(sequence, largest))).scalar()


# -- rollups ---------------------------------------------------------------------
def _rollups_module():
    try:
        return importlib.import_module(_ROLLUPS_MODULE)
    except ModuleNotFoundError:
        return None


def _rollup_table_names() -> set[str]:
    module = _rollups_module()
    if module is None:
        return set()
    # Importing the module declares its tables; they (rollup_*, rollup_state) are derived
    # from validations or hold the rollups' own bookkeeping.
    found = {table.name for table in getattr(module, "ROLLUPS", {}).values()}
    return found | {table.name for table in metadata.sorted_tables if table.name.startswith("rollup_")}


def _rebuild_rollups_in(conn: Connection, progress: bool) -> None:
    """Build the target's rollups from the copied rows inside the copy's transaction."""
    module = _rollups_module()
    if module is not None and hasattr(module, "clear_rollups") and hasattr(module, "refresh_rollups"):
        # One statement per rollup table, with no row count to follow: the bar shows the elapsed time.
        with tqdm(total=1, desc="rebuild rollups", bar_format="{desc}: {elapsed}", disable=not progress) as bar:
            module.clear_rollups(conn)
            module.refresh_rollups(conn)
            bar.update(1)


# -- arguments -------------------------------------------------------------------
def _refuse_same_database(source_url: str, target_url: str) -> None:
    source, target = sa.engine.make_url(source_url), sa.engine.make_url(target_url)
    if source.get_backend_name() == "duckdb" == target.get_backend_name():
        same = bool(source.database and target.database) and (
            Path(source.database).resolve() == Path(target.database).resolve())
    else:
        same = source.render_as_string(hide_password=True) == target.render_as_string(hide_password=True)
    if same:
        raise BadRequest("The source and the target are the same database; give --to another database.")
