"""The analytics store: engine, schema lifecycle, and the one gateway to the database.

Every read goes through :meth:`Store.read`. On DuckDB it executes the compiled
SQLAlchemy statement natively and fetches a DataFrame with ``.df()``, which
measured about 8 times faster than ``pd.read_sql`` through SQLAlchemy; other
databases take the portable path.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .errors import StoreError
from .schema import SCHEMA_VERSION, metadata, store_state

# Each entry upgrades a store from version N to N + 1, in one transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


class Store:
    """A HELIOS analytics database; open it with :func:`open_store`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_duckdb = engine.dialect.name == "duckdb"

    # -- reads -----------------------------------------------------------------
    def read(self, stmt: sa.Executable) -> pd.DataFrame:
        """Run a SELECT and return its rows as a DataFrame (UTC timestamps)."""
        if not self.is_duckdb:
            with self.engine.connect() as conn:
                return pd.read_sql(stmt, conn)
        sql, params = self._compile(stmt)
        raw = self.engine.raw_connection()
        try:
            return raw.driver_connection.execute(sql, params).df()
        finally:
            raw.close()

    def read_batches(self, stmt: sa.Executable, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """Run a SELECT and yield its rows ``rows`` at a time: large results never sit whole in memory."""
        if not self.is_duckdb:
            with self.engine.connect() as conn:
                yield from pd.read_sql(stmt, conn, chunksize=rows)
            return
        sql, params = self._compile(stmt)
        raw = self.engine.raw_connection()
        finished = False
        try:
            for batch in raw.driver_connection.sql(sql, params=params).to_arrow_reader(rows):
                yield batch.to_pandas()
            finished = True
        finally:
            if not finished:
                # Stopped early (a cancelled download): the connection still holds an open
                # result, so it is discarded rather than handed back to the pool.
                raw.invalidate()
            raw.close()

    def scalar(self, stmt: sa.Executable):
        """The first column of the first row of a SELECT, or None."""
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar()

    def data_version(self) -> int:
        """A counter that changes on every write: the cheap token pages poll."""
        return self.scalar(sa.select(store_state.c.data_version).where(store_state.c.id == 1))

    def _compile(self, stmt: sa.Executable) -> tuple[str, list]:
        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        return str(compiled), [params[name] for name in compiled.positiontup or ()]

    # -- writes ----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that bumps the data version; all or nothing."""
        with self.engine.begin() as conn:
            yield conn
            conn.execute(
                store_state.update()
                .where(store_state.c.id == 1)
                .values(data_version=store_state.c.data_version + 1, updated_at=_utcnow())
            )

    def append_frame(self, conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
        """Insert a DataFrame's rows into ``table`` inside the open transaction ``conn``."""
        if frame.empty:
            return
        columns = [c for c in frame.columns if c in table.c]
        if self.is_duckdb:
            raw = conn.connection.driver_connection
            raw.register("_helios_incoming", frame[columns])
            try:
                names = ", ".join(f'"{c}"' for c in columns)
                raw.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM _helios_incoming')
            finally:
                raw.unregister("_helios_incoming")
        else:
            rows = frame[columns].astype(object)
            conn.execute(table.insert(), rows.where(rows.notna(), None).to_dict("records"))  # NaN -> NULL

    def next_id(self, conn: Connection, table: sa.Table) -> int:
        """The next free integer ``id`` of ``table``; callers hold the write transaction."""
        return (conn.execute(sa.select(sa.func.max(table.c.id))).scalar_one() or 0) + 1

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Open (creating or migrating if needed) the store at ``url``.

    Raises :class:`StoreError` with a one-sentence message when the file is
    locked by another process or was written by an incompatible schema.
    """
    _ensure_parent_dir(url)
    engine = sa.create_engine(url)
    if engine.dialect.name == "duckdb":
        sa.event.listen(engine, "connect", _duckdb_session_setup)
    store = Store(engine)
    try:
        with engine.begin() as conn:
            _ensure_schema(conn)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise _explain(exc, url) from None
    return store


def _ensure_schema(conn: Connection) -> None:
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    if not existing:
        metadata.create_all(conn)
        conn.execute(store_state.insert().values(id=1, schema_version=SCHEMA_VERSION, data_version=0,
                                                 updated_at=_utcnow()))
        return
    if "store_state" not in existing:
        raise StoreError(
            "This database was not written by HELIOS Analytics (it has no store_state table); "
            "point HELIOS_DATABASE_URL at a new file or move this one away."
        )
    version = conn.execute(sa.select(store_state.c.schema_version)).scalar()
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"This database uses schema version {version}, newer than this HELIOS "
            f"(version {SCHEMA_VERSION}); upgrade HELIOS Analytics to open it."
        )
    for step in range(version, SCHEMA_VERSION):
        if step not in MIGRATIONS:
            raise StoreError(
                f"This database uses schema version {version} and no migration to "
                f"version {SCHEMA_VERSION} exists; re-import its data into a new store."
            )
        MIGRATIONS[step](conn)
        conn.execute(store_state.update().values(schema_version=step + 1))
    metadata.create_all(conn)  # tables added without a version change (none yet)


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
    path = _path_of(url)
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _path_of(url: str) -> str:
    return sa.engine.make_url(url).database or ":memory:"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
