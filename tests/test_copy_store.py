"""migrate-store: a DuckDB store copied into an empty PostgreSQL (or DuckDB) store, checked, safe to re-run.

Rows are compared with pandas frames read from both sides, not with the checksum under test.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from helios_dash import schema
from helios_dash.data import arrow_tables
from helios_dash.data.copy_store import CopyMismatch, copy_store, tables_to_copy
from helios_dash.data.table_checksum import TableChecksum, canonical_text
from helios_dash.demo import seed_demo
from helios_dash.errors import BadRequest, Conflict, StoreError
from helios_dash.filters import Filters
from helios_dash.queries.leaderboard import select_leaderboard
from helios_dash.store import open_store
from helios_dash.accounts.audit import verify_chain
from helios_dash.accounts.sessions import start_session
from tests.auth import ensure_user, token_for
from tests.databases import database_url, postgres_database

# Values a CSV round trip could spoil: quotes, separators, newlines, tabs, empty text
# (not NULL), text that reads like NULL, non-ASCII, floats that need all 17 digits, microseconds.
AWKWARD_TEXT = ['say "hi", then go', "two\nlines", "tab\there", "", "\\N", "NULL", "Zürich ✓ 東京"]


def _seed_source(path: Path) -> str:
    url = f"duckdb:///{path}"
    store = open_store(url)
    try:
        seed_demo(store, validations=5000, progress=False)
        with store.write() as conn:
            first_id = conn.execute(sa.select(sa.func.max(schema.validations.c.id))).scalar_one() + 1
            algorithm, domain = conn.execute(sa.select(schema.algorithms.c.id, schema.algorithms.c.domain_id)
                                             .order_by(schema.algorithms.c.id).limit(1)).one()
            moment = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=timezone.utc)
            conn.execute(schema.validations.insert(), [
                dict(id=first_id + i, algorithm_id=algorithm, domain_id=domain, hypothesis_id=text,
                     quality=100 / 3 + i, confidence=0.1 + 1e-17 * i, speedup=1e-300 if i % 2 else 2.0000000000000004,
                     tests=i, validator=None if i % 3 else text, created_at=moment + timedelta(microseconds=i),
                     record_key=f"key-{i}")
                for i, text in enumerate(AWKWARD_TEXT)])
        # Accounts move with the data: a user, a token, a session and their audit entries.
        user = ensure_user(store, "admin", email="zoë@example.org")
        token_for(store, "admin", scopes=("read", "admin"))
        with store.records() as conn:
            start_session(conn, user.id, "127.0.0.1", 'agent "quoted"')
        # Hypotheses move too: their text stays the Fernet token it was (the copy never decrypts).
        with store.write() as conn:
            conn.execute(schema.hypotheses.insert().values(
                id="hyp_copy", text_encrypted="gAAAAA-not-decrypted-by-the-copy", domain_id=domain,
                author_id=user.id, status="failed", failure_reason=AWKWARD_TEXT[1], validator="benchmark",
                internal_notes=AWKWARD_TEXT[-1], created_at=moment, updated_at=moment))
        with store.records() as conn:  # research, webhooks and their outbox move too (secrets stay encrypted)
            conn.execute(schema.research_projects.insert().values(
                id="res_copy", name=AWKWARD_TEXT[0], domain_id=domain, validator="demo",
                hypotheses_encrypted="gAAAAA-research", total=1, done=1, status="completed",
                requester="{}", created_at=moment))
            conn.execute(schema.research_results.insert().values(
                project_id="res_copy", position=1, hypothesis_id="hyp_copy", status="failed",
                error=AWKWARD_TEXT[2], created_at=moment))
            conn.execute(schema.webhooks.insert().values(
                id="wh_copy", url="https://example.org/hook?t=1", events='["hypothesis.created"]',
                secret_encrypted="gAAAAA-webhook", owner_id=user.id, active=False, disabled_reason=AWKWARD_TEXT[1],
                consecutive_failures=3, dead_deliveries=1, created_at=moment))
            conn.execute(schema.webhook_deliveries.insert().values(
                id="msg_copy", webhook_id="wh_copy", event="hypothesis.created", payload='{"type": "x"}',
                status="dead", attempts=8, last_status=500, last_latency_ms=12.345678901234567,
                last_error=AWKWARD_TEXT[-1], created_at=moment, updated_at=moment))
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory) -> Path:
    """A DuckDB store with 5,000 demo validations and a few awkward rows; copied per test, never changed."""
    path = tmp_path_factory.mktemp("copy-source") / "source.duckdb"
    _seed_source(path)
    return path


@pytest.fixture
def source_url(seeded_file, tmp_path) -> str:
    """A private copy of the seeded source store."""
    path = tmp_path / "source.duckdb"
    path.write_bytes(seeded_file.read_bytes())
    return f"duckdb:///{path}"


@pytest.fixture
def pg_target():
    with postgres_database() as url:
        yield url


def _frame(url: str, table: sa.Table) -> pd.DataFrame:
    """Every row of ``table`` through pandas (a different reader from the copy's), in a fixed order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            frame = pd.read_sql(sa.select(*table.c), conn)
    finally:
        engine.dispose()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        elif frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
    return frame.sort_values(list(frame.columns), na_position="first", ignore_index=True)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in tables_to_copy()}
    finally:
        engine.dispose()


