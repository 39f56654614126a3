"""Benchmark: p50/p95 of each GET /api/v1 read resource, in-process (Flask test client).

    .venv/bin/python bench/api_reads.py [--size 1000000] [--runs 30] [--store PATH | --database-url URL]

Seeds ``--size`` demo validations into a DuckDB file (kept at ``--store`` to reuse) or into the
PostgreSQL database at ``--database-url`` (created if missing, kept to reuse: e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/helios_bench``), then times
each endpoint ``--runs`` times twice: "cold", with the service cache cleared before each request
(the first request after a write), and "warm" (services memoized for this data version).
No network: the test client calls the WSGI app directly, so this is server time only.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash import create_server  # noqa: E402
from helios_dash.demo import seed_demo  # noqa: E402
from helios_dash.runtime import cache, create_runtime  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402
from tests.auth import token_for  # noqa: E402


def endpoints(algorithm_id: str) -> list[str]:
    return ["/api/v1/domains", "/api/v1/domains/quantum", "/api/v1/algorithms", f"/api/v1/algorithms/{algorithm_id}",
            "/api/v1/leaderboard", "/api/v1/leaderboard/quantum", "/api/v1/leaderboard?start=2026-01-01&end=2026-03-31",
            "/api/v1/validations", "/api/v1/validations?domain=quantum&page=500"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it does not exist yet (it is kept to reuse its seed)."""
    import psycopg

    server, name = url.replace("+psycopg", "").rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True, connect_timeout=5) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--store", default=None, help="DuckDB file (default: a new temporary one)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL instead of DuckDB")
    args = parser.parse_args()
    url = args.database_url or f"duckdb:///{Path(args.store or Path(tempfile.mkdtemp()) / 'bench.duckdb')}"
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    kind = "PostgreSQL" if url.startswith("postgresql") else "DuckDB"
    # Rate limits off: this measures the endpoints, not the limiter.
    runtime = create_runtime(Settings(database_url=url, demo_data=False, rate_limit_api="1000000 per minute"))
    if runtime.store.scalar(sa.text("SELECT count(*) FROM validations")) == 0:
        started = time.perf_counter()
        seed_demo(runtime.store, validations=args.size)
        print(f"seeded {args.size:,} validations in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    server = create_server(runtime=runtime)
    headers = {"Authorization": "Bearer " + token_for(runtime.store, "viewer", ("read",))}
    client = server.test_client()
    algorithm_id = client.get("/api/v1/leaderboard/quantum?per_page=1", headers=headers).get_json()["data"][0][
        "algorithm_id"]
    print(f"| endpoint ({args.size:,} validations, {kind}) | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms |")
    print("|---|---|---|---|---|")
    with server.app_context():
        for url in endpoints(algorithm_id):
            timings = {}
            for mode in ("cold", "warm"):
                times = []
                for _ in range(args.runs):
                    if mode == "cold":
                        cache.clear()
                    started = time.perf_counter()
                    response = client.get(url, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                timings[mode] = (statistics.median(times), percentile(times, 0.95))
            print(f"| `{url}` | {timings['cold'][0]:.0f} | {timings['cold'][1]:.0f} | "
                  f"{timings['warm'][0]:.0f} | {timings['warm'][1]:.0f} |", flush=True)
    runtime.close()


if __name__ == "__main__":
    main()
