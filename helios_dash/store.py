"""The analytics store: engine, schema lifecycle, and the one gateway to the database.

Every statement goes through :class:`Store`: reads (``read``, ``read_batches``,
``scalar``) and write transactions (``write``). Each is timed
(``statement_stats``), reads run under a time limit, and the result comes back
in one set of dtypes on both databases (``store_frames``).

Native fast paths, each measured against ``pd.read_sql``:
- DuckDB: the compiled statement runs on the DuckDB connection and ``.df()``
  fetches the frame, about 8 times faster than ``pd.read_sql`` through SQLAlchemy
  (4.1x for the 200,000-record export on 2 loaded cores, bench/store_reads.py).
- PostgreSQL: ``COPY (query) TO STDOUT`` parsed by Arrow's CSV reader, typed by the
  result's PostgreSQL types (``store_postgres``). bench/store_reads.py, 200,000 demo
  validations, 2 cores: the 12-column record export in 0.59 s against 0.83 s for
  ``pd.read_sql`` on an idle machine (1.4x; 2.97 s against 3.69 s at load average 9;
  much of either is the server producing the rows); a per-algorithm aggregate is on
  par (1.0x: the server's work dominates). Bulk writes use COPY FROM STDIN: 20,000 rows
  in 0.089 s against 0.46 s for executemany (5.2x). Streams (``read_batches``) use a
  server-side cursor instead, so that each FETCH, not a whole download, is under the
  statement time limit.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import store_postgres
from .errors import StoreError
from .schema import store_state, validations_id_seq
from .store_frames import declared_kinds, duckdb_kinds, normalise
from .store_timing import Interrupter, StatementStats, timeout_error

log = logging.getLogger(__name__)

DEFAULT_STATEMENT_TIMEOUT = 30.0  # seconds
# pg_advisory_xact_lock keys: write transactions, schema upgrades, account and audit records.
WRITE_LOCK, SCHEMA_LOCK, RECORDS_LOCK = 0x48454C494F53, 0x48454C494F54, 0x48454C494F55  # "HELIOS"..."HELIOU"


class Store:
    """A HELIOS analytics database; open it with :func:`open_store`."""

    def __init__(self, engine: Engine, statement_timeout: float | None = DEFAULT_STATEMENT_TIMEOUT,
                 slow_seconds: float | None = None):
        self.engine = engine
        self.is_duckdb = engine.dialect.name == "duckdb"
        self.statement_timeout = statement_timeout or None
        self._stats = StatementStats(slow_seconds)  # statements slower than slow_seconds are logged
        self._write_hooks: list[Callable[[Connection], None]] = []
        self._commit_listeners: list[Callable[[int], None]] = []
        # Writers in this process take turns before asking the database: on DuckDB this is
        # the only serialisation there is (one process), on PostgreSQL it keeps threads from
        # holding pooled connections while they wait for the advisory lock.
        self._writer_turn = threading.Lock()
        self._records_turn = threading.Lock()

    # -- reads -----------------------------------------------------------------
    def read(self, stmt: sa.Executable) -> pd.DataFrame:
        """Run a SELECT and return its rows as a DataFrame (UTC timestamps, dtypes as in store_frames)."""
        sql, params = self._compile(stmt)
        with self._stats.timed("read", sql):
            raw = self.engine.raw_connection()
            try:
                frame, kinds = self._fetch(raw.driver_connection, sql, params)
            finally:
                raw.close()
        return normalise(frame, kinds | declared_kinds(stmt))

    def _fetch(self, connection, sql: str, params) -> tuple[pd.DataFrame, dict[str, str]]:
        if self.is_duckdb:
            with Interrupter(self.statement_timeout, connection.interrupt).armed():
                result = connection.execute(sql, params)
                kinds = duckdb_kinds((name, type_) for name, type_, *_ in result.description)
                return result.df(), kinds
        with self._postgres_timeout():
            return store_postgres.read_frame(connection, sql, params), {}

    def read_batches(self, stmt: sa.Executable, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """Run a SELECT and yield its rows ``rows`` at a time: large results never sit whole in memory."""
        sql, params = self._compile(stmt)
        kinds = declared_kinds(stmt)
        raw = self.engine.raw_connection()
        stream = self._stream(raw.driver_connection, sql, params, rows)
        finished, fetching = False, 0.0
        try:
            while True:
                # Only fetching counts as the statement's time, not the consumer's work between batches.
                started = time.perf_counter()
                batch = next(stream, None)
                fetching += time.perf_counter() - started
                if batch is None:
                    break
                yield normalise(batch, kinds)
            finished = True
        finally:
            self._stats.record("read", fetching, sql)
            stream.close()
            if not finished:
                # Stopped early (a cancelled download) or failed: the connection still holds an
                # open result (a server-side cursor on PostgreSQL), so it is discarded rather
                # than handed back to the pool.
                raw.invalidate()
            raw.close()

    def _stream(self, connection, sql: str, params, rows: int) -> Iterator[pd.DataFrame]:
        if not self.is_duckdb:
            with self._postgres_timeout():  # the limit applies to each FETCH of the server-side cursor
                yield from store_postgres.read_frames(connection, sql, params, rows)
            return
        limit = Interrupter(self.statement_timeout, connection.interrupt)
        with limit.armed():
            relation = connection.sql(sql, params=params)
            kinds = duckdb_kinds(zip(relation.columns, relation.types))
            reader = relation.to_arrow_reader(rows)
        while True:
            with limit.armed():
                batch = next(reader, None)
            if batch is None:
                return
            yield normalise(batch.to_pandas(), kinds)

    def scalar(self, stmt: sa.Executable):
        """The first column of the first row of a SELECT, or None."""
        with self._stats.timed("read", lambda: str(stmt)), self.engine.connect() as conn:
            if not self.is_duckdb:
                with self._postgres_timeout():
                    return conn.execute(stmt).scalar()
            with Interrupter(self.statement_timeout, conn.connection.driver_connection.interrupt).armed():
                return conn.execute(stmt).scalar()

    def rows(self, stmt: sa.Executable) -> list[dict]:
        """A small SELECT's rows as dicts (accounts, tokens, audit pages): timed and time-limited as ``read``."""
        with self._stats.timed("read", lambda: str(stmt)), self.engine.connect() as conn:
            if not self.is_duckdb:
                with self._postgres_timeout():
                    return [dict(row) for row in conn.execute(stmt).mappings()]
            with Interrupter(self.statement_timeout, conn.connection.driver_connection.interrupt).armed():
                return [dict(row) for row in conn.execute(stmt).mappings()]

    def data_version(self) -> int:
        """A counter that changes on every write: the cheap token pages poll."""
        return self.scalar(sa.select(store_state.c.data_version).where(store_state.c.id == 1))

    def statement_stats(self) -> dict[str, dict[str, float]]:
        """Per kind ("read", "write"): statements run, their total and longest seconds, in this process."""
        return self._stats.snapshot()

    def _compile(self, stmt: sa.Executable) -> tuple[str, list | dict]:
        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        if self.engine.dialect.positional:
            return str(compiled), [params[name] for name in compiled.positiontup or ()]
        return str(compiled), params

    @contextmanager
    def _postgres_timeout(self) -> Iterator[None]:
        """Turn PostgreSQL's statement_timeout cancellation into QueryTimeout."""
        import psycopg

        try:
            yield
        except (psycopg.errors.QueryCanceled, sa.exc.OperationalError) as exc:
            if isinstance(getattr(exc, "orig", exc), psycopg.errors.QueryCanceled):
                raise timeout_error(self.statement_timeout or 0) from None
            raise

    # -- writes ----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction, one writer at a time, that runs the write hooks and bumps the data version.

        Writes are not under the statement time limit (an import may take minutes), but are
        timed as one "write" statement. Commit listeners hear the new data version after the commit.
        """
        with self._writer_turn, self._stats.timed("write", "write transaction"):
            with self.engine.begin() as conn:
                if not self.is_duckdb:
                    conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
                    # Writers are batch imports: serialising them keeps "rows inserted after
                    # data version X" exact, and a reserved block of ids contiguous.
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
                yield conn
                for hook in self._write_hooks:
                    hook(conn)
                version = conn.execute(
                    store_state.update()
                    .where(store_state.c.id == 1)
                    .values(data_version=store_state.c.data_version + 1, updated_at=_utcnow())
                    .returning(store_state.c.data_version)
                ).scalar_one()
        self._announce(version)

    @contextmanager
    def records(self) -> Iterator[Connection]:
        """A transaction over account, session, token and audit rows: no write hooks, no data version bump.

        Sign-ins must not wait behind a minutes-long import, nor make every page refresh, so these
        take their own turn (and their own advisory lock on PostgreSQL), which also keeps the
        audit log's hash chain linear. An import that audits itself takes the write lock first,
        then this one; nothing takes them the other way round, so they cannot deadlock.
        """
        with self._records_turn, self._stats.timed("write", "records transaction"):
            with self.engine.begin() as conn:
                if not self.is_duckdb:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORDS_LOCK})
                yield conn

    @contextmanager
    def audited_write(self) -> Iterator[Connection]:
        """``write()`` that may also append audit entries: it holds the records turn (and lock) too.

        Always the write lock first, then the records lock, as an import that audits itself does,
        so the two cannot deadlock; the audit chain stays linear.
        """
        with self.write() as conn, self._records_turn:
            if not self.is_duckdb:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORDS_LOCK})
            yield conn

    def add_write_hook(self, hook: Callable[[Connection], None]) -> None:
        """Run ``hook(conn)`` inside every write transaction, just before the data version is bumped."""
        self._write_hooks.append(hook)

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(version)`` after every committed write with the new data version."""
        self._commit_listeners.append(listener)

    def _announce(self, version: int) -> None:
        for listener in self._commit_listeners:
            try:
                listener(version)
            except Exception:  # a listener's failure must not undo or fail a committed write
                log.exception("commit listener %r failed for data version %s", listener, version)

    def reserve_ids(self, conn: Connection, count: int, sequence: sa.Sequence = validations_id_seq) -> int:
        """Take ``count`` consecutive values of ``sequence`` in one statement; return the first.

        The block is consecutive because every writer holds the write lock (``write()``):
        nothing else draws from the sequence between nextval and setval.
        """
        if count < 1:
            raise ValueError(f"count must be 1 or more, not {count}")
        name = sequence.name
        last = conn.execute(sa.text(f"SELECT setval('{name}', nextval('{name}') + :extra)"),
                            {"extra": count - 1}).scalar_one()
        return int(last) - count + 1

    def append_frame(self, conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
        """Insert a DataFrame's rows into ``table`` inside the open transaction ``conn``.

        Columns the frame lacks take their defaults (``validations.id`` its sequence).
        """
        if frame.empty:
            return
        columns = [c for c in frame.columns if c in table.c]
        if not self.is_duckdb:
            store_postgres.copy_in(conn.connection.driver_connection, table.name, columns, frame)
            return
        raw = conn.connection.driver_connection
        raw.register("_helios_incoming", frame[columns])
        try:
            names = ", ".join(f'"{c}"' for c in columns)
            raw.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM _helios_incoming')
        finally:
            raw.unregister("_helios_incoming")

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, statement_timeout: float | None = DEFAULT_STATEMENT_TIMEOUT,
               slow_seconds: float | None = None) -> Store:
    """Open the store at ``url``, creating or upgrading its schema to this code's Alembic head.

    ``statement_timeout`` (seconds, None for none) bounds every read; statements slower than
    ``slow_seconds`` (None: store_timing.SLOW_SECONDS) are logged. Raises
    :class:`StoreError` with a one-sentence message when the file is locked by
    another process or the database was not written by (this or an older) HELIOS.
    """
    from .data.rollups import register_rollups
    from .migrations import upgrade_to_head

    _ensure_parent_dir(url)
    engine = _engine(url, statement_timeout)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Two processes opening a new database at once: the second waits, then finds
                # the schema at head. Upgrades may take longer than a read may.
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            upgrade_to_head(conn)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise _explain(exc, url) from None
    except BaseException:
        engine.dispose()
        raise
    return register_rollups(Store(engine, statement_timeout, slow_seconds))


