"""Benchmark: each page query read from the rollups against the same query on the raw table, same run.

    .venv/bin/python bench/queries.py [--size 10000000] [--databases duckdb postgresql]
                                      [--sizes 1000000 10000000 100000000] [--runs 20] [--raw-runs 5]

For ``--size`` validations (the demo generator, 365 days) it seeds a temporary DuckDB file
and a throwaway PostgreSQL database on 127.0.0.1 (created here, dropped at the end), then
for each query compares the rollup answer with the raw-table answer (counts equal, sums and
means within 1e-9 relative) and times both: median (p50) of ``--runs`` rollup runs and of
``--raw-runs`` raw runs, after a warm-up. ``--sizes`` adds the growth row: the all-time
leaderboard on DuckDB at each size. Prints Markdown tables; bench/RESULTS.md keeps a copy.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash import queries  # noqa: E402
from helios_dash.demo import seed_demo  # noqa: E402
from helios_dash.filters import Filters  # noqa: E402
from helios_dash.queries._rollups import reading_from  # noqa: E402
from helios_dash.schema import validations  # noqa: E402
from helios_dash.store import open_store  # noqa: E402

POSTGRES_SERVER = os.environ.get("HELIOS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGETS_MS = {  # issue 9, section 6: (DuckDB, PostgreSQL) at 10M validations
    "leaderboard, all time": (20, 100),
    "leaderboard, 90 days with rank change": (25, 150),
    "domain stats": (20, 100),
    "trends (day, Asia/Kolkata, 1 year)": (30, 200),
    "comparison (4)": (30, 150),
}


def cases(store) -> dict:
    """The five page queries of the issue's table, with the filters they are timed on."""
    newest = store.scalar(sa.select(sa.func.max(validations.c.created_at))).date()
    top4 = tuple(store.read(sa.select(validations.c.algorithm_id, sa.func.count().label("n"))
                            .group_by(validations.c.algorithm_id).order_by(sa.desc("n"), validations.c.algorithm_id)
                            .limit(4))["algorithm_id"])
    year = Filters(start=newest - timedelta(days=364), end=newest, granularity="day", tz="Asia/Kolkata")
    return {
        "leaderboard, all time": (queries.select_leaderboard, Filters()),
        "leaderboard, 90 days with rank change": (queries.select_leaderboard,
                                                  Filters(start=newest - timedelta(days=89), end=newest)),
        "domain stats": (queries.select_domain_stats, Filters()),
        "trends (day, Asia/Kolkata, 1 year)": (queries.select_performance_trends, year),
        "comparison (4)": (queries.select_algorithm_comparison, Filters(algorithms=top4)),
    }


def check_same(name: str, rollup: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Fail loudly unless both answers agree: integer columns equal, the others within 1e-9 relative."""
    assert list(rollup.columns) == list(raw.columns), name
    assert len(rollup) == len(raw), name
    for column in rollup.columns:
        ours, theirs = rollup[column], raw[column]
        if pd.api.types.is_float_dtype(ours) or pd.api.types.is_float_dtype(theirs):
            np.testing.assert_allclose(ours.astype(float), theirs.astype(float), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name}: {column}")
        else:
            assert ours.astype(str).tolist() == theirs.astype(str).tolist(), f"{name}: {column}"


def timed(function, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process-CPU milliseconds of ``runs`` calls, after one warm-up call.

    CPU time (this process and DuckDB's threads in it, not a PostgreSQL server) moves less
    than wall time on a shared machine.
    """
    function()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def rollup_and_raw(store, query, filters, runs: int, raw_runs: int, name: str) -> tuple[float, ...]:
    """Both answers compared, then the median milliseconds of each: rollup wall, raw wall, rollup CPU, raw CPU."""
    with reading_from("raw"):
        raw_answer = query(store, filters)
    check_same(name, query(store, filters), raw_answer)
    rollup_wall, rollup_cpu = timed(lambda: query(store, filters), runs)
    with reading_from("raw"):
        raw_wall, raw_cpu = timed(lambda: query(store, filters), raw_runs)
    return tuple(statistics.median(s) for s in (rollup_wall, raw_wall, rollup_cpu, raw_cpu))


@contextmanager
def seeded(kind: str, size: int, folder: Path):
    """A store of ``kind`` ("duckdb" or "postgresql") holding ``size`` demo validations over 365 days."""
    if kind == "duckdb":
        url, drop = f"duckdb:///{folder / f'bench-{size}.duckdb'}", None
    else:
        name = f"helios_bench_{uuid.uuid4().hex[:10]}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        url, drop = f"{POSTGRES_SERVER}/{name}", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    store = None
    try:
        store = open_store(url, statement_timeout=None)
        start = time.perf_counter()
        seed_demo(store, validations=size, days=365, progress=True)
        seconds = time.perf_counter() - start
        if kind == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
        print(f"{kind}: seeded {size:,} validations (rollups included) in {seconds:.1f} s", file=sys.stderr)
        yield store
    finally:
        if store is not None:
            store.close()
        if drop:
            _postgres_admin(drop)


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_SERVER.replace("+psycopg", "") + "/postgres", autocommit=True) as admin:
        admin.execute(statement)


