"""scripts/services.sh, which `make test` runs first: which branch it takes, checked in dry-run mode
against closed ports on 127.0.0.1 (the running services are never stopped)."""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "services.sh"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(pg_port: int, redis_port: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELIOS_SERVICES_DRY_RUN": "1", "HELIOS_SERVICES_PG_PORT": str(pg_port),
           "HELIOS_SERVICES_REDIS_PORT": str(redis_port)}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_running_services_are_left_alone():
    done = run(5432, 6379)
    assert done.returncode == 0, done.stderr
    assert "would run" not in done.stdout
    assert "PostgreSQL answers at 127.0.0.1:5432." in done.stdout and "Redis answers at 127.0.0.1:6379." in done.stdout


def test_a_silent_postgresql_is_configured_started_and_otherwise_fails_in_one_sentence():
    port = closed_port()
    done = run(port, 6379)
    assert "host all postgres 127.0.0.1/32 trust" in done.stdout  # trust auth for postgres on loopback only
    assert "main restart" in done.stdout
    assert done.returncode == 1  # a dry run starts nothing, so the port stays closed: never a silent skip
    assert done.stderr.strip() == (f"PostgreSQL still does not let user postgres in at 127.0.0.1:{port} after "
                                   "starting it, so the tests cannot run on PostgreSQL.")


def test_a_silent_redis_is_started_and_otherwise_fails_in_one_sentence():
    port = closed_port()
    done = run(5432, port)
    assert f"would run: redis-server --daemonize yes --bind 127.0.0.1 --port {port}" in done.stdout
    assert done.returncode == 1
    assert done.stderr.strip() == (f"Redis still does not answer at 127.0.0.1:{port} after starting it, "
                                   "so the tests that need it cannot run.")
