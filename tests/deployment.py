"""Whole deployments for tests and benchmarks, torn down on exit even when the body fails.

- ``scale_out``: a throwaway PostgreSQL database seeded with demo data, a Redis database
  of its own, and N gunicorn instances serving both (the README's "Scale out").
- ``embedded``: one gunicorn, one worker with threads, on a DuckDB file (``make run``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.databases import postgres_database
from tests.servers import ROOT, Server, serving

REDIS_SERVER = os.environ.get("HELIOS_TEST_REDIS", "redis://127.0.0.1:6379")
CLAIM_KEY = "helios-test:claimed-by"
HELIOS_CLI = [str(Path(sys.executable).with_name("helios-dash"))]  # the command users run


@dataclass
class Deployment:
    """What a deployment's processes were given, its servers, and a reader's token for requests."""

    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)
    token: str | None = None  # a viewer's read+export token: send as Authorization: Bearer

    @property
    def headers(self) -> dict[str, str]:
        """What a script sends to read pages, callbacks and exports."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def redis_keys(self, pattern: str = "*") -> list[bytes]:
        """The keys matching ``pattern`` in the deployment's Redis database."""
        client = redis.Redis.from_url(self.env["HELIOS_REDIS_URL"])
        try:
            return list(client.scan_iter(match=pattern, count=1000))
        finally:
            client.close()


def add_accounts(env: dict[str, str]) -> str:
    """Outside demo mode a server needs an admin: add one, and a viewer; return the viewer's token.

    At the command line, as an operator would (README, "Users and access")."""
    listed = run_cli(env, "users", "list").stdout
    for role in ("admin", "viewer"):
        if f"{role}@deployment.test" not in listed:
            run_cli(env, "users", "add", f"{role}@deployment.test", "--role", role)
    created = run_cli(env, "tokens", "create", "viewer@deployment.test", "--name", "tests",
                      "--scope", "read", "--scope", "export")
    return created.stdout.strip().splitlines()[-1]  # the token is the last line, printed once


def run_cli(env: dict[str, str], *arguments: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``helios-dash ARGUMENTS`` as a separate process with ``env``; raises with its output if it fails."""
    done = subprocess.run([*HELIOS_CLI, *arguments], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"helios-dash {' '.join(arguments)} exited {done.returncode}:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


@contextmanager
def redis_database():
    """The URL of a Redis database nobody uses, claimed for the block; its keys deleted after.

    HELIOS's key and channel prefixes are fixed ("helios:..."), and its cache is keyed by the
    data version, which two stores can share: only a database of its own keeps one
    deployment from reading another's cache. Database 0 is left to the prefix-based tests.
    """
    token = uuid.uuid4().hex
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_SERVER}/{number}")
        # Claim first, then check nobody else is there: two claimers cannot both see size 1.
        if client.set(CLAIM_KEY, token, nx=True, ex=6 * 3600) and client.dbsize() == 1:
            break
        if client.get(CLAIM_KEY) == token.encode():
            client.delete(CLAIM_KEY)
        client.close()
    else:
        raise RuntimeError(f"no empty Redis database (1-15) at {REDIS_SERVER}")
    try:
        yield f"{REDIS_SERVER}/{number}"
    finally:
        # Every key in it was written by this block's processes (it was empty when claimed).
        keys = list(client.scan_iter(count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextmanager
def scale_out(validations: int, *, instances: int = 2, workers: int = 2, threads: int = 4,
              poll_seconds: float = 1, ports: list[int] | None = None, extra_env: dict | None = None,
              folder: Path | None = None, access_log: bool = False):
    """``instances`` gunicorns on one seeded PostgreSQL database and one Redis database;
    their logs in ``folder`` (default: a new temporary folder, kept)."""
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        env = {"HELIOS_DATABASE_URL": database_url, "HELIOS_REDIS_URL": stack.enter_context(redis_database()),
               "HELIOS_DEMO_DATA": "0", "HELIOS_POLL_SECONDS": str(poll_seconds),
               "HELIOS_SECRET_KEY": uuid.uuid4().hex, **(extra_env or {})}
        run_cli(env, "seed-demo", "--validations", str(validations))
        deployment = Deployment(env, token=add_accounts(env))
        for index in range(instances):
            port = ports[index] if ports else None
            deployment.servers.append(stack.enter_context(
                serving(env, port, workers=workers, threads=threads, folder=folder, access_log=access_log)))
        yield deployment


def embedded_env(folder: Path) -> dict[str, str]:
    """The environment of an embedded deployment whose DuckDB file is in ``folder``."""
    return {"HELIOS_DATABASE_URL": f"duckdb:///{folder / 'helios.duckdb'}", "HELIOS_DEMO_DATA": "0",
            "HELIOS_SECRET_KEY": "embedded-test-" + folder.name}


@contextmanager
def embedded(folder: Path, validations: int, *, port: int | None = None, threads: int = 8,
             extra_env: dict | None = None):
    """One gunicorn worker with ``threads`` threads on a DuckDB file in ``folder``, seeded first
    (``validations=0``: already seeded)."""
    env = {**embedded_env(folder), **(extra_env or {})}
    if validations:
        run_cli(env, "seed-demo", "--validations", str(validations))
    token = add_accounts(env)  # before serving: the server holds the DuckDB file
    with serving(env, port, workers=1, threads=threads, folder=folder) as server:
        yield Deployment(env, [server], token)
