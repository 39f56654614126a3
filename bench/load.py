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
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.page_requests import record  # noqa: E402
from tests.deployment import embedded, embedded_env, run_cli, scale_out  # noqa: E402

LOCUST = Path(sys.executable).with_name("locust")
P95_TARGET_MS, FAILURE_TARGET = 800, 1.0


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
def target(name: str, validations: int, port: int, folder: Path):
    """(deployment, ids for the Compare page) of a seeded, serving target; torn down on exit."""
    if name == "scale-out":
        with scale_out(validations, instances=2, workers=2, threads=4, poll_seconds=5,
                       ports=[port, port + 1], folder=folder) as deployment:
            compare = top_algorithms(deployment.env["HELIOS_DATABASE_URL"])  # PostgreSQL: readable while served
            yield deployment, compare
    elif name == "embedded":
        env = embedded_env(folder)
        run_cli(env, "seed-demo", "--validations", str(validations))
        compare = top_algorithms(env["HELIOS_DATABASE_URL"])  # before serving: the server then holds the file
        with embedded(folder, 0, port=port, threads=8) as deployment:
            yield deployment, compare
    else:
        raise SystemExit(f"unknown target {name!r}: scale-out or embedded")


def warm_up(hosts: list[str], pages: dict) -> None:
    """Each page and each export format a few times per host, two at once (so both workers see
    them): caches filled, Chromium started for PDFs, before anything is measured."""
    def load(host: str) -> None:
        for requests in pages.values():
            for request in requests:
                body = request["body"].encode() if request["body"] else None
                send(host + request["path"], body)
        for kind in ("csv", "xlsx", "json", "pdf"):
            send(host + "/api/v1/export/leaderboard", json.dumps({"format": kind}).encode())

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(load, [host for host in hosts for _ in range(4)]))


def send(url: str, body: bytes | None) -> None:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"warm-up: {url} answered {error.code}: {error.read()[:300]!r}\n"
                           f"body: {(body or b'')[:300]!r}") from None


def run_locust(hosts: list[str], pages_file: Path, args, prefix: Path) -> list[dict]:
    """Run Locust headless against ``hosts``; the rows of its stats CSV."""
    env = {**os.environ, "HELIOS_LOAD_HOSTS": ",".join(hosts), "HELIOS_LOAD_PAGES": str(pages_file),
           "HELIOS_LOAD_THINK": args.think}
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
            with target(name, args.validations, args.port + 2 * index, store) as (deployment, compare):
                hosts = [server.url for server in deployment.servers]
                try:
                    if not pages_file.exists():
                        pages_file.write_text(json.dumps(record(hosts[0], compare), indent=1))
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
