"""The store's schema history as Alembic revisions, shipped inside the package (no alembic.ini needed).

:func:`upgrade_to_head` is what ``open_store`` (and so ``helios-dash init-db``) runs:
a new database gets every revision, a database of an older HELIOS gets the ones it
lacks, a DuckDB file written before Alembic (``store_state.schema_version`` 1, no
``alembic_version``) is brought to the baseline and stamped first. A new revision
is a file in ``versions/`` whose ``down_revision`` is the current head.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from ..errors import StoreError

BASELINE = "0001_baseline"
PRE_ALEMBIC_VERSION = 1  # store_state.schema_version of every file the hand-written migrations wrote
FOLDER = Path(__file__).parent


class DuckDBImpl(DefaultImpl):
    """Alembic's operations on DuckDB (duckdb-engine's recipe): defining the class registers the dialect."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for this package's revisions, running on ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database at ``connection`` is at (None: not under Alembic)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(connection: Connection) -> None:
    """Bring the database to this code's head revision inside the caller's transaction, or refuse it."""
    config = alembic_config(connection)
    tables = set(sa.inspect(connection).get_table_names())
    if tables and "alembic_version" not in tables:
        _adopt_pre_alembic(connection, tables, config)
    current = current_revision(connection)
    if current is not None and not _is_known(config, current):
        raise StoreError(
            f"This database is at schema revision {current}, newer than this HELIOS knows; "
            "upgrade HELIOS Analytics to open it."
        )
    if current != head_revision():
        command.upgrade(config, "head")


def _is_known(config: Config, revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except Exception:  # alembic raises ResolutionError / CommandError for ids it has no file for
        return False


def _adopt_pre_alembic(connection: Connection, tables: set[str], config: Config) -> None:
    """Give a store written before Alembic what the baseline adds (the id sequence), then stamp it."""
    if "store_state" not in tables:
        raise StoreError(
            "This database was not written by HELIOS Analytics (it has no store_state table); "
            "point HELIOS_DATABASE_URL at a new file or move this one away."
        )
    version = connection.execute(sa.text("SELECT schema_version FROM store_state")).scalar()
    if version is None or version > PRE_ALEMBIC_VERSION:
        raise StoreError(
            f"This database uses schema version {version}, newer than this HELIOS "
            f"(version {PRE_ALEMBIC_VERSION}); upgrade HELIOS Analytics to open it."
        )
    if version < PRE_ALEMBIC_VERSION:
        raise StoreError(
            f"This database uses schema version {version} and no migration to "
            f"version {PRE_ALEMBIC_VERSION} exists; re-import its data into a new store."
        )
    # Ids were max(id) + 1 then: the sequence continues after the highest one.
    start = connection.execute(sa.text("SELECT coalesce(max(id), 0) + 1 FROM validations")).scalar_one()
    connection.execute(sa.text(f"CREATE SEQUENCE validations_id_seq START WITH {int(start)}"))
    connection.execute(sa.text(
        "ALTER TABLE validations ALTER COLUMN id SET DEFAULT nextval('validations_id_seq')"))
    command.stamp(config, BASELINE)