def _engine(url: str, statement_timeout: float | None) -> Engine:
    dialect = sa.engine.make_url(url).get_backend_name()
    if dialect == "postgresql":
        # Timestamps leave the store in UTC, and date_trunc works in UTC as on DuckDB.
        options = "-c timezone=UTC"
        if statement_timeout:
            options += f" -c statement_timeout={int(statement_timeout * 1000)}"
        return sa.create_engine(url, connect_args={"options": options}, pool_pre_ping=True)
    engine = sa.create_engine(url)
    if dialect == "duckdb":
        sa.event.listen(engine, "connect", _duckdb_session_setup)
    return engine


def _duckdb_session_setup(dbapi_connection, _record) -> None:
    # Timestamps leave the store in UTC; pages convert to the viewer's zone.
    dbapi_connection.execute("SET TimeZone = 'UTC'")
    # DuckDB draws its own progress bar on stdout for queries over 2 s; our
    # commands show theirs, and a server's stdout is not a terminal.
    dbapi_connection.execute("SET enable_progress_bar = false")


_LOCK_HOLDER = re.compile(r"held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def _explain(exc: sa.exc.DBAPIError, url: str) -> StoreError:
    text = str(exc.orig)
    if "Could not set lock" in text:
        holder = _LOCK_HOLDER.search(text)
        who = f"process {holder['pid']} ({holder['program']})" if holder else "another process"
        return StoreError(
            f"The database {_path_of(url)} is in use by {who}; stop it, or set "
            "HELIOS_DATABASE_URL to another file."
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__
    return StoreError(f"Cannot open the database {_path_of(url)}: {first_line}")


def _ensure_parent_dir(url: str) -> None:
    if sa.engine.make_url(url).get_backend_name() != "duckdb":
        return
    path = _path_of(url)
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _path_of(url: str) -> str:
    return sa.engine.make_url(url).database or ":memory:"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
