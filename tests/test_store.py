"""The store: schema on open, clear errors, data version, reads, writes and their hooks, ids, time limits.

Schema revisions (Alembic, pre-Alembic files, newer databases) are in tests/test_migrations.py.
"""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash import store_timing
from helios_dash.errors import QueryTimeout, StoreError
from helios_dash.schema import algorithms, domains, store_state, validations
from helios_dash.store import open_store
from tests.databases import database_url


def add_domains(store, ids, names=None, descriptions=None):
    frame = pd.DataFrame({"id": ids, "name": names or [i.upper() for i in ids]})
    if descriptions is not None:
        frame["description"] = descriptions
    with store.write() as conn:
        store.append_frame(conn, domains, frame)


def test_first_open_creates_the_schema(store):
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"domains", "algorithms", "validations", "store_state", "alembic_version"} <= tables
    assert store.data_version() == 0


def test_every_write_changes_the_data_version(store):
    add_domains(store, ["q"])
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
    add_domains(store, ["a", "b", "c"], ["A", "B", "it's"])
    frame = store.read(sa.select(domains.c.id).where(domains.c.id.in_(["a", "c"]), domains.c.name != "A"))
    assert frame["id"].tolist() == ["c"]
    quoted = store.read(sa.select(domains.c.id).where(domains.c.name == "it's"))
    assert quoted["id"].tolist() == ["c"]
    percent = store.read(sa.select(domains.c.id).where(domains.c.name.like("it%")))
    assert percent["id"].tolist() == ["c"]
    # A literal % in a statement without parameters (SQLAlchemy writes it %% for psycopg).
    literal = sa.text("SELECT 7 % 3 AS r, 'a%%b' AS s")
    assert store.read(literal).to_dict("list") == {"r": [1], "s": ["a%%b"]}
    assert store.scalar(literal) == 1
    assert pd.concat(list(store.read_batches(literal)))["s"].tolist() == ["a%%b"]


def test_reopening_keeps_data(store_url):
    first = open_store(store_url)
    add_domains(first, ["q"])
    first.close()
    again = open_store(store_url)
    assert again.read(sa.select(domains.c.id))["id"].tolist() == ["q"]
    again.close()


