"""The import's temporary folder: removed on exit and on SIGTERM, SIGINT or SIGHUP, swept when stale.

SIGKILL cannot be caught, so a killed import leaves its folder (the spill file, up to
~128 MB) behind; the next import removes it. Each folder holds a ``pid`` file with its
owner's pid, start time (from /proc, so a reused pid is not taken for the owner) and host
(a container sharing /tmp has pids of its own: its folders are left to the grace period).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PREFIX = "helios-import-"
PID_FILE = "pid"
# A folder without a pid file is an older version's, or one whose owner is writing the
# file right now; older than this, it is taken for an older version's.
UNOWNED_GRACE_SECONDS = 3600
_CLEANUP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A new private folder for this import, after sweeping the stale folders of dead imports."""
    sweep_stale_folders()
    with _signals_unwind():
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        try:
            (folder / PID_FILE).write_text(_owner_line(os.getpid()))
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def sweep_stale_folders() -> None:
    """Remove the import folders in the temporary directory whose owning process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        if folder.is_dir() and _is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)  # another import may be sweeping it too


def _is_stale(folder: Path) -> bool:
    try:
        pid, started, host = _read_owner(folder / PID_FILE)
    except (OSError, ValueError, IndexError):  # no pid file, or half written
        host = None
    if host is None or host != socket.gethostname():
        return time.time() - _mtime(folder) > UNOWNED_GRACE_SECONDS
    return not _is_running(pid, started)


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return time.time()  # gone already


def _read_owner(pid_file: Path) -> tuple[int, str | None, str]:
    """The pid, start time (if known) and host in a pid file; files without a host are this host's."""
    fields = pid_file.read_text().split()
    started = fields[1] if len(fields) > 1 and fields[1] != "-" else None
    return int(fields[0]), started, (fields[2] if len(fields) > 2 else socket.gethostname())


def _owner_line(pid: int) -> str:
    return f"{pid} {_start_time(pid) or '-'} {socket.gethostname()}\n"


def _is_running(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc to say more
    state, start = stat
    return state != "Z" and (started is None or start == started)  # a zombie has exited


def _start_time(pid: int) -> str | None:
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """A process's state letter and start time (clock ticks since boot), from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (command) ", whatever the command holds
    return fields[0], fields[19]


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """Make SIGTERM, SIGINT and SIGHUP raise SystemExit here, so ``finally`` clauses run.

    Only where the signal would otherwise kill the process outright (its handler is the
    default) and only in the main thread, where Python runs signal handlers; SIGINT usually
    raises KeyboardInterrupt already, which unwinds the same way.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [getattr(signal, name) for name in _CLEANUP_SIGNALS if hasattr(signal, name)]
    previous = {signum: signal.getsignal(signum) for signum in signals}
    for signum, handler in previous.items():
        if handler == signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler == signal.SIG_DFL:
                signal.signal(signum, handler)


def _exit_on_signal(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)  # the exit status a shell reports for a process killed by the signal
