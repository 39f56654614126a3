"""Gunicorn serving the dashboard, for tests and benchmarks: start, wait, find workers, stop.

    with serving({"HELIOS_DATABASE_URL": url}, workers=2, threads=4) as server:
        urllib.request.urlopen(server.url + "/")

Each server runs in a process group of its own, so stopping it ends its workers too (even
ones it forked after a worker was killed), and keeps a control socket of its own: gunicorn
27 otherwise puts every server's at ~/.gunicorn/gunicorn.ctl, and two would clash.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_handed_out: set[int] = set()  # ports given but perhaps not bound yet: never give one twice


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on; from ``HELIOS_TEST_PORT`` upwards when it is set."""
    first = os.environ.get("HELIOS_TEST_PORT")
    candidates = range(int(first), int(first) + 100) if first else [0] * 20
    for port in candidates:
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = probe.getsockname()[1]
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port from HELIOS_TEST_PORT={first}")


@dataclass
class Server:
    """One gunicorn master serving ``app`` on 127.0.0.1:``port``; its output goes to ``log``."""

    process: subprocess.Popen
    port: int
    log: Path
    access_log: Path | None = None  # one line per request: "<worker pid> status request line"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The pids of the master's live children (its workers), from /proc."""
        return sorted(pid for pid, parent in _processes() if parent == self.process.pid)

    def answered_by(self, pid: int) -> int:
        """How many requests worker ``pid`` answered with 200 (needs ``access_log``)."""
        lines = self.access_log.read_text(errors="replace").splitlines()
        return sum(1 for line in lines if line.startswith(f"<{pid}> 200 "))

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` of the server's output, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, grace: float = 20) -> None:
        """TERM the master (it stops its workers), then KILL the whole group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # workers orphaned by a killed master are still in the group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def _processes():
    """(pid, parent pid) of every process, read from /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # The name (field 2) may hold spaces and parentheses: fields after the last ")" are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            yield int(entry.name), int(fields[1])


def _end_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies (Linux's
    PR_SET_PDEATHSIG), so a test run killed outright leaves no server behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def start_gunicorn(env: dict[str, str], port: int | None = None, *, workers: int = 1, threads: int = 8,
                   app: str = "app:server", folder: Path | None = None, timeout: int = 300,
                   access_log: bool = False) -> Server:
    """Start gunicorn with ``env`` added to this process's environment; does not wait for it.

    ``access_log``: log which worker answered each request (off for benchmarks: it costs).
    """
    port = port or free_port()
    folder = Path(folder or tempfile.mkdtemp(prefix="helios-gunicorn-"))
    log = folder / f"gunicorn-{port}.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--timeout", str(timeout), "--bind", f"127.0.0.1:{port}",
               "--control-socket", str(folder / f"gunicorn-{port}.ctl")]
    access = folder / f"access-{port}.log" if access_log else None
    if access:
        command += ["--access-logfile", str(access), "--access-logformat", '%(p)s %(s)s "%(r)s"']
    command.append(app)
    with open(log, "ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_end_with_parent)
    return Server(process, port, log, access)


def wait_until_serving(server: Server, timeout: float = 120, path: str = "/_favicon.ico") -> None:
    """Return once ``path`` answers; raise with the server's output if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn on port {server.port} exited ({server.process.returncode}):\n"
                               f"{server.log_tail()}")
        try:
            urllib.request.urlopen(server.url + path, timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not serve on port {server.port} within {timeout} s:\n{server.log_tail()}")


def start_serving(env: dict[str, str], port: int | None = None, *, timeout: float = 120,
                  path: str = "/_favicon.ico", **options) -> Server:
    """A started gunicorn that answers ``path`` (see ``start_gunicorn``); stopped if it never does."""
    server = start_gunicorn(env, port, **options)
    try:
        wait_until_serving(server, timeout, path)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def serving(env: dict[str, str], port: int | None = None, **options):
    """``start_serving``, stopped on exit."""
    server = start_serving(env, port, **options)
    try:
        yield server
    finally:
        server.stop()
