"""Alembic manages the schema on both databases: upgrade from empty, stores written before
Alembic, newer databases refused, a second open changes nothing, new revisions picked up."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from helios_dash import migrations
from helios_dash.errors import StoreError
from helios_dash.schema import metadata, validations
from helios_dash.store import open_store


def run_sql(url: str, *statements: str) -> None:
    """Run statements on the database directly, as another program (or an older HELIOS) would."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def fetch(url: str, statement: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.text(statement))]
    engine.dispose()
    return rows


def add_validations(store, count: int) -> None:
    with store.write() as conn:
        store.append_frame(conn, validations, pd.DataFrame({
            "algorithm_id": ["a"] * count, "domain_id": ["d"] * count, "quality": [50.0] * count,
            "confidence": [0.5] * count, "speedup": [1.0] * count, "tests": [1] * count,
            "created_at": [pd.Timestamp("2026-03-01", tz="UTC")] * count}))


def test_a_new_database_is_upgraded_to_head(store_url):
    store = open_store(store_url)
    store.close()
    assert fetch(store_url, "SELECT version_num FROM alembic_version") == [(migrations.head_revision(),)]
    assert fetch(store_url, "SELECT id, schema_version, data_version FROM store_state") == [(1, 1, 0)]


def test_the_head_revision_creates_what_schema_py_declares(store):
    """A change to schema.py without a revision (or the reverse) shows up here."""
    with store.engine.connect() as conn:
        if store.is_duckdb:
            # duckdb-engine cannot reflect columns the way SQLAlchemy asks (pg_collation): tables,
            # columns and nullability are compared through DuckDB's information_schema.
            found = {}
            for table, column, nullable in conn.execute(sa.text(
                    "SELECT table_name, column_name, is_nullable = 'YES' FROM information_schema.columns "
                    "WHERE table_schema = 'main' AND table_name != 'alembic_version'")):
                found.setdefault(table, set()).add((column, nullable))
            assert found == {t.name: {(c.name, c.nullable) for c in t.columns} for t in metadata.sorted_tables}
            return
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    # Reflection does not report check constraints or server defaults' spelling; tables,
    # columns, types, nullability and indexes it does.
    assert differences == []


def test_a_second_open_changes_nothing(store_url, monkeypatch):
    open_store(store_url).close()

    def no_upgrade(*args, **kwargs):
        raise AssertionError("a store at head was upgraded again")

    monkeypatch.setattr(command, "upgrade", no_upgrade)
    monkeypatch.setattr(command, "stamp", no_upgrade)
    store = open_store(store_url)
    assert store.data_version() == 0
    store.close()


def make_pre_alembic(url: str, schema_version: int = 1) -> None:
    """Write what HELIOS wrote before Alembic: the baseline's tables without alembic_version or the
    id sequence, and ids 1..3 given as max(id) + 1."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), migrations.BASELINE)
    engine.dispose()
    run_sql(url,
            *(f"INSERT INTO validations (id, algorithm_id, domain_id, quality, confidence, speedup, tests, "
              f"created_at) VALUES ({i}, 'a', 'd', 50, 0.5, 1, 1, TIMESTAMP '2026-03-01 00:00:00')"
              for i in (1, 2, 3)),
            "DROP TABLE alembic_version",
            "ALTER TABLE validations ALTER COLUMN id DROP DEFAULT",
            "DROP SEQUENCE validations_id_seq",
            f"UPDATE store_state SET schema_version = {schema_version}")


def test_a_store_written_before_alembic_is_stamped_and_its_ids_continue(store_url):
    make_pre_alembic(store_url)
    store = open_store(store_url)
    assert fetch(store_url, "SELECT version_num FROM alembic_version") == [(migrations.head_revision(),)]
    add_validations(store, 2)
    ids = store.read(sa.select(validations.c.id).order_by(validations.c.id))["id"].tolist()
    assert ids == [1, 2, 3, 4, 5]
    assert store.data_version() == 1
    store.close()


def test_a_pre_alembic_store_of_a_newer_version_is_refused(store_url):
    make_pre_alembic(store_url, schema_version=2)
    with pytest.raises(StoreError, match="newer than this HELIOS"):
        open_store(store_url)


def test_a_pre_alembic_store_without_a_migration_is_refused(store_url):
    make_pre_alembic(store_url, schema_version=0)
    with pytest.raises(StoreError, match="no migration"):
        open_store(store_url)


def test_a_database_at_an_unknown_revision_is_refused_in_one_sentence(store_url):
    open_store(store_url).close()
    run_sql(store_url, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(StoreError) as caught:
        open_store(store_url)
    message = caught.value.message
    assert "9999_from_the_future" in message and "newer than this HELIOS" in message
    assert "\n" not in message and message.count(". ") == 0


def test_a_foreign_database_with_tables_is_refused(store_url):
    run_sql(store_url, "CREATE TABLE people (name VARCHAR)")
    with pytest.raises(StoreError, match="not written by HELIOS"):
        open_store(store_url)


NEXT_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "9000_test_notes"
down_revision = {head!r}


def upgrade():
    op.create_table("test_notes", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("text", sa.String))


def downgrade():
    op.drop_table("test_notes")
'''


def test_a_revision_file_added_to_versions_is_applied_on_open(store_url, tmp_path, monkeypatch):
    open_store(store_url).close()  # at today's head
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "9000_test_notes.py").write_text(NEXT_REVISION.format(head=migrations.head_revision()))
    monkeypatch.setattr(migrations, "FOLDER", folder)

    store = open_store(store_url)
    assert "test_notes" in sa.inspect(store.engine).get_table_names()
    assert fetch(store_url, "SELECT version_num FROM alembic_version") == [("9000_test_notes",)]
    store.close()

    monkeypatch.undo()  # the code without that revision refuses the database now
    with pytest.raises(StoreError, match="9000_test_notes"):
        open_store(store_url)


def test_a_failed_upgrade_leaves_the_database_as_it_was(store_url, tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    broken = NEXT_REVISION.format(head=migrations.head_revision()).replace(
        'op.create_table("test_notes"', 'op.execute("SELECT * FROM no_such_table"); op.create_table("test_notes"')
    (folder / "versions" / "9000_test_notes.py").write_text(broken)
    monkeypatch.setattr(migrations, "FOLDER", folder)
    with pytest.raises(StoreError):
        open_store(store_url)
    monkeypatch.undo()
    store = open_store(store_url)  # nothing half-created: a clean upgrade from empty
    assert fetch(store_url, "SELECT version_num FROM alembic_version") == [(migrations.head_revision(),)]
    store.close()
