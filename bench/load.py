"""50 users browse the five pages and download exports: scale-out against the embedded process.

    pip install -e '.[bench]'      # Locust (once)
    .venv/bin/python bench/load.py [--duration 180] [--users 50] [--validations 200000]
                                   [--targets scale-out,embedded] [--think 1-5] [--port 18140]

Headless Locust (bench/locustfile.py) on loopback against, in turn, with the same demo data:
- scale-out: 2 gunicorn instances x 2 workers x 4 threads on one PostgreSQL database and one
  Redis database (throwaway, tests/deployment.py); users are dealt to the instances in turn;
- embedded: one gunicorn worker with 8 threads on a DuckDB file (``make run``).
Page loads replay what headless Chromium sent for each page (bench/page_requests.py, recorded
once per run from the first target): the HTML, ``/_dash-layout``, ``/_dash-dependencies`` and
every callback. Exports: the leaderboard as CSV, XLSX or JSON, one in twenty a PDF. Open pages
poll the data version. Load generator and servers share this machine's cores.
Prints Markdown tables: requests/s, p50/p95/p99 and failures per target (targets: p95 <= 800 ms,
failures <= 1%), then p95 per request kind. ``--keep FOLDER`` keeps Locust's CSVs, the recorded
page loads, the servers' logs and the DuckDB store.

Accounts (issue 10): every request needs a signed-in user. The servers run outside demo mode
with a secret key of their own and accounts made after seeding, before they start: one viewer
per simulated user (``load-N@bench.helios``), each signing in through POST /login when it
starts and keeping its own session, as many people would; one account for the recording
browser and one per warm-up load. The rate limits stay the product's defaults
(HELIOS_RATE_LIMIT_API, HELIOS_RATE_LIMIT_EXPORTS): with an account each, a user at the
default think time stays well under them, so the figures include what the limiter and the
session lookup cost. Raising the limits instead would let one account's load pass where a
real deployment throttles it. With a think time near zero a user exceeds the export limit
(20 a minute), as a person would: those 429s count as failures.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.page_requests import record  # noqa: E402
from bench.signin import BENCH_PASSWORD, account_env, add_accounts, open_unredirected, sign_in  # noqa: E402
from tests.databases import postgres_database  # noqa: E402
from tests.deployment import Deployment, embedded, embedded_env, redis_database, run_cli  # noqa: E402
from tests.servers import serving  # noqa: E402

LOCUST = Path(sys.executable).with_name("locust")
P95_TARGET_MS, FAILURE_TARGET = 800, 1.0
WARM_UP_LOADS = 4  # per host
RECORDER = "record@bench.helios"  # the browser that records the page loads


def load_accounts(users: int) -> list[str]:
    """One viewer per simulated user."""
    return [f"load-{n}@bench.helios" for n in range(users)]


def warm_up_accounts(hosts: int) -> list[str]:
    """One viewer per warm-up load: none of them spends a simulated user's export budget."""
    return [f"warm-{n}@bench.helios" for n in range(WARM_UP_LOADS * hosts)]