def bench_databases(size: int, databases: list[str], runs: int, raw_runs: int, folder: Path) -> list[tuple]:
    rows = []
    for kind in databases:
        with seeded(kind, size, folder) as store:
            for name, (query, filters) in cases(store).items():
                times = rollup_and_raw(store, query, filters, runs, raw_runs, f"{kind} {name}")
                rows.append((kind, name, *times))
                print(f"{kind} {name}: rollup, raw, rollup CPU, raw CPU ms: {times}", file=sys.stderr)
    return rows


def bench_growth(sizes: list[int], runs: int, raw_runs: int, folder: Path) -> list[tuple]:
    rows = []
    for size in sizes:
        with seeded("duckdb", size, folder) as store:
            times = rollup_and_raw(store, queries.select_leaderboard, Filters(), runs, raw_runs, f"growth {size}")
            rows.append((size, *times))
            print(f"growth {size:,}: rollup, raw, rollup CPU, raw CPU ms: {times}", file=sys.stderr)
        (folder / f"bench-{size}.duckdb").unlink(missing_ok=True)
    return rows


def print_tables(size: int, rows: list[tuple], growth: list[tuple], runs: int, raw_runs: int, load: str) -> None:
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}; p50 of {runs} rollup runs and {raw_runs} raw runs, after a warm-up; "
          f"load average {load}. CPU: this process's CPU time (DuckDB's threads included; a PostgreSQL "
          "server's work is not).\n")
    if rows:
        print(f"{size:,} validations (demo data, 365 days); the rollup answer equals the raw answer in every row.\n")
        print("| database | query | rollup p50 ms | raw p50 ms | raw / rollup | rollup CPU ms | raw CPU ms "
              "| target | met |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for kind, name, rollup, raw, rollup_cpu, raw_cpu in rows:
            target = TARGETS_MS[name][0 if kind == "duckdb" else 1]
            print(f"| {kind} | {name} | {rollup:.1f} | {raw:.1f} | {raw / rollup:.1f}x | {rollup_cpu:.1f} "
                  f"| {raw_cpu:.1f} | ≤ {target} ms | {'yes' if rollup <= target else 'no'} |")
    if growth:
        print("\nGrowth: the all-time leaderboard on DuckDB.\n")
        print("| validations | rollup p50 ms | raw p50 ms | raw / rollup | rollup CPU ms | raw CPU ms |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n, rollup, raw, rollup_cpu, raw_cpu in growth:
            print(f"| {n:,} | {rollup:.1f} | {raw:.1f} | {raw / rollup:.1f}x | {rollup_cpu:.1f} | {raw_cpu:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000, help="validations for the query table (0: skip it)")
    parser.add_argument("--databases", nargs="+", default=["duckdb", "postgresql"], choices=["duckdb", "postgresql"])
    parser.add_argument("--sizes", type=int, nargs="*", default=[], help="validations for the growth row (DuckDB)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--raw-runs", type=int, default=5)
    args = parser.parse_args()
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = bench_databases(args.size, args.databases, args.runs, args.raw_runs, folder) if args.size else []
        growth = bench_growth(args.sizes, args.runs, args.raw_runs, folder)
    print_tables(args.size, rows, growth, args.runs, args.raw_runs, f"{before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
