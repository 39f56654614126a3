"""WebSocket /stream: 1,000 subscribed clients, write-to-delivery latency, and the idle cost.

    .venv/bin/python bench/stream.py [--clients 1000] [--writes 10] [--idle-seconds 30]

Serves an embedded deployment (gunicorn, 1 worker, gthread, DuckDB demo store of 20,000
validations) with ``--threads clients + 64`` (each socket holds one gunicorn thread for its
life, plus simple-websocket's reader thread) and ``--worker-connections`` to match. ``--clients``
asyncio clients (the ``websockets`` library, one process, 127.0.0.1 only) subscribe to
``leaderboard``; then ``--writes`` times, one validation is POSTed to /api/v1/validations and
every client notes when its ``validation_complete`` and ``leaderboard_update`` arrive. Latency =
arrival - the moment the POST was sent (it includes the write's own transaction).
Idle cost: the worker's CPU seconds (user + system, /proc via psutil) over ``--idle-seconds``
with every client connected and nothing written, next to the same window with no client.
Figures are printed per write; quote the medians.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import psutil  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from tests.deployment import add_accounts, embedded_env, run_cli  # noqa: E402
from tests.servers import serving  # noqa: E402

EDITOR = "editor@bench.test"


def prepare(folder: Path, clients: int, validations: int) -> tuple[dict, str, str]:
    """Seed the store and make a viewer token (the clients) and an editor token (the writes)."""
    env = {**embedded_env(folder), "HELIOS_WS_MAX_CONNECTIONS": str(clients + 32),
           "HELIOS_WS_SEND_QUEUE": "64", "HELIOS_RATE_LIMIT_API": "100000 per minute",
           "GUNICORN_CMD_ARGS": f"--worker-connections {clients + 256}"}
    run_cli(env, "seed-demo", "--validations", str(validations))
    viewer = add_accounts(env)
    run_cli(env, "users", "add", EDITOR, "--role", "editor")
    editor = run_cli(env, "tokens", "create", EDITOR, "--name", "bench", "--scope", "read",
                     "--scope", "write").stdout.strip().splitlines()[-1]
    return env, viewer, editor


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


class Clients:
    """``n`` subscribed sockets; ``arrivals[marker]`` lists (type, perf_counter) per message seen."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.sockets = []
        self.arrivals: dict[str, list[tuple[str, float]]] = {}
        self.failed: list[str] = []

    async def open(self, count: int, at_once: int = 50) -> None:
        for start in range(0, count, at_once):
            results = await asyncio.gather(*(self._open_one() for _ in range(min(at_once, count - start))),
                                           return_exceptions=True)
            self.failed += [repr(r) for r in results if isinstance(r, BaseException)]

    async def _open_one(self) -> None:
        ws = await connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                           ping_interval=None, open_timeout=60, max_queue=None)
        await ws.send(json.dumps({"action": "subscribe", "channels": ["leaderboard"]}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        self.sockets.append(ws)
        asyncio.get_running_loop().create_task(self._listen(ws))

    async def _listen(self, ws) -> None:
        try:
            async for text in ws:
                now = time.perf_counter()
                message = json.loads(text)
                if message["type"] == "validation_complete":
                    marker = message["result"].get("validator") or ""
                    self.arrivals.setdefault(marker, []).append(("validation_complete", now))
                elif message["type"] == "leaderboard_update":
                    self.arrivals.setdefault(f"board:{message['data_version']}", []).append(
                        ("leaderboard_update", now))
        except Exception as error:  # a dropped socket is a finding, not a crash of the benchmark
            self.failed.append(repr(error))

    def open_count(self) -> int:
        return sum(1 for ws in self.sockets if ws.state.name == "OPEN")


def post_validation(base: str, token: str, marker: str) -> int:
    record = [{"id": marker, "algorithm": "Warm-Started VQE", "domain": "quantum", "quality": 88.0,
               "confidence": 0.9, "speedup": 2.0, "tests": 10, "validator": marker,
               "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
    request = urllib.request.Request(base + "/api/v1/validations", data=json.dumps(record).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


async def settle(pid: int, limit: float = 90) -> float:
    """Wait until the worker spends under 5% of a core for 2 s in a row (or ``limit`` s); returns the wait."""
    began, quiet = time.perf_counter(), 0
    while time.perf_counter() - began < limit and quiet < 2:
        before = cpu_seconds(pid)
        await asyncio.sleep(1)
        quiet = quiet + 1 if cpu_seconds(pid) - before < 0.05 else 0
    return time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="helios-stream-bench-"))
    env, viewer, editor = prepare(folder, args.clients, args.validations)
    with serving(env, workers=1, threads=args.clients + 64, folder=folder) as server:
        worker = server.worker_pids()[0]
        base, url = server.url, server.url.replace("http://", "ws://") + "/stream"
        print(f"worker settled after {await settle(worker):.0f} s (start-up work: static files, first pages)")
        start = cpu_seconds(worker)
        await asyncio.sleep(args.idle_seconds)
        baseline = cpu_seconds(worker) - start

        clients = Clients(url, viewer)
        opened_at = time.perf_counter()
        await clients.open(args.clients)
        print(f"connected {clients.open_count()} of {args.clients} clients in "
              f"{time.perf_counter() - opened_at:.1f} s; failures: {len(clients.failed)} "
              f"{clients.failed[:3]}")
        process = psutil.Process(worker)
        print(f"worker: {process.num_threads()} threads, RSS {process.memory_info().rss / 2**20:.0f} MiB, "
              f"{len(process.net_connections())} sockets")

        await settle(worker)
        start = cpu_seconds(worker)
        await asyncio.sleep(args.idle_seconds)
        idle = cpu_seconds(worker) - start
        per_thousand = (idle - baseline) * 1000 / max(1, clients.open_count())
        print(f"idle CPU over {args.idle_seconds:.0f} s: {idle:.3f} s with {clients.open_count()} sockets, "
              f"{baseline:.3f} s with none -> {per_thousand:.3f} CPU s per 1,000 idle sockets per "
              f"{args.idle_seconds:.0f} s ({100 * per_thousand / args.idle_seconds:.2f}% of one core)")

        p50s, p95s, board_p95s, spreads = [], [], [], []
        for n in range(args.writes):
            marker = f"bench-{n}-{time.time_ns()}"
            cpu_before = cpu_seconds(worker)
            sent = time.perf_counter()
            status = await asyncio.to_thread(post_validation, base, editor, marker)
            posted = time.perf_counter() - sent
            deadline = time.perf_counter() + 30
            while len(clients.arrivals.get(marker, [])) < clients.open_count() and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            while sum(1 for key, values in clients.arrivals.items() if key.startswith("board:")
                      for _kind, t in values if t > sent) < clients.open_count() and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)  # the leaderboard_update follows the validation messages
            got = [t - sent for _kind, t in clients.arrivals.get(marker, [])]
            boards = [t - sent for key, values in list(clients.arrivals.items()) if key.startswith("board:")
                      for _kind, t in values if t > sent]
            for key in [k for k in clients.arrivals if k.startswith("board:")]:
                del clients.arrivals[key]
            if not got:
                print(f"write {n}: HTTP {status}, nothing delivered")
                continue
            p50s.append(percentile(got, 0.5))
            p95s.append(percentile(got, 0.95))
            spreads.append(percentile([t - min(got) for t in got], 0.95))
            if boards:
                board_p95s.append(percentile(boards, 0.95))
            print(f"write {n}: HTTP {status} in {posted * 1000:.0f} ms; validation_complete to {len(got)} clients: "
                  f"p50 {p50s[-1] * 1000:.0f} ms, p95 {p95s[-1] * 1000:.0f} ms, max {max(got) * 1000:.0f} ms "
                  f"(first client +{min(got) * 1000:.0f} ms, fan-out p95 +{spreads[-1] * 1000:.0f} ms after it); "
                  f"leaderboard_update p95 {board_p95s[-1] * 1000 if boards else float('nan'):.0f} ms; "
                  f"worker CPU {cpu_seconds(worker) - cpu_before:.2f} s")
            await asyncio.sleep(1)
        if p50s:
            print(f"MEDIAN over {len(p50s)} writes, {clients.open_count()} clients: write->validation_complete "
                  f"p50 {statistics.median(p50s) * 1000:.0f} ms, p95 {statistics.median(p95s) * 1000:.0f} ms "
                  f"(fan-out after the first client: p95 {statistics.median(spreads) * 1000:.0f} ms); "
                  f"leaderboard_update p95 {statistics.median(board_p95s) * 1000 if board_p95s else float('nan'):.0f} ms")
        print(f"still open at the end: {clients.open_count()}; client errors: {len(clients.failed)}")
        for ws in clients.sockets:
            await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--validations", type=int, default=20_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
