"""Scale-out: two gunicorn instances (2 workers each) on one PostgreSQL database and one Redis.

While both serve, ``helios-dash import`` runs as a separate process (impossible on DuckDB,
whose file one server holds); both instances show the new rows within one poll; and a
worker killed with SIGKILL costs at most the one request it had in flight.
Expected numbers are worked out by hand from the CSV written here.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from helios_dash.cache_backend import KEY_PREFIX as CACHE_KEY_PREFIX
from helios_dash.ui import ids
from tests.deployment import run_cli, scale_out

POLL_SECONDS = 1
# One poll tick, plus time for the import's commit to be read and for a request on a
# loaded 2-core machine: a bound on waiting, not a measured speed.
SEEN_WITHIN = POLL_SECONDS + 4
NEW_ALGORITHM = "Scale-Out Probe Solver"
IMPORT_CSV = """algorithm,domain,quality,confidence,speedup,tests,created_at
Scale-Out Probe Solver,quantum,80,0.9,2.0,10,2026-11-30T10:00:00Z
Scale-Out Probe Solver,quantum,91,0.8,3.0,6,2026-11-30T11:00:00Z
"""
# By hand from IMPORT_CSV: quality (80 + 91) / 2 = 85.5; speedup (2 + 3) / 2 = 2.5;
# tests 10 + 6 = 16; 2 validations, both above 70, so a success rate of 1.
EXPECTED_ROW = {"mean_quality": 85.5, "mean_speedup": 2.5, "tests": 16, "validations": 2, "success_rate": 1.0}

# The shell's poll callback (pages/_shell.py update_data_version) as a page sends it; with
# no version seen yet it always answers with the current token.
POLL_BODY = json.dumps({
    "output": f"..{ids.DATA_VERSION}.data...{ids.LIVE_UPDATED}.children..",
    "outputs": [{"id": ids.DATA_VERSION, "property": "data"}, {"id": ids.LIVE_UPDATED, "property": "children"}],
    "inputs": [{"id": ids.POLL, "property": "n_intervals", "value": 1}],
    "state": [{"id": ids.DATA_VERSION, "property": "data", "value": None}],
    "changedPropIds": [f"{ids.POLL}.n_intervals"],
}).encode()


HEADERS: dict[str, str] = {}  # the deployment's token, set when it is up


def post(url: str, body: bytes, timeout: float = 60) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **HEADERS})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def data_version(server) -> int:
    """The token a page's poll gets from ``server``."""
    return post(server.url + "/_dash-update-component", POLL_BODY)["response"][ids.DATA_VERSION]["data"]


def leaderboard(server) -> dict[str, dict]:
    """The leaderboard JSON export of ``server``, by algorithm name."""
    payload = post(server.url + "/api/v1/export/leaderboard", json.dumps({"format": "json"}).encode())
    return {row["name"]: row for row in payload["data"]["leaderboard"]}


def shows_import(server, old_version: int) -> bool:
    """One poll and one export of ``server`` both reflect the import."""
    return data_version(server) != old_version and NEW_ALGORITHM in leaderboard(server)


def wait_for(condition, seconds: float, step: float = 0.1) -> bool:
    """Poll ``condition()`` until true or ``seconds`` passed; its last value."""
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(step)
    return value


class RequestLoop(threading.Thread):
    """Sends leaderboard exports to one server, one at a time, until stopped; records outcomes."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.outcomes, self.halt = server, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                rows = leaderboard(self.server)
                self.outcomes.append("ok" if NEW_ALGORITHM in rows else "missing row")
            except (OSError, ValueError, KeyError) as error:  # reset, refused, HTTP errors (URLError), bad body
                self.outcomes.append(f"{type(error).__name__}: {error}")

    def count(self) -> int:
        return len(self.outcomes)


@pytest.mark.slow
def test_two_instances_import_live_and_survive_a_killed_worker(tmp_path):
    # One token sends every request here, a hundred exports a minute: limits are tested elsewhere.
    unlimited = {"HELIOS_RATE_LIMIT_API": "1000000 per minute", "HELIOS_RATE_LIMIT_EXPORTS": "1000000 per minute"}
    with scale_out(5000, instances=2, workers=2, threads=4, poll_seconds=POLL_SECONDS, folder=tmp_path,
                   access_log=True, extra_env=unlimited) as deployment:
        HEADERS.update(deployment.headers)
        servers = deployment.servers
        versions = {server.port: data_version(server) for server in servers}
        assert all(NEW_ALGORITHM not in leaderboard(server) for server in servers)

        # An import as its own process while both instances serve (DuckDB would refuse: locked).
        csv = tmp_path / "new-validations.csv"
        csv.write_text(IMPORT_CSV)
        done = run_cli(deployment.env, "import", str(csv))
        assert "Imported 2 of 2 rows" in done.stdout, done.stdout

        # Both instances within one poll: the token moved and the numbers include the new rows.
        for server in servers:
            assert wait_for(lambda: shows_import(server, versions[server.port]), SEEN_WITHIN), \
                f"port {server.port} did not show the import within {SEEN_WITHIN} s"
        # Several requests at once, so that both workers of each instance answer some of them.
        with ThreadPoolExecutor(8) as pool:
            for server in servers:
                boards = list(pool.map(lambda _: leaderboard(server), range(8)))
                for board in boards:
                    row = board[NEW_ALGORITHM]
                    assert {key: row[key] for key in EXPECTED_ROW} == pytest.approx(EXPECTED_ROW)
                tokens = list(pool.map(lambda _: data_version(server), range(8)))
                assert all(token != versions[server.port] for token in tokens)
        # The instances keep their cache in the Redis database they were given, not in-process.
        assert deployment.redis_keys(f"{CACHE_KEY_PREFIX}*"), "no cache entry in the deployment's Redis database"

        # kill -9 one worker of the first instance while a client keeps sending requests to it.
        target = servers[0]
        workers = target.worker_pids()
        assert len(workers) == 2, f"expected 2 workers of {target.process.pid}, found {workers}"
        loop = RequestLoop(target)
        loop.start()
        try:
            assert wait_for(lambda: loop.count() >= 10, 60), "the client got no answers before the kill"
            os.kill(workers[0], signal.SIGKILL)
            killed_at = loop.count()
            replaced = wait_for(lambda: workers[0] not in (now := target.worker_pids()) and len(now) == 2, 60)
            assert replaced, f"gunicorn did not replace worker {workers[0]}: {target.worker_pids()}\n" \
                             f"{target.log_tail()}"
            replaced_at = loop.count()
            assert wait_for(lambda: loop.count() >= replaced_at + 20, 120), "the instance stopped answering"
        finally:
            loop.halt.set()
            loop.join(120)
        failures = [outcome for outcome in loop.outcomes if outcome != "ok"]
        assert len(failures) <= 1, f"{len(failures)} of {loop.count()} requests failed: {failures[:5]}"
        assert killed_at >= 10 and loop.count() >= replaced_at + 20
        # The replacement worker is up and answering (the access log names the worker of each request).
        (new_worker,) = set(target.worker_pids()) - set(workers)
        assert target.process.poll() is None

        def new_worker_answered() -> bool:
            with ThreadPoolExecutor(8) as pool:
                assert all(NEW_ALGORITHM in board for board in pool.map(lambda _: leaderboard(target), range(8)))
            return target.answered_by(new_worker) > 0

        assert wait_for(new_worker_answered, 120), f"worker {new_worker} answered no request"