def _data_version(url: str) -> int:
    store = open_store(url)
    try:
        return store.data_version()
    finally:
        store.close()


def _file_digest(url: str) -> str:
    return hashlib.sha256(Path(sa.engine.make_url(url).database).read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_copy_reproduces_every_row_and_leaves_the_source_untouched(source_url, tmp_path, kind):
    before = _file_digest(source_url)
    with database_url(kind, tmp_path) as target_url:
        result = copy_store(source_url, target_url, progress=False)
        assert not result.already_copied
        names = [t.name for t in tables_to_copy()]
        assert {"domains", "algorithms", "validations", "users", "api_tokens", "sessions", "audit_log"} <= set(names)
        assert "store_state" not in names and not any(name.startswith("rollup") for name in names)
        assert [t.name for t in result.tables] == names
        for table in tables_to_copy():
            expected, copied = _frame(source_url, table), _frame(target_url, table)
            assert len(expected) > 0
            pd.testing.assert_frame_equal(copied, expected, check_dtype=False, check_exact=True)
        assert {t.name: t.rows for t in result.tables} == _counts(source_url)
        assert _data_version(target_url) == 1  # a fresh store starts at 0; the copy bumps it once
        copied_store = open_store(target_url)
        try:  # the audit log's hash chain holds on the target, and its sequence continues past the copy
            assert verify_chain(copied_store).ok
            ensure_user(copied_store, "viewer")
            assert verify_chain(copied_store).ok
        finally:
            copied_store.close()
    assert _file_digest(source_url) == before


def test_awkward_values_survive_exactly(source_url, pg_target):
    copy_store(source_url, pg_target, progress=False)
    engine = sa.create_engine(pg_target)
    v = schema.validations
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(v.c.hypothesis_id, v.c.validator, v.c.confidence, v.c.speedup, v.c.created_at)
                                .where(v.c.record_key.like("key-%")).order_by(v.c.record_key)).all()
    finally:
        engine.dispose()
    assert [row.hypothesis_id for row in rows] == AWKWARD_TEXT
    assert [row.validator for row in rows] == [text if i % 3 == 0 else None for i, text in enumerate(AWKWARD_TEXT)]
    assert [row.confidence for row in rows] == [0.1 + 1e-17 * i for i in range(len(AWKWARD_TEXT))]
    assert rows[1].speedup == 1e-300 and rows[0].speedup == 2.0000000000000004
    assert rows[6].created_at == datetime(2026, 3, 1, 9, 30, 0, 123462, tzinfo=timezone.utc)


def test_rerun_is_a_no_op(source_url, pg_target):
    first = copy_store(source_url, pg_target, progress=False)
    version = _data_version(pg_target)
    again = copy_store(source_url, pg_target, progress=False)
    assert again.already_copied
    assert again.tables == first.tables
    assert _data_version(pg_target) == version
    assert _counts(pg_target) == _counts(source_url)


def test_a_target_holding_other_data_is_refused(source_url, pg_target):
    store = open_store(pg_target)
    try:
        seed_demo(store, validations=100, progress=False)
    finally:
        store.close()
    held = _counts(pg_target)
    with pytest.raises(Conflict) as refused:
        copy_store(source_url, pg_target, progress=False)
    assert "validations: 100 rows" in refused.value.message and "empty database" in refused.value.message
    assert refused.value.message.count(".") == 1  # one sentence
    assert _counts(pg_target) == held


