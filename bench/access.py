"""Benchmark: what the access guard costs a request, per way of signing in, same run.

    .venv/bin/python bench/access.py [--requests 400] [--size 20000]

Builds the dashboard once (Dash's page registry is one per process) over a DuckDB demo store,
then again reading a throwaway PostgreSQL copy of the same data, and sends the page's poll
callback (the cheapest and most frequent request a page makes: one read of the data version)
through Flask's test client, ``--requests`` times for each way a request can arrive:

- anonymous, with HELIOS_ANONYMOUS_ROLE=viewer: the guard decides, but looks nothing up (baseline);
- a browser session: one read of the session row and its user (plus a last-seen write a minute);
- a personal token (Bearer): a checksum, one read of the token and its user;
- a service key (?api_key=): the same, from the query string.

Prints medians and 95th percentiles in milliseconds and the ratio of each median to the
baseline's. The requests run in one thread: this is the added latency, not throughput.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash import create_app  # noqa: E402
from helios_dash.runtime import RUNTIME_KEY, cache, create_runtime, seed_demo_if_empty  # noqa: E402
from helios_dash.settings import Settings  # noqa: E402
from helios_dash.ui import ids  # noqa: E402
from tests.auth import ORIGIN, anonymous_client, ensure_user, signed_in_client, token_for  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

POLL = json.dumps({
    "output": f"..{ids.DATA_VERSION}.data...{ids.LIVE_UPDATED}.children..",
    "outputs": [{"id": ids.DATA_VERSION, "property": "data"}, {"id": ids.LIVE_UPDATED, "property": "children"}],
    "inputs": [{"id": ids.POLL, "property": "n_intervals", "value": 1}],
    "state": [{"id": ids.DATA_VERSION, "property": "data", "value": None}],
    "changedPropIds": [f"{ids.POLL}.n_intervals"],
})
UNLIMITED = {"rate_limit_api": "1000000 per minute", "rate_limit_exports": "1000000 per minute"}


def time_requests(send, count: int) -> list[float]:
    """Milliseconds of ``count`` calls of ``send()``, each checked to be a 200."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status = send()
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return times


def senders(server) -> dict:
    """One callable per way of arriving, each sending the poll callback once."""
    store = server.extensions[RUNTIME_KEY].store
    ensure_user(store, "viewer")
    session = signed_in_client(server, "viewer@test.helios")
    token, key = token_for(store, "viewer", ("read",)), token_for(store, "viewer", ("read",), kind="service")
    anonymous, plain = anonymous_client(server), anonymous_client(server)
    headers = {"Content-Type": "application/json"}
    path = "/_dash-update-component"
    return {
        "anonymous (public viewing)": lambda: anonymous.post(path, data=POLL, headers=headers).status_code,
        "session cookie": lambda: session.post(path, data=POLL, headers={**headers, **ORIGIN}).status_code,
        "Bearer token": lambda: plain.post(path, data=POLL,
                                           headers={**headers, "Authorization": f"Bearer {token}"}).status_code,
        "?api_key= service key": lambda: plain.post(f"{path}?api_key={key}", data=POLL, headers=headers).status_code,
    }


def measure(server, requests: int) -> dict[str, list[float]]:
    ways = senders(server)
    for send in ways.values():  # warm: Dash's setup, caches, connections
        time_requests(send, 20)
    # Interleaved rounds, so that a noisy moment on a shared machine hits every way alike.
    results = {name: [] for name in ways}
    for _ in range(10):
        for name, send in ways.items():
            results[name] += time_requests(send, requests // 10)
    return results


def report(label: str, results: dict[str, list[float]]) -> None:
    baseline = statistics.median(next(iter(results.values())))
    print(f"\n{label}\n\n| arrives as | median ms | p95 ms | median vs anonymous |\n|---|---|---|---|")
    for name, times in results.items():
        median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
        print(f"| {name} | {median:.2f} | {p95:.2f} | {median / baseline:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        settings = Settings(database_url=f"duckdb:///{folder}/helios.duckdb", demo_validations=args.size,
                            anonymous_role="viewer", **UNLIMITED)
        app = create_app(settings)
        server = app.server
        report(f"DuckDB, {args.size:,} validations, {args.requests} requests each", measure(server, args.requests))
        url = stack.enter_context(postgres_database())
        runtime = create_runtime(replace(settings, database_url=url))
        stack.callback(runtime.close)
        seed_demo_if_empty(runtime)
        server.extensions[RUNTIME_KEY] = runtime
        cache.clear()
        report(f"PostgreSQL, {args.size:,} validations, {args.requests} requests each", measure(server, args.requests))


if __name__ == "__main__":
    main()
