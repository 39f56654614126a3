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


def test_export_writes_the_file_whole(tmp_path):
    # A fresh interpreter: the command builds its own app, and Dash's page registry is per process.
    import os
    import subprocess
    import sys

    import pandas as pd

    env = {**os.environ, "HELIOS_DATABASE_URL": f"duckdb:///{tmp_path / 'cli.duckdb'}",
           "HELIOS_DEMO_VALIDATIONS": "3000"}
    target = tmp_path / "board.csv"
    done = subprocess.run([sys.executable, "-m", "helios_dash", "export", "leaderboard", "--format", "csv",
                           "--domain", "quantum", "--sort-by", "tests", "-o", str(target)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    frame = pd.read_csv(target)
    assert frame["Domain"].eq("Quantum").all() and frame["Tests"].is_monotonic_decreasing
    assert not list(tmp_path.glob("*.partial"))
    bad = subprocess.run([sys.executable, "-m", "helios_dash", "export", "leaderboard", "--start", "May 1"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "start='May 1'" in bad.stderr and "Traceback" not in bad.stderr