def test_foreign_database_is_refused(store_url):
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE validations (x INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not written by HELIOS"):
        open_store(store_url)


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


def test_unreachable_postgresql_is_explained_in_one_sentence():
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://postgres@127.0.0.1:1/helios?connect_timeout=2")
    assert caught.value.message.startswith("Cannot open the database helios:")
    assert "\n" not in caught.value.message


def test_append_writes_missing_values_as_null(store):
    add_domains(store, ["q", "c", "e"], ["Quantum", "Crypto", "Empty"], ["qubits", None, ""])
    nulls = store.scalar(sa.select(sa.func.count()).select_from(domains).where(domains.c.description.is_(None)))
    empty = store.scalar(sa.select(sa.func.count()).select_from(domains).where(domains.c.description == ""))
    assert (nulls, empty) == (1, 1)


def test_text_that_looks_like_a_missing_value_reads_back_as_text(store):
    words = ["NA", "null", "NULL", "NaN", "N/A", "nan", "#N/A", "-nan", "None", "", " ", '"', "a,b"]
    ids = [f"d{i}" for i in range(len(words))]
    add_domains(store, ids, words, [None] * len(words))
    frame = store.read(sa.select(domains.c.name, domains.c.description).order_by(domains.c.id))
    assert frame["name"].tolist() == [words[int(i[1:])] for i in sorted(ids)]
    assert frame["description"].isna().all()


def test_a_stream_stopped_early_leaves_the_store_usable(store):
    add_domains(store, list("abcdef"))
    batches = store.read_batches(sa.select(domains).order_by(domains.c.id), rows=2)
    assert next(batches)["id"].tolist() == ["a", "b"]
    batches.close()  # what a cancelled download does
    assert store.data_version() == 1
    assert [len(b) for b in store.read_batches(sa.select(domains).order_by(domains.c.id), rows=4)] == [4, 2]
    add_domains(store, ["g"])  # writers are not blocked by the abandoned stream
    assert store.data_version() == 2


# -- one frame shape on both databases ----------------------------------------------------

VALIDATIONS = pd.DataFrame({
    "algorithm_id": ["a", "a", "b"], "domain_id": ["d", "d", "d"], "hypothesis_id": ["h", None, None],
    "quality": [80.5, 70.0, 90.0], "confidence": [0.5, 0.25, 1.0], "speedup": [2.0, 1.5, 3.0],
    "tests": [3, 4, 6], "validator": [None, "x", "y"],
    "created_at": pd.to_datetime(["2026-03-01 10:00:00.25", "2026-03-02 00:00", "2026-03-02 23:59"], utc=True, format="ISO8601"),
})
v = validations
STATEMENTS = {
    "raw rows": sa.select(v.c.id, v.c.algorithm_id, v.c.hypothesis_id, v.c.quality, v.c.tests, v.c.created_at)
    .order_by(v.c.id),
    "aggregates": sa.select(v.c.algorithm_id, sa.func.count().label("n"), sa.func.sum(v.c.tests).label("tests"),
                            sa.func.avg(v.c.tests).label("mean_tests"), sa.func.sum(v.c.quality).label("sq"),
                            sa.func.avg(v.c.quality).label("mq"), sa.func.max(v.c.created_at).label("last"))
    .group_by(v.c.algorithm_id).order_by(v.c.algorithm_id),
    "sum of counts": sa.select(sa.func.sum(sa.select(sa.func.count().label("k")).select_from(v).group_by(v.c.algorithm_id)
                                          .subquery().c.k).label("n")),
    "text sql": sa.text("SELECT sum(tests) AS tests, avg(tests) AS mean_tests, min(created_at) AS first "
                        "FROM validations"),
    "empty": sa.select(v.c.id, v.c.quality, v.c.created_at, v.c.validator).where(v.c.id < 0),
}


def _filled(url: str):
    store = open_store(url)
    with store.write() as conn:
        store.append_frame(conn, validations, VALIDATIONS)
    return store


def test_the_same_statement_gives_the_same_frame_on_both_databases(tmp_path):
    with database_url("duckdb", tmp_path) as duck_url, database_url("postgresql", tmp_path) as pg_url:
        duck, pg = _filled(duck_url), _filled(pg_url)
        try:
            for name, stmt in STATEMENTS.items():
                on_duckdb, on_postgresql = duck.read(stmt), pg.read(stmt)
                pd.testing.assert_frame_equal(on_duckdb, on_postgresql, obj=name)
                for store in (duck, pg):
                    batches = list(store.read_batches(stmt, rows=2))
                    if on_postgresql.empty:
                        assert sum(len(b) for b in batches) == 0
                        continue
                    streamed = pd.concat(batches, ignore_index=True)
                    pd.testing.assert_frame_equal(streamed, on_postgresql, obj=f"{name}, streamed")
        finally:
            duck.close()
            pg.close()
    assert str(on_duckdb["created_at"].dtype) == "datetime64[us, UTC]"


def test_frames_have_the_documented_dtypes(store):
    with store.write() as conn:
        store.append_frame(conn, validations, VALIDATIONS)
    frame = store.read(STATEMENTS["aggregates"])
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "algorithm_id": "str", "n": "int64", "tests": "int64", "mean_tests": "float64", "sq": "float64",
        "mq": "float64", "last": "datetime64[us, UTC]"}
    # By hand: a has tests 3 + 4 = 7 (mean 3.5), quality 80.5 + 70 = 150.5 (mean 75.25); b 6, 90.
    assert frame.to_dict("list") | {"last": None} == {
        "algorithm_id": ["a", "b"], "n": [2, 1], "tests": [7, 6], "mean_tests": [3.5, 6.0],
        "sq": [150.5, 90.0], "mq": [75.25, 90.0], "last": None}
    assert frame["last"].tolist() == [pd.Timestamp("2026-03-02 00:00", tz="UTC"),
                                      pd.Timestamp("2026-03-02 23:59", tz="UTC")]


# -- ids ----------------------------------------------------------------------------------

def test_ids_come_from_the_sequence(store):
    with store.write() as conn:
        store.append_frame(conn, validations, VALIDATIONS)  # no id column: the sequence's default
        first = store.reserve_ids(conn, 5)
        after = store.reserve_ids(conn, 1)
    assert store.read(sa.select(v.c.id).order_by(v.c.id))["id"].tolist() == [1, 2, 3]
    assert (first, after) == (4, 9)
    with store.write() as conn:
        store.append_frame(conn, validations, VALIDATIONS.iloc[:1])
    assert store.scalar(sa.select(sa.func.max(v.c.id))) == 10
    assert not hasattr(store, "next_id")