def top_algorithms(database_url: str, count: int = 3) -> str:
    """The ids of the ``count`` most validated algorithms, comma-separated (for the Compare page)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT algorithm_id FROM validations GROUP BY algorithm_id "
                                        "ORDER BY count(*) DESC, algorithm_id LIMIT :n"), {"n": count})
            return ",".join(str(row[0]) for row in rows)
    finally:
        engine.dispose()


@contextmanager
def target(name: str, validations: int, port: int, folder: Path, accounts: list[str]):
    """(deployment, ids for the Compare page) of a seeded, serving target with ``accounts``; torn down on exit."""
    if name == "scale-out":
        with scale_out(validations, [port, port + 1], folder, accounts) as deployment:
            compare = top_algorithms(deployment.env["HELIOS_DATABASE_URL"])  # PostgreSQL: readable while served
            yield deployment, compare
    elif name == "embedded":
        keyed = account_env()
        env = {**embedded_env(folder), **keyed}
        run_cli(env, "seed-demo", "--validations", str(validations))
        # Before serving: the server then holds the DuckDB file.
        add_accounts(env["HELIOS_DATABASE_URL"], accounts)
        compare = top_algorithms(env["HELIOS_DATABASE_URL"])
        with embedded(folder, 0, port=port, threads=8, extra_env=keyed) as deployment:
            yield deployment, compare
    else:
        raise SystemExit(f"unknown target {name!r}: scale-out or embedded")


@contextmanager
def scale_out(validations: int, ports: list[int], folder: Path, accounts: list[str]):
    """tests/deployment.py's scale_out (2 workers x 4 threads per instance, one PostgreSQL, one
    Redis), with ``accounts`` made between seeding and serving: outside demo mode a server
    refuses to start without an admin."""
    with ExitStack() as stack:
        env = {"HELIOS_DATABASE_URL": stack.enter_context(postgres_database()),
               "HELIOS_REDIS_URL": stack.enter_context(redis_database()), "HELIOS_POLL_SECONDS": "5",
               **account_env()}
        run_cli(env, "seed-demo", "--validations", str(validations))
        add_accounts(env["HELIOS_DATABASE_URL"], accounts)
        deployment = Deployment(env)
        for port in ports:
            deployment.servers.append(stack.enter_context(serving(env, port, workers=2, threads=4, folder=folder)))
        yield deployment


def warm_up(hosts: list[str], pages: dict) -> None:
    """Each page and each export format a few times per host, two at once (so both workers see
    them): caches filled, Chromium started for PDFs, before anything is measured. Each load
    signs in as a warm-up account of its own."""
    def load(host_and_account: tuple[str, str]) -> None:
        host, email = host_and_account
        session = sign_in(host, email, BENCH_PASSWORD)
        for requests in pages.values():
            for request in requests:
                body = request["body"].encode() if request["body"] else None
                send(host + request["path"], body, session)
        for kind in ("csv", "xlsx", "json", "pdf"):
            send(host + "/api/v1/export/leaderboard", json.dumps({"format": kind}).encode(), session)

    loads = zip([host for host in hosts for _ in range(WARM_UP_LOADS)], warm_up_accounts(len(hosts)))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(load, loads))


def send(url: str, body: bytes | None, session: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **session})
    try:
        with open_unredirected(request) as response:  # a 302 (to /login) is an HTTPError here
            response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"warm-up: {url} answered {error.code}: {error.read()[:300]!r}\n"
                           f"body: {(body or b'')[:300]!r}") from None


def run_locust(hosts: list[str], pages_file: Path, args, prefix: Path) -> list[dict]:
    """Run Locust headless against ``hosts``; the rows of its stats CSV."""
    env = {**os.environ, "HELIOS_LOAD_HOSTS": ",".join(hosts), "HELIOS_LOAD_PAGES": str(pages_file),
           "HELIOS_LOAD_THINK": args.think, "HELIOS_LOAD_ACCOUNTS": ",".join(load_accounts(args.users)),
           "HELIOS_LOAD_PASSWORD": BENCH_PASSWORD}
    command = [str(LOCUST), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
               "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s",
               "--reset-stats", "--stop-timeout", "60", "--host", hosts[0], "--csv", str(prefix)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: the run had failed requests, which the table reports
        raise RuntimeError(f"locust exited {done.returncode}:\n{done.stderr[-3000:]}")
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def summary(rows: list[dict]) -> dict:
    """The Aggregated row in milliseconds and percent."""
    total = next(row for row in rows if row["Name"] == "Aggregated")
    count, failed = int(total["Request Count"]), int(total["Failure Count"])
    return {"requests": count, "rps": float(total["Requests/s"]), "p50": float(total["50%"]),
            "p95": float(total["95%"]), "p99": float(total["99%"]), "failures": 100 * failed / max(count, 1)}


def print_tables(results: dict[str, list[dict]], loads: dict[str, float], args) -> None:
    labels = {"scale-out": "2 instances x 2 workers x 4 threads, PostgreSQL + Redis",
              "embedded": "embedded: 1 worker x 8 threads, DuckDB"}
    print(f"\n{args.users} users, think time {args.think} s, {args.duration} s, {args.validations:,} validations, "
          f"loopback, {os.cpu_count()} cores shared with Locust\n")
    print("| target | requests | requests/s | p50 ms | p95 ms | p99 ms | failures | p95 <= 800 ms, failures <= 1% "
          "| load average before |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, rows in results.items():
        s = summary(rows)
        verdict = "met" if s["p95"] <= P95_TARGET_MS and s["failures"] <= FAILURE_TARGET else "**not met**"
        print(f"| {labels[name]} | {s['requests']:,} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | "
              f"{s['p99']:.0f} | {s['failures']:.2f}% | {verdict} | {loads[name]:.1f} |")
    names = sorted({row["Name"] for rows in results.values() for row in rows} - {"Aggregated"})
    print("\n| request | " + " | ".join(f"{n} p50 / p95 ms (count)" for n in results) + " |")
    print("|---|" + "---:|" * len(results))
    for request in names:
        cells = []
        for rows in results.values():
            row = next((r for r in rows if r["Name"] == request), None)
            cells.append(f"{float(row['50%']):.0f} / {float(row['95%']):.0f} ({int(row['Request Count'])}"
                         f"{', ' + row['Failure Count'] + ' failed' if row and int(row['Failure Count']) else ''})"
                         if row else "-")
        print(f"| {request} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds of load per target")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--validations", type=int, default=200_000)
    parser.add_argument("--think", default="1-5", help="seconds between a user's actions, low-high")
    parser.add_argument("--targets", default="scale-out,embedded")
    parser.add_argument("--port", type=int, default=18140, help="first port (scale-out uses two)")
    parser.add_argument("--keep", type=Path, help="folder for Locust's CSVs and the recorded page loads")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a TERM still tears the servers down
    if not LOCUST.exists():
        sys.exit("Locust is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        pages_file, results, loads = folder / "page_requests.json", {}, {}
        for index, name in enumerate(args.targets.split(",")):
            store = folder / f"{name}-server"  # its store (DuckDB) and server logs
            store.mkdir(exist_ok=True)
            # Other work on this machine shows here (this script's own servers are not up yet).
            loads[name] = os.getloadavg()[0]
            print(f"{name}: load average {loads[name]:.1f}; seeding {args.validations:,} validations ...", flush=True)
            accounts = [RECORDER, *load_accounts(args.users), *warm_up_accounts(2)]  # 2: the most hosts a target has
            with target(name, args.validations, args.port + 2 * index, store, accounts) as (deployment, compare):
                hosts = [server.url for server in deployment.servers]
                try:
                    if not pages_file.exists():
                        recorded = record(hosts[0], compare, RECORDER, BENCH_PASSWORD)
                        pages_file.write_text(json.dumps(recorded, indent=1))
                    warm_up(hosts, json.loads(pages_file.read_text()))
                    print(f"{name}: {args.users} users for {args.duration} s on {', '.join(hosts)}", flush=True)
                    results[name] = run_locust(hosts, pages_file, args, folder / name)
                except BaseException:
                    for server in deployment.servers:  # the servers' own account of what went wrong
                        print(f"--- {server.url} ({server.log}):\n{server.log_tail(40)}", flush=True)
                    raise
    print_tables(results, loads, args)


if __name__ == "__main__":
    main()
