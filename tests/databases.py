"""Throwaway databases for tests: every store-touching test runs on DuckDB and on PostgreSQL.

PostgreSQL is the server at ``HELIOS_TEST_POSTGRES`` (default: 127.0.0.1:5432, user postgres,
trust auth, as on every machine here); each test gets a database of its own, dropped after.
A PostgreSQL that does not answer fails those tests: the PostgreSQL half is never skipped silently.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

SERVER = os.environ.get("HELIOS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATABASES = ("duckdb", "postgresql")


def _admin_connection():
    import psycopg

    return psycopg.connect(SERVER.replace("+psycopg", "") + "/postgres", autocommit=True, connect_timeout=5)


@contextmanager
def postgres_database():
    """A new, empty PostgreSQL database's SQLAlchemy URL; dropped (connections and all) on exit."""
    name = f"helios_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(kind: str, folder):
    """A fresh store URL of ``kind`` ("duckdb" in ``folder``, or "postgresql")."""
    if kind == "duckdb":
        yield f"duckdb:///{folder / f'helios-{uuid.uuid4().hex[:8]}.duckdb'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(params=DATABASES)
def store_url(request, tmp_path):
    """A fresh, empty store URL: the test runs once per database."""
    with database_url(request.param, tmp_path) as url:
        yield url
