"""Serving under gunicorn: a second server on a store in use stops at once with one sentence."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(store: Path, port: int, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "HELIOS_DATABASE_URL": f"duckdb:///{store}", "HELIOS_DEMO_VALIDATIONS": "1000"}
    command = [str(GUNICORN), "--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}",
               "--control-socket", str(store.with_suffix(f".{port}.ctl")), "app:server"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, **kwargs)


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_favicon.ico", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"gunicorn did not serve on port {port} within {timeout} s")


@pytest.mark.slow
def test_second_gunicorn_on_a_store_in_use_exits_with_one_sentence(tmp_path):
    store = tmp_path / "helios.duckdb"
    first = gunicorn(store, free_port())
    try:
        wait_until_serving(int(first.args[first.args.index("--bind") + 1].rsplit(":", 1)[1]))
        second = gunicorn(store, free_port())
        try:
            _, errors = second.communicate(timeout=60)  # it used to restart its worker every ~4 s, forever
        except subprocess.TimeoutExpired:
            second.kill()
            raise AssertionError("the second gunicorn kept running on a store in use")
        assert second.returncode != 0
        sentences = [line for line in errors.splitlines() if "HELIOS Analytics cannot start" in line]
        assert len(sentences) == 1 and f"{store} is in use by process" in sentences[0]
        assert "Traceback" not in errors
    finally:
        first.terminate()
        first.communicate(timeout=30)
