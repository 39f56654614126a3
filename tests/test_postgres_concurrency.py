"""Several processes on one PostgreSQL database: schema created once, writers serialized, ids never collide."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from helios_dash.importer import import_file
from helios_dash.migrations import head_revision
from helios_dash.schema import validations
from helios_dash.store import open_store
from tests.databases import postgres_database

REPO = Path(__file__).resolve().parents[1]
HEADER = "algorithm,domain,quality,confidence,speedup,tests,created_at"


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url


def test_two_processes_opening_a_new_database_create_the_schema_once(pg_url):
    script = "import sys; from helios_dash.store import open_store; print(open_store(sys.argv[1]).data_version())"
    openers = [subprocess.Popen([sys.executable, "-c", script, pg_url], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [opener.communicate(timeout=120) for opener in openers]
    assert [opener.returncode for opener in openers] == [0, 0], [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["0", "0"]
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [(head_revision(),)]
        assert conn.execute(sa.text("SELECT count(*) FROM store_state")).scalar_one() == 1
    engine.dispose()


def write_file(folder: Path, name: str, algorithm: str, rows: int) -> Path:
    path = folder / name  # every row distinct: records without ids are keyed by their content
    lines = [HEADER] + [f"{algorithm},quantum,{50 + i / 1000},0.5,1.5,{i % 9},2026-03-02T00:{i % 60:02d}:00Z"
                        for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_two_stores_importing_at_once_get_distinct_ids(pg_url, tmp_path):
    open_store(pg_url).close()
    files = [write_file(tmp_path, "a.csv", "QAOA", 3000), write_file(tmp_path, "b.csv", "Grover", 2000)]
    stores = [open_store(pg_url), open_store(pg_url)]  # two engines: what two processes would be
    start, errors = threading.Barrier(2), []

    def run(store, path):
        try:
            start.wait()
            import_file(store, path)
        except Exception as exc:  # reported below, with the test's failure
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(stores, files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    ids = stores[0].read(sa.select(validations.c.id, validations.c.algorithm_id).order_by(validations.c.id))
    assert len(ids) == 5000 and ids["id"].is_unique
    assert ids["id"].tolist() == list(range(1, 5001))
    # Each file's rows got one consecutive block: the writers did not interleave.
    for _, block in ids.groupby("algorithm_id"):
        assert block["id"].max() - block["id"].min() + 1 == len(block)
    assert stores[0].data_version() == 2
    for store in stores:
        store.close()


def test_a_second_writer_waits_for_the_first(pg_url):
    first, second = open_store(pg_url), open_store(pg_url)
    second_done = threading.Event()

    def write_second():
        with second.write() as conn:
            conn.execute(sa.text("SELECT 1"))
        second_done.set()

    with first.write() as conn:
        waiter = threading.Thread(target=write_second)
        waiter.start()
        assert _wait_for_a_blocked_advisory_lock(first), "the second writer never asked for the write lock"
        assert not second_done.is_set()
        first_version = conn.execute(sa.text("SELECT data_version FROM store_state")).scalar_one()
    waiter.join(timeout=30)
    assert second_done.is_set()
    assert (first_version, first.data_version()) == (0, 2)
    first.close()
    second.close()


def _wait_for_a_blocked_advisory_lock(store) -> bool:
    """Poll pg_locks (through another connection) until a session waits for an advisory lock."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        waiting = store.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
        if waiting:
            return True
        time.sleep(0.05)
    return False