def test_a_target_holding_part_of_the_source_is_refused(source_url, pg_target):
    engine = sa.create_engine(pg_target)
    open_store(pg_target).close()
    try:
        with engine.begin() as conn:
            conn.execute(schema.domains.insert().values(id="physics", name="Physics"))
    finally:
        engine.dispose()
    with pytest.raises(Conflict, match="domains: 1 rows"):
        copy_store(source_url, pg_target, progress=False)


def test_an_interrupted_copy_leaves_the_target_empty_and_a_rerun_succeeds(source_url, pg_target, monkeypatch):
    real_csv = arrow_tables.to_csv
    written = []

    def failing_csv(batch):
        written.append(batch.num_rows)
        if len(written) == 3:  # in the middle of validations (domains and algorithms went first)
            raise RuntimeError("connection lost")
        return real_csv(batch)

    monkeypatch.setattr(arrow_tables, "to_csv", failing_csv)
    with pytest.raises(RuntimeError, match="connection lost"):
        copy_store(source_url, pg_target, progress=False, batch_rows=1000)
    assert len(written) == 3
    assert set(_counts(pg_target).values()) == {0}
    assert _data_version(pg_target) == 0

    monkeypatch.setattr(arrow_tables, "to_csv", real_csv)
    result = copy_store(source_url, pg_target, progress=False, batch_rows=1000)
    assert not result.already_copied
    assert _counts(pg_target) == _counts(source_url)


def test_a_copy_that_differs_from_its_source_is_rolled_back(source_url, pg_target, monkeypatch):
    real_csv = arrow_tables.to_csv

    def altering_csv(batch):
        if "quality" not in batch.column_names:
            return real_csv(batch)
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        index = table.column_names.index("quality")
        nudged = pa.array([q + 1e-9 if i == 0 else q for i, q in enumerate(table["quality"].to_pylist())])
        return real_csv(table.set_column(index, "quality", nudged))

    monkeypatch.setattr(arrow_tables, "to_csv", altering_csv)
    with pytest.raises(CopyMismatch, match="validations"):
        copy_store(source_url, pg_target, progress=False)
    assert set(_counts(pg_target).values()) == {0}


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_the_next_validation_gets_a_fresh_id(source_url, tmp_path, kind):
    with database_url(kind, tmp_path) as target_url:
        new_id, largest = _insert_after_copy(source_url, target_url)
    assert largest == _frame(source_url, schema.validations)["id"].max()
    assert new_id == largest + 1


def _insert_after_copy(source_url: str, target_url: str) -> tuple[int, int]:
    copy_store(source_url, target_url, progress=False)
    v = schema.validations
    store = open_store(target_url)
    try:
        largest = store.scalar(sa.select(sa.func.max(v.c.id)))
        with store.write() as conn:
            new_id = conn.execute(v.insert().values(
                algorithm_id="x", domain_id="y", quality=50, confidence=0.5, speedup=1.5, tests=1,
                created_at=datetime(2026, 3, 2, tzinfo=timezone.utc)).returning(v.c.id)).scalar_one()
    finally:
        store.close()
    return new_id, largest


def test_the_dashboard_shows_the_same_numbers_on_both(source_url, pg_target):
    copy_store(source_url, pg_target, progress=False)
    frames = []
    for url in (source_url, pg_target):
        store = open_store(url)
        try:
            frames.append(select_leaderboard(store, Filters()).sort_values("algorithm_id", ignore_index=True))
        finally:
            store.close()
    assert len(frames[0]) > 0
    pd.testing.assert_frame_equal(frames[1], frames[0], check_dtype=False, rtol=1e-12)


def test_a_source_held_by_another_process_is_explained(source_url, pg_target):
    path = sa.engine.make_url(source_url).database
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as refused:
            copy_store(source_url, pg_target, progress=False)
        assert "open in another process" in refused.value.message
        assert "stop that process or migrate a copy of the file" in refused.value.message
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    engine = sa.create_engine(pg_target)
    try:
        assert sa.inspect(engine).get_table_names() == []  # refused before the target was touched
    finally:
        engine.dispose()


