"""The helios-dash command line: readable results and one-line errors, exit codes."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from helios_dash.cli import main

HEADER = "algorithm,domain,quality,confidence,speedup,tests,created_at\n"


@pytest.fixture
def run(store_url, monkeypatch):
    monkeypatch.setenv("HELIOS_DATABASE_URL", store_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def test_init_db_then_seed_demo(run):
    assert run("init-db").exit_code == 0
    result = run("seed-demo", "--validations", "3000")
    assert result.exit_code == 0, result.output
    assert "3,000 validations" in result.output
    again = run("seed-demo", "--validations", "10")
    assert again.exit_code == 1 and "empty store" in again.output and "Traceback" not in again.output


def test_import_reports_counts_then_duplicates(run, tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text(HEADER + "Warm VQE,quantum,80,0.9,2,10,2026-03-01T10:00:00+02:00\n"
                             "Tabu,optimization,70,0.8,1.5,4,2026-03-02\n")
    first = run("import", str(path))
    assert first.exit_code == 0, first.output
    assert "Imported 2 of 2 rows" in first.output and "created 2 domains and 2 algorithms" in first.output
    assert "Imported 0 of 2 rows (2 already present)" in run("import", str(path)).output


def test_import_rejects_a_bad_file_in_one_line(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Warm VQE,quantum,180,0.9,2,10,2026-03-01\n")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "line 2, column quality" in result.output and "Traceback" not in result.output


def test_import_with_column_map(run, tmp_path):
    path = tmp_path / "renamed.csv"
    path.write_text("algo,domain,score,confidence,speedup,tests,when\nA,quantum,80,0.9,2,10,2026-03-01\n")
    result = run("import", str(path), "--map", "algo=algorithm", "--map", "score=quality", "--map", "when=created_at")
    assert result.exit_code == 0, result.output
    assert "Imported 1 of 1 rows" in result.output


def test_export_writes_the_file_whole(run, tmp_path, monkeypatch):
    # In-process: the command builds the runtime alone, not Dash (whose page registry is per process).
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    assert run("seed-demo", "--validations", "3000").exit_code == 0
    target = tmp_path / "board.csv"
    done = run("export", "leaderboard", "--format", "csv", "--domain", "quantum", "--sort-by", "tests",
               "-o", str(target))
    assert done.exit_code == 0, done.output
    frame = pd.read_csv(target)
    assert len(frame) > 0 and frame["Domain"].eq("Quantum").all() and frame["Tests"].is_monotonic_decreasing
    assert not list(tmp_path.glob("*.partial"))
    bad = run("export", "leaderboard", "--start", "May 1")
    assert bad.exit_code == 1 and "start='May 1'" in bad.output and "Traceback" not in bad.output


def test_export_never_seeds_demo_data(run, store_url, tmp_path, monkeypatch):
    # Demo mode is on by default, yet an export of an empty store leaves it empty and says why it failed.
    from helios_dash.store import open_store

    monkeypatch.setenv("HELIOS_DEMO_DATA", "1")
    monkeypatch.chdir(tmp_path)
    result = run("export", "leaderboard", "--domain", "quantum")
    assert result.exit_code == 1 and "unknown domain(s) 'quantum'" in result.output
    store = open_store(store_url)
    try:
        assert store.read(sa_count_validations())["n"].iloc[0] == 0
    finally:
        store.close()


def sa_count_validations():
    import sqlalchemy as sa

    from helios_dash.schema import validations

    return sa.select(sa.func.count().label("n")).select_from(validations)


def test_a_worker_without_redis_says_what_to_set(run, monkeypatch):
    monkeypatch.delenv("HELIOS_REDIS_URL", raising=False)
    result = run("worker")
    assert result.exit_code == 1 and "set HELIOS_REDIS_URL" in result.output and "Traceback" not in result.output


def test_rebuild_rollups_checks_finds_drift_and_mends_it(run, store_url):
    import sqlalchemy as sa

    from helios_dash.data.rollups import ROLLUPS
    from helios_dash.store import open_store

    assert run("seed-demo", "--validations", "2000").exit_code == 0
    assert "Rollups match" in run("rebuild-rollups", "--check").output
    store = open_store(store_url)
    try:
        day = ROLLUPS[("algorithm", "day")]
        with store.engine.begin() as conn:  # behind the store's back: what drift looks like
            conn.execute(day.update().values(validations=day.c.validations + 1))
    finally:
        store.close()
    drifted = run("rebuild-rollups", "--check")
    assert drifted.exit_code == 1 and "rollup_algorithm_days" in drifted.output and "Traceback" not in drifted.output
    rebuilt = run("rebuild-rollups")
    assert rebuilt.exit_code == 0 and "from 2,000 validations" in rebuilt.output
    assert run("rebuild-rollups", "--check").exit_code == 0


def test_migrate_store_copies_into_postgresql_then_says_it_is_done(run, tmp_path, monkeypatch):
    from tests.databases import postgres_database

    monkeypatch.setenv("HELIOS_DATABASE_URL", f"duckdb:///{tmp_path / 'source.duckdb'}")
    assert run("seed-demo", "--validations", "1500").exit_code == 0
    with postgres_database() as target:
        first = run("migrate-store", "--to", target)
        assert first.exit_code == 0, first.output
        assert "validations: 1,500 rows, checked" in first.output and "checksums match" in first.output
        again = run("migrate-store", "--to", target)
        assert again.exit_code == 0 and "nothing was changed" in again.output
