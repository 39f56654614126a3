"""Benchmark: the store's native read paths against pd.read_sql, and COPY against executemany, same run.

    .venv/bin/python bench/store_reads.py [--size 200000] [--runs 7]

Seeds ``--size`` demo validations into a temporary DuckDB file and a throwaway PostgreSQL
database on 127.0.0.1 (dropped at the end), then times, on each database, the medians of
``--runs`` runs of:
- the raw export's statement (every record, 12 columns) through ``Store.read`` and through
  ``pd.read_sql`` on an SQLAlchemy connection (the portable path the store used before);
- a per-algorithm aggregate (SUM/AVG of integers, PostgreSQL's numeric results);
- on PostgreSQL, appending 20,000 rows with COPY (``Store.append_frame``) and with executemany.
Prints a Markdown table with the ratios.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash.demo import seed_demo  # noqa: E402
from helios_dash.schema import algorithms, domains, validations as v  # noqa: E402
from helios_dash.store import open_store  # noqa: E402
from tests.databases import database_url  # noqa: E402

RECORDS = (sa.select(v.c.id, v.c.created_at, v.c.algorithm_id, algorithms.c.name.label("algorithm"), v.c.domain_id,
                     domains.c.name.label("domain"), v.c.quality, v.c.confidence, v.c.speedup, v.c.tests,
                     v.c.validator, v.c.hypothesis_id)
           .join(algorithms, algorithms.c.id == v.c.algorithm_id).join(domains, domains.c.id == v.c.domain_id)
           .order_by(v.c.created_at, v.c.id))
AGGREGATE = (sa.select(v.c.algorithm_id, sa.func.count().label("n"), sa.func.sum(v.c.tests).label("tests"),
                       sa.func.avg(v.c.tests).label("mean_tests"), sa.func.avg(v.c.quality).label("mean_quality"))
             .group_by(v.c.algorithm_id))


def median_seconds(action, runs: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_sql(store, stmt):
    with store.engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def bench_database(kind: str, folder: Path, size: int, runs: int) -> list[tuple[str, float, float]]:
    rows = []
    with database_url(kind, folder) as url:
        store = open_store(url, statement_timeout=None)
        seed_demo(store, validations=size, seed=1)
        for name, stmt in (("records", RECORDS), ("aggregate", AGGREGATE)):
            assert len(store.read(stmt)) == len(read_sql(store, stmt))
            native = median_seconds(lambda: store.read(stmt), runs)
            portable = median_seconds(lambda: read_sql(store, stmt), runs)
            rows.append((f"{kind}: {name}", native, portable))
        if kind == "postgresql":
            rows.append(("postgresql: append 20,000 rows", *bench_append(store, runs)))
        store.close()
    return rows


def bench_append(store, runs: int) -> tuple[float, float]:
    frame = store.read(sa.select(v).limit(20_000)).drop(columns=["id"])

    def copy():
        with store.engine.begin() as conn:
            store.append_frame(conn, v, frame)
            conn.rollback()

    def executemany():
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        with store.engine.begin() as conn:
            conn.execute(v.insert(), records)
            conn.rollback()

    return median_seconds(copy, runs), median_seconds(executemany, max(1, runs // 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [row for kind in ("duckdb", "postgresql") for row in bench_database(kind, Path(folder), args.size,
                                                                                  args.runs)]
    print(f"\n{args.size:,} validations, median of {args.runs} runs\n")
    print("| statement | store path (s) | pd.read_sql / executemany (s) | ratio |")
    print("|---|---|---|---|")
    for name, native, portable in rows:
        print(f"| {name} | {native:.4f} | {portable:.4f} | {portable / native:.1f}x |")


if __name__ == "__main__":
    main()