# -- hooks and listeners ------------------------------------------------------------------

def test_write_hooks_run_inside_the_transaction_before_the_version_moves(store):
    seen = []

    def hook(conn):
        seen.append((conn.execute(sa.select(sa.func.count()).select_from(domains)).scalar_one(),
                     conn.execute(sa.select(store_state.c.data_version)).scalar_one()))
        conn.execute(algorithms.insert().values(id="x", name="X", domain_id="q", type="novel",
                                                created_at=pd.Timestamp("2026-01-01", tz="UTC")))

    store.add_write_hook(hook)
    add_domains(store, ["q"])
    assert seen == [(1, 0)]  # the hook saw the write's rows, and the version before the bump
    assert store.scalar(sa.select(sa.func.count()).select_from(algorithms)) == 1
    assert store.data_version() == 1


def test_a_failing_write_hook_rolls_the_write_back(store):
    def hook(conn):
        raise RuntimeError("rollup failed")

    store.add_write_hook(hook)
    with pytest.raises(RuntimeError, match="rollup failed"):
        add_domains(store, ["q"])
    assert store.read(sa.select(domains)).empty and store.data_version() == 0


def test_commit_listeners_hear_the_new_version_and_cannot_break_a_write(store, caplog):
    heard = []

    def broken(version):
        raise ConnectionError("broker down")

    store.add_commit_listener(broken)
    store.add_commit_listener(heard.append)
    with caplog.at_level(logging.ERROR, logger="helios_dash.store"):
        add_domains(store, ["q"])
        add_domains(store, ["r"])
    assert heard == [1, 2] and store.data_version() == 2
    assert "commit listener" in caplog.text and "broker down" in caplog.text
    with pytest.raises(RuntimeError):
        with store.write():
            raise RuntimeError("boom")
    assert heard == [1, 2]  # nothing committed, nothing announced


# -- timing and time limits ---------------------------------------------------------------

def test_statements_are_counted_by_kind(store):
    before = store.statement_stats()
    store.read(sa.select(domains))
    store.scalar(sa.select(sa.func.count()).select_from(domains))
    list(store.read_batches(sa.select(domains)))
    add_domains(store, ["q"])
    after = store.statement_stats()
    assert after["read"]["count"] - before["read"]["count"] == 3
    assert after["write"]["count"] - before["write"]["count"] == 1
    assert after["read"]["total_seconds"] >= after["read"]["max_seconds"] > 0


def test_slow_statements_are_logged(store, caplog, monkeypatch):
    monkeypatch.setattr(store_timing, "SLOW_SECONDS", 0.0)
    with caplog.at_level(logging.WARNING, logger="helios_dash.store"):
        store.read(sa.select(domains.c.id).where(domains.c.name == "slow-marker"))
    assert "slow read statement" in caplog.text and "slow-marker" not in caplog.text  # bound, not inlined
    assert "FROM domains" in caplog.text


def _slow_count(store) -> sa.Select:
    """A statement that takes many seconds on either database: a large cross join, counted."""
    if store.is_duckdb:
        return sa.select(sa.text("count(*) AS n FROM range(200000) a, range(200000) b WHERE a.range * b.range % 7 = 3"))
    return sa.select(sa.text("count(*) AS n FROM generate_series(1, 100000) a, generate_series(1, 100000) b "
                             "WHERE a * b % 7 = 3"))


@pytest.fixture
def limited_store(store_url):
    opened = open_store(store_url, statement_timeout=0.2)
    yield opened
    opened.close()


def test_a_statement_over_the_time_limit_is_stopped_with_a_clear_error(limited_store):
    store = limited_store
    with pytest.raises(QueryTimeout) as caught:
        store.read(_slow_count(store))
    assert caught.value.http_status == 503 and caught.value.code == "QUERY_TIMEOUT"
    assert "too large to compute in 0.2 s" in caught.value.message and "narrow it" in caught.value.message
    with pytest.raises(QueryTimeout):
        store.scalar(_slow_count(store))
    with pytest.raises(QueryTimeout):
        list(store.read_batches(_slow_count(store)))
    # The store is still usable, and writes are not under the limit.
    add_domains(store, ["q"])
    assert store.read(sa.select(domains.c.id))["id"].tolist() == ["q"]
    assert store.data_version() == 1
