"""The store: schema lifecycle, clear errors, data version, native reads."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash.errors import StoreError
from helios_dash.schema import SCHEMA_VERSION, domains
from helios_dash.store import open_store


def test_first_open_creates_the_schema(store):
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"domains", "algorithms", "validations", "store_state"} <= tables
    assert store.data_version() == 0


def test_every_write_changes_the_data_version(store):
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame({"id": ["q"], "name": ["Quantum"]}))
    assert store.data_version() == 1
    with store.write():
        pass
    assert store.data_version() == 2


def test_failed_write_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            store.append_frame(conn, domains, pd.DataFrame({"id": ["q"], "name": ["Quantum"]}))
            raise RuntimeError("boom")
    assert store.read(sa.select(domains)).empty
    assert store.data_version() == 0


def test_read_binds_parameters_and_expands_lists(store):
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "it's"]}))
    frame = store.read(sa.select(domains.c.id).where(domains.c.id.in_(["a", "c"]), domains.c.name != "A"))
    assert frame["id"].tolist() == ["c"]
    quoted = store.read(sa.select(domains.c.id).where(domains.c.name == "it's"))
    assert quoted["id"].tolist() == ["c"]


def test_reopening_keeps_data(store_url):
    first = open_store(store_url)
    with first.write() as conn:
        first.append_frame(conn, domains, pd.DataFrame({"id": ["q"], "name": ["Quantum"]}))
    first.close()
    again = open_store(store_url)
    assert again.read(sa.select(domains.c.id))["id"].tolist() == ["q"]
    again.close()


def _raw(path: str, *statements: str) -> None:
    con = duckdb.connect(path)
    for statement in statements:
        con.execute(statement)
    con.close()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path, store_url):
    open_store(store_url).close()
    _raw(str(tmp_path / "helios.duckdb"), f"UPDATE store_state SET schema_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this HELIOS"):
        open_store(store_url)


def test_older_schema_without_migration_is_refused(tmp_path, store_url):
    open_store(store_url).close()
    _raw(str(tmp_path / "helios.duckdb"), "UPDATE store_state SET schema_version = 0")
    with pytest.raises(StoreError, match="no migration"):
        open_store(store_url)


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    _raw(str(path), "CREATE TABLE validations (x INTEGER)")
    with pytest.raises(StoreError, match="not written by HELIOS"):
        open_store(f"duckdb:///{path}")


def test_locked_file_is_explained_in_one_sentence(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as caught:
            open_store(f"duckdb:///{path}")
        message = caught.value.message
        assert f"process {holder.pid}" in message and "in use" in message
        assert "\n" not in message and "Traceback" not in message
    finally:
        holder.kill()
        holder.wait()


def test_portable_append_path_writes_missing_values_as_null(store):
    store.is_duckdb = False  # the path a PostgreSQL deployment takes
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame({"id": ["q", "c"], "name": ["Quantum", "Crypto"],
                                                        "description": ["qubits", None]}))
    store.is_duckdb = True
    nulls = store.scalar(sa.select(sa.func.count()).select_from(domains).where(domains.c.description.is_(None)))
    assert nulls == 1


def test_a_stream_stopped_early_leaves_the_store_usable(store):
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame({"id": list("abcdef"), "name": list("ABCDEF")}))
    batches = store.read_batches(sa.select(domains).order_by(domains.c.id), rows=2)
    assert next(batches)["id"].tolist() == ["a", "b"]
    batches.close()  # what a cancelled download does
    assert store.data_version() == 1
    assert [len(b) for b in store.read_batches(sa.select(domains), rows=4)] == [4, 2]
