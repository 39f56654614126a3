"""Item 15: the import's temporary folder goes away on exit and on SIGTERM/SIGINT; stale ones are swept.

A folder is ``helios-import-*`` in the temporary directory, with a file ``pid`` holding its process's
pid, start time (clock ticks since boot, as /proc gives it) and host name.
The signal tests run real imports in subprocesses, held open after their first chunk.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helios_dash.errors import BadRequest
from helios_dash.importer import import_file
from helios_dash.store import open_store
from test_importer import HEADER, REPO, counts, write_csv

# The real command line, held open after the first chunk (the marker file says when).
_HELD_IMPORT = """
import signal, sys, time
from pathlib import Path
import helios_dash.importer.checks as checks

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if started in the background
real_chunks = checks.chunks

def held_open(source, bar):
    for chunk in real_chunks(source, bar):
        yield chunk
        Path(sys.argv[2]).touch()
        time.sleep(120)

checks.chunks = held_open
from helios_dash.cli import main
main(["import", sys.argv[1]])
"""


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """A temporary directory of the test's own, for this process and its subprocesses."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def spill_folders(scratch: Path) -> list[Path]:
    return sorted(scratch.glob("helios-import-*"))


def small_file(tmp_path: Path, name: str = "data.csv") -> Path:
    return write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02"], name)


def environment(scratch: Path, store_url: str) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(scratch), "HELIOS_DATABASE_URL": store_url, "PYTHONPATH": str(REPO)}


def start_held_import(scratch, store_url, tmp_path) -> subprocess.Popen:
    marker = tmp_path / "held"
    process = subprocess.Popen([sys.executable, "-c", _HELD_IMPORT, str(small_file(tmp_path)), str(marker)],
                               env=environment(scratch, store_url), cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the import did not get going: {process.communicate()[1][-2000:]}")
        time.sleep(0.05)
    return process


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def make_folder(scratch: Path, name: str, pid_text: str | None, age_seconds: float = 0) -> Path:
    folder = scratch / name
    folder.mkdir()
    (folder / "rows.parquet").write_bytes(b"x" * 1000)
    if pid_text is not None:
        (folder / "pid").write_text(pid_text)
    if age_seconds:
        then = time.time() - age_seconds
        os.utime(folder, (then, then))
    return folder


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 1)])
def test_a_signalled_import_removes_its_folder_and_stores_nothing(scratch, store_url, tmp_path, signum, exit_code):
    process = start_held_import(scratch, store_url, tmp_path)
    try:
        [folder] = spill_folders(scratch)
        assert (folder / "pid").read_text().split()[0] == str(process.pid)
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert process.returncode == exit_code, process.stderr.read()[-2000:]
    assert spill_folders(scratch) == []
    store = open_store(store_url)
    try:
        assert counts(store) == (0, 0, 0)
    finally:
        store.close()


def test_the_folder_of_a_killed_import_is_swept_by_the_next_one(scratch, store_url, tmp_path):
    process = start_held_import(scratch, store_url, tmp_path)
    try:
        process.send_signal(signal.SIGKILL)  # cannot be caught: the folder stays behind
        process.wait(timeout=60)
    finally:
        process.kill()
    assert len(spill_folders(scratch)) == 1
    live = make_folder(scratch, "helios-import-live", str(os.getpid()))  # this test process is alive

    done = subprocess.run([sys.executable, "-m", "helios_dash", "import", str(small_file(tmp_path, "next.csv"))],
                          env=environment(scratch, store_url), cwd=REPO, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert spill_folders(scratch) == [live]


def test_stale_folders_are_swept_and_live_ones_kept(store, scratch, tmp_path):
    gone = [
        make_folder(scratch, "helios-import-dead", str(dead_pid())),
        make_folder(scratch, "helios-import-reused", f"{os.getpid()} 1"),  # our pid, but not our start time
        make_folder(scratch, "helios-import-legacy", None, age_seconds=2 * 3600),  # before pid files
    ]
    kept = [
        make_folder(scratch, "helios-import-live", str(os.getpid())),
        make_folder(scratch, "helios-import-starting", None),  # fresh: its owner may be writing the pid file
        make_folder(scratch, "helios-import-elsewhere", f"{dead_pid()} 123 another-host"),  # pids of another host
        make_folder(scratch, "helios-other", str(dead_pid())),  # not ours
    ]

    assert import_file(store, small_file(tmp_path)).inserted == 1

    assert not any(folder.exists() for folder in gone)
    assert all(folder.exists() for folder in kept)


def test_the_folder_is_removed_after_a_good_and_after_a_rejected_import(store, scratch, tmp_path):
    import_file(store, small_file(tmp_path))
    bad = write_csv(tmp_path, [HEADER, "QAOA,quantum,170,0.5,1.5,4,2026-03-02"], "bad.csv")
    with pytest.raises(BadRequest):
        import_file(store, bad)
    assert spill_folders(scratch) == []