def test_bad_arguments_are_refused(source_url, tmp_path):
    with pytest.raises(BadRequest, match="same database"):
        copy_store(source_url, source_url, progress=False)
    with pytest.raises(BadRequest, match="no store at"):
        copy_store(f"duckdb:///{tmp_path / 'missing.duckdb'}", f"duckdb:///{tmp_path / 'target.duckdb'}",
                   progress=False)
    assert not (tmp_path / "missing.duckdb").exists()


# -- the checksum itself -------------------------------------------------------------
def test_canonical_text_by_hand():
    kolkata = timezone(timedelta(hours=5, minutes=30))
    assert canonical_text(pa.array(["abc", "", None, "\\N"])).to_pylist() == ["3:abc", "0:", "\\N", "2:\\N"]
    assert canonical_text(pa.array([1, None], pa.int32())).to_pylist() == ["1", "\\N"]
    assert canonical_text(pa.array([0.1, 2.0, None])).to_pylist() == ["0.1", "2", "\\N"]
    assert canonical_text(pa.array([datetime(2026, 3, 1, 15, 0, 0, 5, tzinfo=kolkata)],
                                   pa.timestamp("us", tz="Asia/Kolkata"))).to_pylist() == ["2026-03-01 09:30:00.000005"]


def _checksum(*rows) -> TableChecksum:
    checksum = TableChecksum()
    checksum.add(pa.table({"a": [row[0] for row in rows], "b": [row[1] for row in rows]}))
    return checksum


def test_checksum_ignores_order_but_counts_repeats_and_tells_null_from_text():
    assert _checksum(("x", 1), ("y", 2)).hexdigest == _checksum(("y", 2), ("x", 1)).hexdigest
    assert _checksum(("x", 1), ("x", 1)).hexdigest != _checksum(("x", 1)).hexdigest
    assert _checksum(("x", 1), ("x", 1), ("y", 2)).hexdigest != _checksum(("y", 2)).hexdigest  # a XOR would agree
    assert _checksum((None, 1)).hexdigest != _checksum(("\\N", 1)).hexdigest
    assert _checksum(("a\tb", 1)).hexdigest != _checksum(("a", 1)).hexdigest


def test_the_target_rollups_are_built_from_the_copied_rows(source_url, pg_target):
    from helios_dash.data.rollups import check_rollups

    copy_store(source_url, pg_target, progress=False)
    store = open_store(pg_target)
    try:
        assert check_rollups(store) == []
        built = store.scalar(sa.text("SELECT count(*) FROM rollup_algorithm_days"))
    finally:
        store.close()
    assert built > 0


def test_the_command_prints_counts_and_checked(source_url, pg_target, monkeypatch):
    from click.testing import CliRunner

    from helios_dash.cli import main

    monkeypatch.setenv("HELIOS_DATABASE_URL", source_url)
    expected = _counts(source_url)
    first = CliRunner().invoke(main, ["migrate-store", "--to", pg_target])
    assert first.exit_code == 0, first.output
    for name, rows in expected.items():
        assert f"{name}: {rows:,} rows, checked" in first.output
    again = CliRunner().invoke(main, ["migrate-store", "--to", pg_target])
    assert again.exit_code == 0 and "already held exactly these rows" in again.output

    refused = CliRunner().invoke(main, ["migrate-store", "--to", source_url])
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines()[-1].startswith("Error: The source and the target are the same")


def test_a_postgresql_store_copies_back_into_duckdb(source_url, pg_target, tmp_path):
    copy_store(source_url, pg_target, progress=False)
    back = f"duckdb:///{tmp_path / 'back.duckdb'}"
    result = copy_store(pg_target, back, progress=False)
    assert not result.already_copied
    for table in tables_to_copy():
        pd.testing.assert_frame_equal(_frame(back, table), _frame(source_url, table), check_dtype=False,
                                      check_exact=True)


def test_two_copies_at_once_copy_once(source_url, pg_target):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: copy_store(source_url, pg_target, progress=False), range(2)))
    assert sorted(result.already_copied for result in results) == [False, True]
    assert _counts(pg_target) == _counts(source_url)
    assert _data_version(pg_target) == 1


def test_a_source_table_the_copy_does_not_know_is_refused(source_url, pg_target):
    engine = sa.create_engine(source_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE notes_from_the_future (body VARCHAR)")
            conn.exec_driver_sql("INSERT INTO notes_from_the_future VALUES ('kept')")
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match=r"notes_from_the_future, 1 rows"):
        copy_store(source_url, pg_target, progress=False)
