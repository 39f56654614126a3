"""Do light requests stay fast while eight PDF reports are requested at once?

    .venv/bin/python bench/light_under_load.py [--reports 8] [--validations 200000] [--port 8196]

Serves the dashboard with gunicorn as deployed (1 worker, 8 threads) over a temporary demo
store, then one client sends light requests in turn (the page shell ``GET /`` and the
live-update poll callback) while ``--reports`` threads each POST a PDF report at the same
moment. It runs twice in one go: with the product's heavy-export gate (HELIOS_HEAVY_EXPORTS=1,
HELIOS_HEAVY_EXPORT_QUEUE=2), and with the gate opened wide (as many slots as reports), which
is how main behaved before it. Prints light-request medians and p95, and what the reports got.

Each server runs in demo mode; every request carries a session of the demo viewer (signed in
through POST /login) and its Origin. The export rate limit is raised for these servers: the
reports stand for several people's, and what is measured is the heavy-export gate, not the
limiter (at the default 8 reports plus a warm-up one the default 20 a minute would not bite).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.poll import BODY as POLL_BODY  # noqa: E402  the live-update poll, as pages send it
from bench.signin import open_unredirected, sign_in  # noqa: E402
from tests.servers import Server, start_serving  # noqa: E402

REPORT = json.dumps({"format": "pdf"}).encode()


def serve(store: Path, port: int, validations: int, slots: int, queue: int) -> Server:
    env = {"HELIOS_DATABASE_URL": f"duckdb:///{store}", "HELIOS_DEMO_DATA": "1",
           "HELIOS_DEMO_VALIDATIONS": str(validations), "HELIOS_RATE_LIMIT_EXPORTS": "1000000 per minute",
           "HELIOS_HEAVY_EXPORTS": str(slots), "HELIOS_HEAVY_EXPORT_QUEUE": str(queue)}
    return start_serving(env, port, timeout=180, path="/", workers=1, threads=8, folder=store.parent)


def timed(request: urllib.request.Request) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with open_unredirected(request) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return time.perf_counter() - started, status


def light_requests(port: int, session: dict[str, str]) -> list[urllib.request.Request]:
    base = f"http://127.0.0.1:{port}"
    return [urllib.request.Request(f"{base}/", headers=session),
            urllib.request.Request(f"{base}/_dash-update-component", data=POLL_BODY,
                                   headers={"Content-Type": "application/json", **session})]


def report_request(port: int, session: dict[str, str]) -> urllib.request.Request:
    return urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/export/report", data=REPORT,
                                  headers={"Content-Type": "application/json", **session})


def measure(port: int, reports: int, session: dict[str, str]) -> dict:
    """Light latencies while ``reports`` PDFs are requested at once; and what those PDFs got."""
    results: list[tuple[float, int]] = []
    start = threading.Barrier(reports + 1)

    def report():
        start.wait()
        results.append(timed(report_request(port, session)))

    threads = [threading.Thread(target=report) for _ in range(reports)]
    for thread in threads:
        thread.start()
    start.wait()
    light: list[float] = []
    while any(thread.is_alive() for thread in threads):
        for request in light_requests(port, session):
            seconds, status = timed(request)
            assert status == 200, f"light request answered {status}"
            light.append(seconds)
        time.sleep(0.05)
    return {"light": light, "reports": results}


def run(validations: int, reports: int, slots: int, queue: int, label: str, port: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        server = serve(Path(folder) / "helios.duckdb", port, validations, slots, queue)
        try:
            session = sign_in(server.url)
            for request in light_requests(port, session) * 3:  # warm caches and the chart renderer's Chromium
                assert timed(request)[1] == 200, "warm-up refused (a 302: not signed in)"
            timed(report_request(port, session))
            idle = [timed(r)[0] for _ in range(20) for r in light_requests(port, session)]
            loaded = measure(port, reports, session)
        finally:
            server.stop()
    done = [s for s, status in loaded["reports"] if status == 200]
    return {"label": label, "idle": idle, "light": loaded["light"], "done": done,
            "refused": sum(1 for _, status in loaded["reports"] if status == 503)}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=8)
    parser.add_argument("--validations", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=8196, help="the gated server's; the other's is the next")
    args = parser.parse_args()
    rows = [run(args.validations, args.reports, 1, 2, "gate: 1 running, 2 waiting (product)", args.port),
            run(args.validations, args.reports, args.reports, 0, f"no gate ({args.reports} at once, as before)",
                args.port + 1)]
    print(f"{args.reports} PDF reports requested at once; {args.validations:,} validations; gunicorn 1x8 threads")
    print("| setup | light idle median ms | light under load median ms | p95 ms | light requests "
          "| PDFs made | median s per PDF | PDFs refused (503) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        made = f"{statistics.median(row['done']):.1f}" if row["done"] else "-"
        print(f"| {row['label']} | {statistics.median(row['idle']) * 1000:.1f} | "
              f"{statistics.median(row['light']) * 1000:.1f} | {p95(row['light']) * 1000:.1f} | {len(row['light'])} "
              f"| {len(row['done'])} | {made} | {row['refused']} |")
    gated, open_ = rows
    print(f"p95 of light requests, no gate / gate: {p95(open_['light']) / p95(gated['light']):.1f}x")


if __name__ == "__main__":
    main()
