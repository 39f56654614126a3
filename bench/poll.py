"""How many live-update polls a second one dashboard process answers, and what they cost the store.

    .venv/bin/python bench/poll.py [--seconds 10] [--clients 32]

Serves the dashboard with gunicorn (1 worker, 8 threads, as deployed) over a temporary demo
store, then has ``--clients`` threads in this process post the poll callback as fast as they
can. It runs twice: with the per-tick token cache (the product), and with the cache's tick
shortened to 1 microsecond, so that every poll reads the store (the baseline). 1,000 open tabs
polling every 5 s make 200 requests a second.

The server runs in demo mode (the default); the clients share one session of the demo viewer,
signed in through POST /login, as the tabs of one browser do, and send its Origin. Dash
callbacks are not rate-limited, so sharing a session changes no limit.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.signin import sign_in  # noqa: E402
from tests.servers import Server, start_serving  # noqa: E402

PORT = 8195

BODY = json.dumps({
    "output": "..live-data-version.data...live-updated.children..",
    "outputs": [{"id": "live-data-version", "property": "data"}, {"id": "live-updated", "property": "children"}],
    "inputs": [{"id": "live-poll", "property": "n_intervals", "value": 1}],
    "state": [{"id": "live-data-version", "property": "data", "value": None}],
    "changedPropIds": ["live-poll.n_intervals"],
}).encode()


def serve(store: Path, port: int, tick: str | None) -> Server:
    env = {"HELIOS_DATABASE_URL": f"duckdb:///{store}", "HELIOS_DEMO_DATA": "1", "HELIOS_DEMO_VALIDATIONS": "50000"}
    if tick:
        env["HELIOS_BENCH_TICK_SECONDS"] = tick
    return start_serving(env, port, timeout=60, path="/", workers=1, threads=8, app="bench.poll_app:server",
                         folder=store.parent)


def hammer(port: int, seconds: float, clients: int) -> tuple[int, list[float]]:
    url = f"http://127.0.0.1:{port}/_dash-update-component"
    session = sign_in(f"http://127.0.0.1:{port}")
    stop = time.time() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def client():
        while time.time() < stop:
            headers = {"Content-Type": "application/json", **session}
            request = urllib.request.Request(url, data=BODY, headers=headers)
            start = time.perf_counter()
            urllib.request.urlopen(request, timeout=10).read()
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, tick in (("per-tick token cache (5 s)", None), ("a store read per poll", "0.000001")):
            server = serve(Path(tmp) / "poll.duckdb", PORT, tick)
            try:
                count, latencies = hammer(PORT, args.seconds, args.clients)
            finally:
                server.stop()
            median, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)]
            print(f"{label:28s}: {count / args.seconds:7.0f} polls/s, median {median:.1f} ms, p95 {p95:.1f} ms "
                  f"({args.clients} clients, {args.seconds:g} s)")


if __name__ == "__main__":
    main()
